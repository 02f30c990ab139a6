// Package clientip decides which address a request comes from. Behind a
// reverse proxy or an ingress controller every request's TCP peer is the
// proxy; the client is in X-Forwarded-For, which anyone can also write. So
// the header is read only when the peer is a trusted proxy, and from the
// right: each trusted proxy appends the address it got the request from,
// and the first address that is not itself a trusted proxy is the client
// (what nginx's real_ip_recursive does). Entries left of it are whatever
// the client claimed and are ignored.
//
// The audit record's source IP, the rate limit and the refused-token
// throttle of an unauthenticated client, and the WebSocket's per-client
// connection limit all use this address. Trusting an authenticating
// proxy's identity headers (package auth) is separate and looks only at
// the TCP peer.
package clientip

import (
	"net/netip"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// HeaderForwardedFor is the header trusted proxies append to.
const HeaderForwardedFor = "X-Forwarded-For"

const localKey = "aigw.client-ip"

// Resolver resolves client addresses behind its trusted proxies. The zero
// value trusts no proxy: the client is the TCP peer.
type Resolver struct {
	trusted []netip.Prefix
}

// New returns a Resolver that reads X-Forwarded-For from peers in trusted.
func New(trusted []netip.Prefix) *Resolver {
	return &Resolver{trusted: trusted}
}

// Middleware resolves every request's client address (Of reads it). Put it
// first.
func (r *Resolver) Middleware() fiber.Handler {
	return func(c *fiber.Ctx) error {
		r.Resolve(c)
		return c.Next()
	}
}

// Resolve decides c's client address, remembers it for Of and returns it.
func (r *Resolver) Resolve(c *fiber.Ctx) string {
	peer, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	var hops []string
	if r != nil && r.isTrusted(peer) {
		for _, v := range c.Request().Header.PeekAll(HeaderForwardedFor) {
			hops = append(hops, strings.Split(string(v), ",")...)
		}
	}
	ip := c.IP()
	if peer.IsValid() {
		ip = r.client(peer.Unmap(), hops).String()
	}
	c.Locals(localKey, ip)
	return ip
}

// client walks hops (X-Forwarded-For, left to right) from the right,
// starting at peer: while the address at hand is a trusted proxy, the hop
// it appended names who it got the request from.
func (r *Resolver) client(peer netip.Addr, hops []string) netip.Addr {
	at := peer
	for i := len(hops) - 1; i >= 0 && r.isTrusted(at); i-- {
		next, ok := parseHop(hops[i])
		if !ok {
			break // garbage: the last address known for sure stands
		}
		at = next
	}
	return at
}

func (r *Resolver) isTrusted(a netip.Addr) bool {
	if r == nil || !a.IsValid() {
		return false
	}
	a = a.Unmap()
	for _, p := range r.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// parseHop reads one X-Forwarded-For entry: an address, with or without a
// port ("192.0.2.1", "192.0.2.1:4711", "[2001:db8::1]:4711").
func parseHop(s string) (netip.Addr, bool) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil {
		return a.Unmap(), true
	}
	if ap, err := netip.ParseAddrPort(s); err == nil {
		return ap.Addr().Unmap(), true
	}
	return netip.Addr{}, false
}

// Of returns the client address resolved for c, or its TCP peer when no
// Resolver ran.
func Of(c *fiber.Ctx) string {
	if ip, ok := c.Locals(localKey).(string); ok {
		return ip
	}
	return c.IP()
}
