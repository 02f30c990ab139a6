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
		if failed && deadlineFailure(ctx, err) {
			return fiber.NewError(fiber.StatusGatewayTimeout, "the request did not finish within "+d.String()+" (--request-timeout)")
		}
		return err
	}
}

// deadlineFailure reports whether a failure is the deadline's doing: the
// deadline has passed (ctx.Err() stays nil until the context's timer has
// run, which on a busy machine can be after the failure comes back), or a
// rate limiter refused to wait because the wait would pass it. client-go's
// client-side throttle (golang.org/x/time/rate) fails at once with
// "rate: Wait(n=1) would exceed context deadline", an error that wraps
// nothing.
func deadlineFailure(ctx context.Context, err error) bool {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	if deadline, ok := ctx.Deadline(); ok && !time.Now().Before(deadline) {
		return true
	}
	return err != nil && strings.Contains(err.Error(), "would exceed context deadline")
}
