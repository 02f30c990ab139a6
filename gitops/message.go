package gitops

import (
	"context"
	"fmt"
	"strings"
	"unicode"

	"github.com/aigw-console/aigw-console/app/sink"
)

type ctxKey int

const (
	userKey ctxKey = iota
	policyKey
)

// WithUser returns a context that names the person acting; the commit
// made for the change carries it in an "Acting-User:" trailer.
func WithUser(ctx context.Context, name string) context.Context {
	return context.WithValue(ctx, userKey, name)
}

// UserFrom returns the acting user WithUser stored, or "".
func UserFrom(ctx context.Context) string {
	s, _ := ctx.Value(userKey).(string)
	return s
}

// WithPolicyResult returns a context that carries the outcome of the
// policy checks the change passed (e.g. "passed: 4 rules"); the commit
// message records it in a "Policy:" trailer. Without it the trailer says
// "not recorded".
func WithPolicyResult(ctx context.Context, result string) context.Context {
	return context.WithValue(ctx, policyKey, result)
}

func policyFrom(ctx context.Context) string {
	s, _ := ctx.Value(policyKey).(string)
	return s
}

// fileChange is what happened to one file of the tree.
type fileChange struct {
	ref    sink.Ref
	path   string
	action sink.Action
}

// commitMessage says what changed: the summary as the subject, one line
// per object, then the trailers (policy result, acting user). Everything
// that comes from a request is reduced to one printable line, so nobody can
// forge a trailer through a summary or a user name.
func commitMessage(ctx context.Context, summary string, changes []fileChange) string {
	var b strings.Builder
	subject := oneLine(summary, 200)
	if subject == "" {
		subject = fmt.Sprintf("aigw-console: change %d object(s)", len(changes))
	}
	b.WriteString(subject)
	b.WriteString("\n\n")
	for _, c := range changes {
		fmt.Fprintf(&b, "%s %s (%s)\n", c.action, c.ref, c.path)
	}
	b.WriteString("\n")
	policy := oneLine(policyFrom(ctx), 200)
	if policy == "" {
		policy = "not recorded"
	}
	fmt.Fprintf(&b, "Policy: %s\n", policy)
	if user := oneLine(UserFrom(ctx), 200); user != "" {
		fmt.Fprintf(&b, "Acting-User: %s\n", user)
	}
	return b.String()
}

// oneLine replaces control characters (newlines included) with spaces,
// collapses runs of spaces and cuts s to at most n runes.
func oneLine(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		s = string(r[:n])
	}
	return s
}
