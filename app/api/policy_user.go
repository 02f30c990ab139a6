package api

import (
	"context"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/policy"
)

// policyUser is the authenticated caller as policies see it: empty when
// authentication is disabled.
func policyUser(ctx context.Context) policy.User {
	u, ok := auth.FromContext(ctx)
	if !ok {
		return policy.User{}
	}
	return policy.User{Name: u.Name, Groups: append([]string(nil), u.Groups...)}
}
