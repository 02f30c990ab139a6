package hub

import (
	"crypto/rand"
	"encoding/hex"
	"strconv"
	"strings"
)

// newEpoch returns 8 random hex digits naming one hub's log.
func newEpoch() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on Linux and panics otherwise
	return hex.EncodeToString(b)
}

// cursor formats a position of the hub's log.
func (h *Hub) cursor(seq uint64) string {
	return h.epoch + "." + strconv.FormatUint(seq, 10)
}

// parseCursor splits "<epoch>.<seq>".
func parseCursor(c string) (epoch string, seq uint64, ok bool) {
	epoch, num, found := strings.Cut(c, ".")
	if !found || epoch == "" {
		return "", 0, false
	}
	seq, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		return "", 0, false
	}
	return epoch, seq, true
}
