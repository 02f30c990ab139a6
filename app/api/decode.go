package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"
)

// decodeJSON strictly decodes the request body into out: the body must be
// JSON (415 otherwise), one value, with no unknown fields and the right types
// (400 with the field path otherwise).
func decodeJSON(c *fiber.Ctx, out any) error {
	ct := strings.ToLower(strings.TrimSpace(strings.SplitN(c.Get(fiber.HeaderContentType), ";", 2)[0]))
	if ct != fiber.MIMEApplicationJSON {
		return newProblem(fiber.StatusUnsupportedMediaType, "UnsupportedMediaType",
			fmt.Sprintf("the body must be application/json, got %s", quote(ct)))
	}
	// sigs.k8s.io/json matches field names case-sensitively (encoding/json
	// would take "apikey" for "apiKey") and reports unknown and duplicate
	// fields, as the API server does.
	strict, err := sigsjson.UnmarshalStrict(c.Body(), out, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields)
	if err != nil {
		return jsonProblem(err)
	}
	if len(strict) > 0 {
		return strictProblem(strict)
	}
	return nil
}

// strictProblem reports unknown or duplicate fields, one cause each.
func strictProblem(errs []error) error {
	causes := make([]Cause, 0, len(errs))
	msgs := make([]string, 0, len(errs))
	for _, e := range errs {
		msg := e.Error()
		field, reason := "", "FieldValueNotSupported"
		if i := strings.Index(msg, `unknown field "`); i >= 0 {
			field = strings.TrimSuffix(msg[i+len(`unknown field "`):], `"`)
			msg = "unknown field"
		} else if i := strings.Index(msg, `duplicate field "`); i >= 0 {
			field = strings.TrimSuffix(msg[i+len(`duplicate field "`):], `"`)
			msg, reason = "duplicate field", "FieldValueDuplicate"
		}
		causes = append(causes, Cause{Field: field, Message: msg, Reason: reason})
		msgs = append(msgs, msg+" "+quote(field))
	}
	code := "UnknownField"
	if causes[0].Reason == "FieldValueDuplicate" {
		code = "DuplicateField"
	}
	return newProblem(fiber.StatusBadRequest, code, strings.Join(msgs, "; "), causes...)
}

// jsonProblem turns an encoding/json error into a 400 naming the field.
func jsonProblem(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return newProblem(fiber.StatusBadRequest, "MalformedJSON", fmt.Sprintf("malformed JSON at byte %d: %v", syn.Offset, syn))
	case errors.As(err, &typ):
		path := typ.Field
		if path == "" {
			path = "(body)"
		}
		msg := fmt.Sprintf("must be %s, not a JSON %s", typeName(typ.Type.String()), typ.Value)
		return newProblem(fiber.StatusBadRequest, "InvalidType", path+": "+msg,
			Cause{Field: path, Message: msg, Reason: "FieldValueTypeInvalid"})
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return newProblem(fiber.StatusBadRequest, "MalformedJSON", "the body is empty or cut short")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return newProblem(fiber.StatusBadRequest, "UnknownField", fmt.Sprintf("unknown field %s", quote(name)),
			Cause{Field: name, Message: "unknown field", Reason: "FieldValueNotSupported"})
	default:
		return newProblem(fiber.StatusBadRequest, "MalformedJSON", "malformed JSON: "+err.Error())
	}
}

func typeName(goType string) string {
	switch {
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "an integer"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case goType == "string":
		return "a string"
	case goType == "bool":
		return "a boolean"
	case strings.HasPrefix(goType, "[]"):
		return "an array"
	default:
		return "an object"
	}
}

// invalid is the 422 answer for Go validation errors, one cause per field.
func invalid(what string, errs field.ErrorList) error {
	causes := make([]Cause, 0, len(errs))
	for _, e := range errs {
		causes = append(causes, Cause{Field: e.Field, Message: e.ErrorBody(), Reason: string(e.Type)})
	}
	detail := fmt.Sprintf("%s is invalid: %s", what, errs.ToAggregate().Error())
	if len(detail) > 2000 {
		detail = detail[:2000] + "…"
	}
	return newProblem(fiber.StatusUnprocessableEntity, "Invalid", detail, causes...)
}

// boolQuery parses an optional true/false query parameter.
func boolQuery(c *fiber.Ctx, name string) (bool, error) {
	v := c.Query(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, newProblem(fiber.StatusBadRequest, "InvalidQuery", fmt.Sprintf("?%s must be true or false, got %s", name, quote(v)),
			Cause{Field: name, Message: "must be true or false", Reason: "FieldValueInvalid"})
	}
	return b, nil
}

// ifMatch returns the resourceVersion of an If-Match header ("" when
// absent). "*" means any version, so it is treated as absent.
func ifMatch(c *fiber.Ctx) string {
	v := strings.TrimSpace(c.Get(fiber.HeaderIfMatch))
	v = strings.TrimPrefix(v, "W/")
	v = strings.Trim(v, `"`)
	if v == "*" {
		return ""
	}
	return v
}
