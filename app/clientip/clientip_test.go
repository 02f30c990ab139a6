package clientip

import (
	"io"
	"net"
	"net/http"
	"net/netip"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestClientWalksForwardedForFromTheRightPastTrustedProxies(t *testing.T) {
	r := New([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")})
	for _, tc := range []struct {
		name, peer string
		hops       []string
		want       string
	}{
		{"an untrusted peer is the client, whatever it claims", "192.0.2.9", []string{"198.51.100.7"}, "192.0.2.9"},
		{"a trusted proxy names the client", "10.1.2.3", []string{"198.51.100.7"}, "198.51.100.7"},
		{"what the client wrote left of it is ignored", "10.1.2.3", []string{"1.1.1.1", " 198.51.100.7"}, "198.51.100.7"},
		{"a chain of trusted proxies is walked", "10.1.2.3", []string{"1.1.1.1", "198.51.100.7", "10.9.9.9"}, "198.51.100.7"},
		{"a trusted proxy without the header is the client", "10.1.2.3", nil, "10.1.2.3"},
		{"only trusted hops: the left-most", "10.1.2.3", []string{"10.4.4.4", "10.5.5.5"}, "10.4.4.4"},
		{"garbage stops the walk at the last address known", "10.1.2.3", []string{"198.51.100.7", "not-an-ip", "10.5.5.5"}, "10.5.5.5"},
		{"ports and IPv6", "fd00::1", []string{"[2001:db8::7]:4711", "10.5.5.5:80"}, "2001:db8::7"},
		{"IPv4-mapped addresses are IPv4", "::ffff:10.1.2.3", []string{"::ffff:198.51.100.7"}, "198.51.100.7"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := r.client(netip.MustParseAddr(tc.peer).Unmap(), tc.hops); got.String() != tc.want {
				t.Errorf("client = %s, want %s", got, tc.want)
			}
		})
	}
	var none *Resolver
	if got := none.client(netip.MustParseAddr("10.1.2.3"), []string{"198.51.100.7"}); got.String() != "10.1.2.3" {
		t.Errorf("a nil Resolver trusts no proxy: %s", got)
	}
}

// TestMiddlewareOverARealConnection serves on loopback, trusted or not, and
// sends X-Forwarded-For (twice: both headers count, in order).
func TestMiddlewareOverARealConnection(t *testing.T) {
	for _, tc := range []struct {
		trusted []netip.Prefix
		want    string
	}{
		{nil, "127.0.0.1"},
		{[]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, "198.51.100.7"},
	} {
		r := New(tc.trusted)
		app := fiber.New(fiber.Config{DisableStartupMessage: true})
		app.Use(r.Middleware())
		app.Get("/", func(c *fiber.Ctx) error { return c.SendString(Of(c)) })
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = app.Listener(ln) }()
		req, _ := http.NewRequest("GET", "http://"+ln.Addr().String()+"/", nil)
		req.Header.Add(HeaderForwardedFor, "1.1.1.1")
		req.Header.Add(HeaderForwardedFor, "198.51.100.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		_ = app.Shutdown()
		if err != nil || string(body) != tc.want {
			t.Errorf("trusted %v: Of = %q (%v), want %q", tc.trusted, body, err, tc.want)
		}
	}
}
