package hardening

import (
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// CORS headers the console allows and exposes to allowed origins.
const (
	corsAllowMethods  = "GET, POST, PUT, DELETE, OPTIONS"
	corsAllowHeaders  = "Authorization, Content-Type, If-Match, X-Request-Id"
	corsExposeHeaders = "ETag, Retry-After, X-Request-Id"
	corsMaxAge        = "600"
)

// CORS is middleware for cross-origin browser requests. A request whose
// Origin is in allowed ("*" allows any) or is the console's own origin gets
// the CORS headers; a preflight (OPTIONS with Access-Control-Request-Method)
// from an allowed origin is answered 204. A request from any other origin
// gets no CORS headers, and a preflight or a write (POST, PUT, PATCH,
// DELETE) from it is refused with 403. Requests without Origin (not from a
// browser) pass unchanged.
func CORS(allowed []string) fiber.Handler {
	anyOrigin := false
	set := map[string]bool{}
	for _, o := range allowed {
		if o == "*" {
			anyOrigin = true
		}
		set[strings.TrimRight(strings.ToLower(o), "/")] = true
	}
	return func(c *fiber.Ctx) error {
		origin := c.Get(fiber.HeaderOrigin)
		if origin == "" {
			return c.Next()
		}
		preflight := c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != ""
		if !anyOrigin && !set[strings.ToLower(origin)] && !sameOrigin(c, origin) {
			if preflight || writeMethod(c.Method()) {
				return fiber.NewError(fiber.StatusForbidden, "origin "+origin+" is not allowed (--cors-allowed-origins)")
			}
			return c.Next()
		}
		c.Vary(fiber.HeaderOrigin)
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
		if preflight {
			c.Set(fiber.HeaderAccessControlAllowMethods, corsAllowMethods)
			c.Set(fiber.HeaderAccessControlAllowHeaders, corsAllowHeaders)
			c.Set(fiber.HeaderAccessControlMaxAge, corsMaxAge)
			return c.SendStatus(fiber.StatusNoContent)
		}
		c.Set(fiber.HeaderAccessControlExposeHeaders, corsExposeHeaders)
		return c.Next()
	}
}

// sameOrigin reports whether origin is the console's own scheme and host.
func sameOrigin(c *fiber.Ctx, origin string) bool {
	u, err := url.Parse(origin)
	if err != nil {
		return false
	}
	return strings.EqualFold(u.Scheme, c.Protocol()) && strings.EqualFold(u.Host, c.Hostname())
}

func writeMethod(m string) bool {
	switch m {
	case fiber.MethodPost, fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete:
		return true
	}
	return false
}
