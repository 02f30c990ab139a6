package api

import (
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/util/validation"
)

// namespaceParam returns ?namespace=, or def when it is absent; a present
// value must be a DNS-1123 label.
func namespaceParam(c *fiber.Ctx, def string) (string, error) {
	ns := c.Query("namespace")
	if ns == "" {
		return def, nil
	}
	if errs := validation.IsDNS1123Label(ns); len(errs) > 0 {
		return "", newProblem(fiber.StatusBadRequest, "InvalidNamespace", "invalid namespace "+quote(ns)+": "+strings.Join(errs, "; "),
			Cause{Field: "namespace", Message: strings.Join(errs, "; "), Reason: "FieldValueInvalid"})
	}
	return ns, nil
}

// nameParam returns the {name} path segment, which must be a DNS-1123
// subdomain.
func nameParam(c *fiber.Ctx) (string, error) {
	name := c.Params("name")
	if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
		return "", newProblem(fiber.StatusBadRequest, "InvalidName", "invalid name "+quote(name)+": "+strings.Join(errs, "; "),
			Cause{Field: "metadata.name", Message: strings.Join(errs, "; "), Reason: "FieldValueInvalid"})
	}
	return name, nil
}

// quote quotes s for a message, cutting it short so a huge input cannot
// blow up an error answer.
func quote(s string) string {
	if len(s) > 80 {
		s = s[:80] + "…"
	}
	return strconv.Quote(s)
}
