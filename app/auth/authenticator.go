package auth

import (
	"context"
	"errors"
	"fmt"
	"slices"
)

// Well-known users and groups, as the Kubernetes API server names them.
const (
	// AnonymousUser is the user of a request without credentials when
	// anonymous access is enabled.
	AnonymousUser = "system:anonymous"
	// UnauthenticatedGroup is the group of AnonymousUser.
	UnauthenticatedGroup = "system:unauthenticated"
	// AuthenticatedGroup is added to every authenticated user.
	AuthenticatedGroup = "system:authenticated"
)

// Anonymous is the user of a request without credentials when anonymous
// access is enabled.
func Anonymous() User {
	return User{Name: AnonymousUser, Groups: []string{UnauthenticatedGroup}}
}

// ErrUnrecognized is returned by a TokenAuthenticator for a token it does
// not handle (an OIDC authenticator given a token of another issuer): the
// next authenticator is tried.
var ErrUnrecognized = errors.New("token not recognized")

// TokenAuthenticator checks a bearer token.
type TokenAuthenticator interface {
	// AuthenticateToken returns the token's user, ErrUnrecognized when the
	// token is not this authenticator's, an *UnavailableError when it could
	// not decide, or another error when it refused the token. Errors never
	// contain the token.
	AuthenticateToken(ctx context.Context, token string) (User, error)
}

// UnavailableError says that an authenticator could not decide (its
// server did not answer). The request gets 503, not 401.
type UnavailableError struct {
	// Authenticator names the authenticator ("tokenreview", "oidc").
	Authenticator string
	// Err is the cause.
	Err error
}

// Error names the authenticator and the cause.
func (e *UnavailableError) Error() string {
	return fmt.Sprintf("%s authenticator unavailable: %v", e.Authenticator, e.Err)
}

// Unwrap returns the cause.
func (e *UnavailableError) Unwrap() error { return e.Err }

// Union tries each authenticator in turn, as the Kubernetes API server's
// union authenticator does: the first that accepts the token wins. When
// none does, the error joins every refusal; it is an *UnavailableError
// when one of them could not decide.
type Union []TokenAuthenticator

var _ TokenAuthenticator = Union(nil)

// AuthenticateToken implements TokenAuthenticator.
func (u Union) AuthenticateToken(ctx context.Context, token string) (User, error) {
	var errs []error
	var unavailable *UnavailableError
	for _, a := range u {
		user, err := a.AuthenticateToken(ctx, token)
		if err == nil {
			return user, nil
		}
		if errors.Is(err, ErrUnrecognized) {
			continue
		}
		if unavailable == nil {
			errors.As(err, &unavailable)
		}
		errs = append(errs, err)
	}
	if unavailable != nil {
		return User{}, unavailable
	}
	if len(errs) == 0 {
		return User{}, ErrUnrecognized
	}
	return User{}, errors.Join(errs...)
}

// withAuthenticated returns groups with AuthenticatedGroup added, as the
// API server adds it to every authenticated user.
func withAuthenticated(groups []string) []string {
	if slices.Contains(groups, AuthenticatedGroup) {
		return groups
	}
	return append(slices.Clip(groups), AuthenticatedGroup)
}
