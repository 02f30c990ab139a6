package stream

import (
	"net"
	"syscall"
	"testing"
)

// smallWindowDialer dials with a 4 KiB receive buffer and a 1 KiB maximum
// segment size, so a client that stops reading fills its socket after a
// few KiB. The segment size matters on loopback, whose MSS of about 64 KiB
// is larger than the whole window: the sender would then send only on its
// zero-window probes, whose interval doubles up to two minutes, and a
// backlog of megabytes would take that long to drain once the client reads
// again.
func smallWindowDialer(t *testing.T) *net.Dialer {
	t.Helper()
	return &net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) {
			if serr = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_MAXSEG, 1024); serr != nil {
				return
			}
			serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096)
		})
		if err != nil {
			return err
		}
		return serr
	}}
}
