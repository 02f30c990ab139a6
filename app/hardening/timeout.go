package hardening

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
)

// Timeout is middleware that bounds each request to d: the request's
// context ends after d, so calls to the API server, Git and the policies
// stop, and a request that fails after that (an error, or an answer of 500 or
// more) is answered 504 Gateway Timeout. Paths with one of the exempt
// prefixes (the WebSocket stream) are not bounded. d <= 0 turns it off.
func Timeout(d time.Duration, exempt ...string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if d <= 0 {
			return c.Next()
		}
		for _, p := range exempt {
			if strings.HasPrefix(c.Path(), p) {
				return c.Next()
			}
		}
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		c.SetUserContext(ctx)
		err := c.Next()
		// A failure after the deadline is the deadline's doing, whether it
		// came back as an error or was answered already (e.g. 503 from an
		// authenticator whose review was cut short).
		failed := err != nil || c.Response().StatusCode() >= fiber.StatusInternalServerError
		if failed && errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fiber.NewError(fiber.StatusGatewayTimeout, "the request did not finish within "+d.String()+" (--request-timeout)")
		}
		return err
	}
}
