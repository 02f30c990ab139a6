package auth

import (
	"net/netip"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
)

// Headers an authenticating proxy sets, as the Kubernetes API server's
// request-header authenticator reads them.
const (
	HeaderRemoteUser        = "X-Remote-User"
	HeaderRemoteGroup       = "X-Remote-Group"
	HeaderRemoteExtraPrefix = "X-Remote-Extra-"
)

// Proxy trusts the user an authenticating proxy names in X-Remote-User,
// X-Remote-Group (repeatable) and X-Remote-Extra-<key>, but only on
// connections from Sources. From anywhere else the headers are ignored
// and removed from the request.
type Proxy struct {
	// Sources are the proxies' addresses.
	Sources []netip.Prefix
}

// trusted reports whether addr is one of the proxies.
func (p Proxy) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, s := range p.Sources {
		if s.Contains(addr) {
			return true
		}
	}
	return false
}

// user returns the user named by the request's headers, if the request
// comes from a trusted proxy and names one. Headers from an untrusted
// source are removed so that nothing later mistakes them for an identity.
func (p Proxy) user(c *fiber.Ctx) (User, bool) {
	h := &c.Request().Header
	addr, _ := netip.AddrFromSlice(c.Context().RemoteIP())
	if len(p.Sources) == 0 || !p.trusted(addr) {
		stripProxyHeaders(h)
		return User{}, false
	}
	name := strings.TrimSpace(string(h.Peek(HeaderRemoteUser)))
	if name == "" {
		return User{}, false
	}
	u := User{Name: name}
	for _, g := range h.PeekAll(HeaderRemoteGroup) {
		if g := strings.TrimSpace(string(g)); g != "" {
			u.Groups = append(u.Groups, g)
		}
	}
	u.Groups = withAuthenticated(u.Groups)
	h.VisitAll(func(k, v []byte) {
		key, ok := cutPrefixFold(string(k), HeaderRemoteExtraPrefix)
		if !ok || key == "" {
			return
		}
		// As the API server: the key is lower-cased and percent-decoded.
		if unescaped, err := url.PathUnescape(key); err == nil {
			key = unescaped
		}
		key = strings.ToLower(key)
		if u.Extra == nil {
			u.Extra = map[string][]string{}
		}
		u.Extra[key] = append(u.Extra[key], string(v))
	})
	return u, true
}

func stripProxyHeaders(h *fasthttp.RequestHeader) {
	h.Del(HeaderRemoteUser)
	h.Del(HeaderRemoteGroup)
	var extra []string
	h.VisitAll(func(k, _ []byte) {
		if _, ok := cutPrefixFold(string(k), HeaderRemoteExtraPrefix); ok {
			extra = append(extra, string(k))
		}
	})
	for _, k := range extra {
		h.Del(k)
	}
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) < len(prefix) || !strings.EqualFold(s[:len(prefix)], prefix) {
		return "", false
	}
	return s[len(prefix):], true
}
