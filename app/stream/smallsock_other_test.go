//go:build !linux

package stream

import (
	"net"
	"testing"
)

// smallWindowDialer needs Linux socket options (see smallsock_linux_test.go).
func smallWindowDialer(t *testing.T) *net.Dialer {
	t.Skip("the stalled client's socket options are Linux's")
	return nil
}
