package api

import (
	"fmt"

	"github.com/aigw-console/aigw-console/policy"
)

// policyResult sums up a decision that allowed a change, for commit
// messages and pull requests: "passed", or "passed with N warning(s)",
// and the policy revision. It never carries object content.
func policyResult(dec policy.Decision) string {
	out := "passed"
	if n := len(dec.Warn); n > 0 {
		out = fmt.Sprintf("passed with %d warning(s)", n)
	}
	if dec.Revision != "" {
		out += " (policy revision " + dec.Revision + ")"
	}
	return out
}
