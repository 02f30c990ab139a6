package policy

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// Violation is one deny or warn result of a policy. It has the same
// path-and-message shape as the console's Go validation errors, so the API can
// return both in one list.
type Violation struct {
	// Field names the object and the field, "<Kind>/<name>: <field path>",
	// e.g. "AIServiceBackend/openai: spec.schema.name". It is empty for a
	// violation about the policy itself (a malformed result).
	Field string `json:"field"`
	// Message tells the user what is wrong and how to fix it.
	Message string `json:"message"`
	// Policy is the Rego package that produced the violation, e.g. "aigw.tls".
	Policy string `json:"policy"`
}

// Decision is the outcome of evaluating every policy package under data.aigw
// against one Input.
type Decision struct {
	// Deny lists the violations that block the request, sorted by field, then
	// message, then policy.
	Deny []Violation `json:"deny"`
	// Warn lists the violations the user should see but that do not block
	// the request, in the same order as Deny.
	Warn []Violation `json:"warn"`
	// Revision is the Engine.Revision of the policy set that made this
	// decision; audit records store it. Read it here rather than from the
	// Engine, which may have reloaded since.
	Revision string `json:"revision"`
}

// Allowed reports whether no policy denied the request.
func (d Decision) Allowed() bool { return len(d.Deny) == 0 }

// Err returns a *DeniedError carrying the denials, or nil when the request is
// allowed, so a handler can return it to the HTTP error mapping as is.
func (d Decision) Err() error {
	if d.Allowed() {
		return nil
	}
	return &DeniedError{Violations: d.Deny, Revision: d.Revision}
}

// DeniedError reports a request that one or more policies denied.
type DeniedError struct {
	// Violations are the Decision's denials.
	Violations []Violation
	// Revision is the policy revision that denied the request.
	Revision string
}

// Error lists the denials as "field: message" pairs.
func (e *DeniedError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "denied by policy (%d violation", len(e.Violations))
	if len(e.Violations) != 1 {
		b.WriteByte('s')
	}
	b.WriteString(")")
	for i, v := range e.Violations {
		if i == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		if v.Field != "" {
			b.WriteString(v.Field)
			b.WriteString(": ")
		}
		b.WriteString(v.Message)
	}
	return b.String()
}

// collect adds the value of one deny or warn rule of package pkg. value is the
// rule's value as OPA returns it: a set becomes a []any. Anything that is not a
// set of {"msg": string, "field": string} objects is reported as a denial
// naming the package, so a broken team policy fails closed instead of
// crashing or being ignored.
func (d *Decision) collect(pkg, rule string, value any) {
	items, ok := value.([]any)
	if !ok {
		d.Deny = append(d.Deny, malformed(pkg, rule, "is %s, want a set of objects", describe(value)))
		return
	}
	for _, item := range items {
		v, problem := violation(item)
		if problem != "" {
			d.Deny = append(d.Deny, malformed(pkg, rule, "has an element %s", problem))
			continue
		}
		v.Policy = pkg
		if rule == "warn" {
			d.Warn = append(d.Warn, v)
		} else {
			d.Deny = append(d.Deny, v)
		}
	}
}

// violation converts one element of a deny or warn set. It returns a
// description of the problem when the element does not have the fixed shape.
// Keys other than msg and field are ignored, so policies may carry extra data.
func violation(item any) (Violation, string) {
	obj, ok := item.(map[string]any)
	if !ok {
		return Violation{}, describe(item)
	}
	msg, ok := obj["msg"].(string)
	if !ok || msg == "" {
		return Violation{}, describe(item) + ` without a non-empty string "msg"`
	}
	field, ok := obj["field"].(string)
	if !ok {
		return Violation{}, describe(item) + ` without a string "field"`
	}
	return Violation{Field: field, Message: msg}, ""
}

func malformed(pkg, rule, format string, args ...any) Violation {
	return Violation{
		Message: fmt.Sprintf("policy %s is malformed: %s ", pkg, rule) + fmt.Sprintf(format, args...) +
			` shaped {"msg": string, "field": string}`,
		Policy: pkg,
	}
}

// describe names a JSON value's type and shows a short excerpt of it.
func describe(v any) string {
	kind := "a value"
	switch v.(type) {
	case nil:
		return "null"
	case string:
		kind = "a string"
	case bool:
		kind = "a boolean"
	case json.Number, float64, int, int64:
		kind = "a number"
	case []any:
		kind = "an array"
	case map[string]any:
		kind = "an object"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return kind
	}
	const maxExcerpt = 60
	if len(b) > maxExcerpt {
		b = append(b[:maxExcerpt:maxExcerpt], "..."...)
	}
	return kind + " " + string(b)
}

// sort orders both lists by field, then message, then policy, so the same
// input always gives the same Decision whatever order OPA produced.
func (d *Decision) sort() {
	byField := func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message), cmp.Compare(a.Policy, b.Policy))
	}
	slices.SortFunc(d.Deny, byField)
	slices.SortFunc(d.Warn, byField)
}
