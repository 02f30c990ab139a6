package api

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aigw-console/aigw-console/app/audit"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/policy"
)

// Problem is the body of every error answer: an RFC 9457 problem document
// extended with a machine-readable code and per-field causes.
type Problem struct {
	// Type is a URI naming the problem type ("about:blank" for plain HTTP
	// errors).
	Type string `json:"type"`
	// Title is the HTTP status text.
	Title string `json:"title"`
	// Status is the HTTP status code.
	Status int `json:"status"`
	// Detail explains this occurrence for a person.
	Detail string `json:"detail,omitempty"`
	// Code is a stable machine-readable identifier, e.g. "NotFound".
	Code string `json:"code"`
	// Causes lists the fields at fault, when there are any.
	Causes []Cause `json:"causes,omitempty"`
}

// Cause is one field-level reason for an error.
type Cause struct {
	// Field is the path of the offending field, e.g. "spec.rules[0].name".
	Field string `json:"field,omitempty"`
	// Message says what is wrong with it.
	Message string `json:"message"`
	// Reason is a machine-readable classification, e.g. "FieldValueInvalid".
	Reason string `json:"reason,omitempty"`
}

// ProblemError is an error that carries its HTTP answer. Handlers and the
// packages below them return it for client mistakes.
type ProblemError struct {
	Problem Problem
	// Err is the underlying error, logged but never shown to the client.
	Err error
}

// Error returns the problem's detail.
func (e *ProblemError) Error() string { return e.Problem.Detail }

// Unwrap returns the underlying error.
func (e *ProblemError) Unwrap() error { return e.Err }

// newProblem builds a ProblemError for a status, code and detail.
func newProblem(status int, code, detail string, causes ...Cause) *ProblemError {
	return &ProblemError{Problem: Problem{
		Type:   "about:blank",
		Title:  http.StatusText(status),
		Status: status,
		Code:   code,
		Detail: detail,
		Causes: causes,
	}}
}

// toProblem maps any error to the answer the client sees. This is the only
// place where errors are translated to HTTP.
func toProblem(err error) (*Problem, bool) {
	var pe *ProblemError
	if errors.As(err, &pe) {
		return &pe.Problem, false
	}
	if p, ok := sinkProblem(err); ok {
		return p, false
	}
	if p, ok := gitopsProblem(err); ok {
		return p, p.Status >= 500
	}
	var denied *policy.DeniedError
	if errors.As(err, &denied) {
		p := newProblem(http.StatusUnprocessableEntity, "PolicyDenied", denied.Error()).Problem
		for _, v := range denied.Violations {
			p.Causes = append(p.Causes, Cause{Field: v.Field, Message: v.Message, Reason: "PolicyDenied:" + v.Policy})
		}
		return &p, false
	}
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return &newProblem(fe.Code, statusCode(fe.Code), fe.Message).Problem, fe.Code >= 500
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		st := se.Status()
		status := int(st.Code)
		if status == 0 {
			status = http.StatusInternalServerError
		}
		p := newProblem(status, string(st.Reason), st.Message).Problem
		if st.Details != nil {
			for _, c := range st.Details.Causes {
				p.Causes = append(p.Causes, Cause{Field: c.Field, Message: c.Message, Reason: string(c.Type)})
			}
		}
		if st.Reason == metav1.StatusReasonUnknown || st.Reason == "" {
			p.Code = statusCode(status)
		}
		return &p, status >= 500
	}
	return &newProblem(http.StatusInternalServerError, "InternalError", "internal error; see the console's log").Problem, true
}

// sinkProblem maps the sink's typed errors.
func sinkProblem(err error) (*Problem, bool) {
	var conflict *sink.ConflictError
	var pre *sink.PreconditionError
	var inv *sink.InvalidError
	switch {
	case errors.As(err, &conflict):
		p := newProblem(http.StatusConflict, "Conflict", conflict.Error()).Problem
		for _, c := range conflict.Conflicts {
			p.Causes = append(p.Causes, Cause{Field: c.Field, Message: "owned by field manager " + strconv.Quote(c.Manager), Reason: "FieldManagerConflict"})
		}
		return &p, true
	case errors.As(err, &pre):
		return &newProblem(http.StatusPreconditionFailed, "PreconditionFailed", pre.Error()).Problem, true
	case errors.As(err, &inv):
		p, _ := toProblem(inv.Err)
		if p.Status >= 500 {
			return p, true
		}
		q := *p
		q.Status, q.Title, q.Code = http.StatusUnprocessableEntity, http.StatusText(http.StatusUnprocessableEntity), "Invalid"
		q.Detail = inv.Error()
		return &q, true
	}
	return nil, false
}

// statusCode is the code of a plain HTTP error: its status text in
// CamelCase ("RequestEntityTooLarge").
func statusCode(status int) string {
	return strings.ReplaceAll(strings.ReplaceAll(http.StatusText(status), " ", ""), "-", "")
}

// errorHandler is fiber's ErrorHandler: it writes the problem document and
// logs server-side failures with their cause. A request without a request
// ID never went through the middleware (the HTTP server refused it before
// routing): unrouted, when set, is told first.
func errorHandler(logger *slog.Logger, unrouted func(c *fiber.Ctx, status int, code, detail string)) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		p, internal := toProblem(err)
		if internal {
			logger.Error("request failed", "method", c.Method(), "path", c.Path(), "status", p.Status, "error", err)
		}
		if unrouted != nil && audit.RequestIDOf(c) == "" {
			unrouted(c, p.Status, p.Code, p.Detail)
		}
		if ra := retryAfter(p); ra != "" {
			c.Set(fiber.HeaderRetryAfter, ra)
		}
		c.Set(fiber.HeaderContentType, "application/problem+json")
		return c.Status(p.Status).JSON(p, "application/problem+json")
	}
}
