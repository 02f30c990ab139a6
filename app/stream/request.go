package stream

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aigw-console/aigw-console/app/hub"
)

// Limits of a subscribe message's fields.
const (
	maxIDLength              = 64
	maxKinds                 = 16
	maxResourceVersionLength = 128
)

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

// RequestError is a client message the server cannot act on. It becomes an
// error message; the connection stays up.
type RequestError struct {
	// ID is the subscription id, when the message had a usable one.
	ID string
	// Code is one of the Code constants.
	Code string
	// Message explains the error.
	Message string
}

// Error returns the message.
func (e *RequestError) Error() string { return e.Code + ": " + e.Message }

// parseRequest decodes and validates one client message. kinds lists the
// kinds a subscription may name; nil accepts any.
func parseRequest(data []byte, kinds []string) (Request, error) {
	var r Request
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return r, &RequestError{Code: CodeInvalidMessage, Message: "not a message of this protocol: " + jsonProblem(err)}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return r, &RequestError{Code: CodeInvalidMessage, Message: "not a message of this protocol: data after the JSON object"}
	}
	var bad error
	switch {
	case r.ID == "":
		bad = errors.New("id is required")
	case len(r.ID) > maxIDLength || !idPattern.MatchString(r.ID):
		bad = fmt.Errorf("id: must be 1 to %d letters, digits or ._:-", maxIDLength)
	}
	switch r.Type {
	case TypeSubscribe:
		if bad != nil {
			return r, &RequestError{Code: CodeInvalidSubscription, Message: bad.Error()}
		}
		if err := validateSubscribe(r, kinds); err != nil {
			return r, &RequestError{ID: r.ID, Code: CodeInvalidSubscription, Message: err.Error()}
		}
	case TypeUnsubscribe:
		if bad != nil {
			return r, &RequestError{Code: CodeInvalidMessage, Message: bad.Error()}
		}
		if len(r.Kinds) > 0 || r.Namespace != "" || r.Name != "" || r.LabelSelector != "" || r.ResourceVersion != "" {
			return r, &RequestError{ID: r.ID, Code: CodeInvalidMessage, Message: "unsubscribe takes only type and id"}
		}
	case "":
		return r, &RequestError{Code: CodeInvalidMessage, Message: "type is required: subscribe or unsubscribe"}
	default:
		return r, &RequestError{Code: CodeInvalidMessage, Message: fmt.Sprintf("unknown type %q: want subscribe or unsubscribe", r.Type)}
	}
	return r, nil
}

// jsonProblem describes a decoding error without echoing the message.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("invalid JSON at byte %d", syn.Offset)
	case errors.As(err, &typ):
		return fmt.Sprintf("field %s must be %s", typ.Field, typ.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	case errors.Is(err, io.EOF):
		return "empty message"
	}
	return "invalid JSON"
}

func validateSubscribe(r Request, kinds []string) error {
	if len(r.Kinds) == 0 {
		return fmt.Errorf("kinds is required: one or more of %s", strings.Join(kinds, ", "))
	}
	if len(r.Kinds) > maxKinds {
		return fmt.Errorf("kinds: at most %d", maxKinds)
	}
	for i, k := range r.Kinds {
		if kinds != nil && !slices.Contains(kinds, k) {
			return fmt.Errorf("kinds[%d]: unknown kind %q; want one of %s", i, k, strings.Join(kinds, ", "))
		}
	}
	if r.Namespace != "" {
		if errs := validation.IsDNS1123Label(r.Namespace); len(errs) > 0 {
			return fmt.Errorf("namespace: %s", errs[0])
		}
	}
	if r.Name != "" {
		if errs := validation.IsDNS1123Subdomain(r.Name); len(errs) > 0 {
			return fmt.Errorf("name: %s", errs[0])
		}
	}
	if r.LabelSelector != "" {
		if _, err := labels.Parse(r.LabelSelector); err != nil {
			return fmt.Errorf("labelSelector: %w", err)
		}
	}
	if len(r.ResourceVersion) > maxResourceVersionLength {
		return fmt.Errorf("resourceVersion: at most %d characters", maxResourceVersionLength)
	}
	return nil
}

// selection is what a subscribe asks for.
type selection struct {
	kinds     []string
	namespace string
	name      string
	labels    labels.Selector // nil: any
}

// newSelection builds the selection of a validated subscribe.
func newSelection(r Request) selection {
	s := selection{kinds: slices.Clone(r.Kinds), namespace: r.Namespace, name: r.Name}
	if r.LabelSelector != "" {
		s.labels, _ = labels.Parse(r.LabelSelector) // validated
	}
	return s
}

// filter is the selection as a hub filter.
func (s selection) filter() hub.Filter {
	return func(e hub.Event) bool {
		return slices.Contains(s.kinds, e.Key.Kind) &&
			(s.namespace == "" || e.Key.Namespace == s.namespace) &&
			(s.name == "" || e.Key.Name == s.name) &&
			(s.labels == nil || s.labels.Matches(labels.Set(e.Labels)))
	}
}
