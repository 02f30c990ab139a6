package api

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPIJSON is the OpenAPI 3.1 document of the whole HTTP API, written by
// hand next to the route table. openapi_test.go keeps the two in step: every
// registered route is documented, every documented operation is registered,
// and every example validates against its schema.
//
//go:embed openapi.json
var openAPIJSON []byte

// openAPIDocument serves GET /api/v1/openapi.json: the embedded document, as
// is.
func openAPIDocument() fiber.Handler {
	return func(c *fiber.Ctx) error {
		c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
		return c.Send(openAPIJSON)
	}
}
