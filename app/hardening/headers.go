package hardening

import "github.com/gofiber/fiber/v2"

// SecurityHeaders is middleware that sets the security headers on every
// answer: no MIME sniffing, no framing, no referrer, no caching, and HSTS
// when the connection is TLS.
func SecurityHeaders() fiber.Handler {
	return func(c *fiber.Ctx) error {
		SetSecurityHeaders(c)
		return c.Next()
	}
}

// SetSecurityHeaders sets SecurityHeaders' headers on c's answer: for an
// answer the HTTP server gives before any middleware runs.
func SetSecurityHeaders(c *fiber.Ctx) {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	c.Set(fiber.HeaderContentSecurityPolicy, "frame-ancestors 'none'")
	c.Set(fiber.HeaderXFrameOptions, "DENY")
	c.Set(fiber.HeaderReferrerPolicy, "no-referrer")
	c.Set(fiber.HeaderCacheControl, "no-store")
	if c.Context().IsTLS() {
		c.Set(fiber.HeaderStrictTransportSecurity, "max-age=31536000")
	}
}
