package api

import (
	"github.com/gofiber/fiber/v2"
)

// healthz answers 200 while the process serves requests.
func healthz() fiber.Handler {
	return func(c *fiber.Ctx) error {
		return c.SendString("ok")
	}
}

// readyz answers 200 once ready reports no error, 503 with the reason
// otherwise (for example while the informer caches sync).
func readyz(ready func() error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if err := ready(); err != nil {
			return c.Status(fiber.StatusServiceUnavailable).SendString("not ready: " + err.Error())
		}
		return c.SendString("ok")
	}
}
