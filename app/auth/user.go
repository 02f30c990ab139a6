// Package auth identifies the caller of a request. The authentication
// middleware puts the User into the request's context; everything after it
// (authorization, impersonated writes, policy input, audit records, commit
// trailers) reads it back with FromContext.
package auth

import (
	"context"
	"time"
)

// User is an authenticated caller, as the Kubernetes API server would see
// it: the fields map one to one onto impersonation headers and onto
// SubjectAccessReview's user, groups, uid and extra.
type User struct {
	// Name is the user name, prefixes applied (e.g. "oidc:alice",
	// "system:serviceaccount:team-a:ci").
	Name string `json:"name"`
	// UID is the user's UID, when the authenticator gives one.
	UID string `json:"uid,omitempty"`
	// Groups are the user's groups, prefixes applied.
	Groups []string `json:"groups"`
	// Extra are the authenticator's extra attributes.
	Extra map[string][]string `json:"extra,omitempty"`
	// ExpiresAt is when the credential stops being valid, when the
	// authenticator knows it: an OIDC token's exp, or the exp of a
	// Kubernetes token that is a JWT (service account tokens). A WebSocket
	// connection authenticated with it is closed then. Zero: unknown.
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
}

type ctxKey struct{}

// NewContext returns ctx carrying u.
func NewContext(ctx context.Context, u User) context.Context {
	return context.WithValue(ctx, ctxKey{}, u)
}

// FromContext returns the user ctx carries, and false when there is none
// (a request that was not authenticated, or authentication is disabled).
func FromContext(ctx context.Context) (User, bool) {
	u, ok := ctx.Value(ctxKey{}).(User)
	return u, ok
}
