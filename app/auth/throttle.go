package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"math"
	"time"

	utilcache "k8s.io/apimachinery/pkg/util/cache"
)

// DefaultFailuresPerMinute is the console's default budget of refused
// bearer tokens per client address and minute (--auth-failures-per-minute).
const DefaultFailuresPerMinute = 30

// Throttle slows down a client that keeps presenting credentials that are
// refused: someone guessing tokens, or a client stuck on an expired one,
// which would otherwise cost a TokenReview on the API server each time.
// Once a client has spent its budget of refusals, its credentials are not
// checked at all until the budget refills (package hardening's Limiter).
type Throttle interface {
	// Wait is how long client must wait before its credentials are
	// checked again; 0: now.
	Wait(client string) time.Duration
	// Refused counts one refused credential of client.
	Refused(client string)
}

// ThrottledError answers a client whose credentials are not checked
// because it had too many refused: 429 with Retry-After.
type ThrottledError struct {
	RetryAfter time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("too many refused credentials from this client; retry in %s", e.RetryAfterSeconds())
}

// RetryAfterSeconds is RetryAfter rounded up to whole seconds (at least 1),
// as Retry-After carries it.
func (e *ThrottledError) RetryAfterSeconds() time.Duration {
	return time.Duration(math.Max(1, math.Ceil(e.RetryAfter.Seconds()))) * time.Second
}

type clientKey struct{}

// WithClient returns ctx naming the client (its address) that presents
// credentials, for a Throttle.
func WithClient(ctx context.Context, client string) context.Context {
	return context.WithValue(ctx, clientKey{}, client)
}

// ClientFrom returns the client WithClient put into ctx ("" when none).
func ClientFrom(ctx context.Context) string {
	s, _ := ctx.Value(clientKey{}).(string)
	return s
}

// Recently accepted tokens are checked even from a throttled client, so
// that one client's refused tokens cannot lock out the others that share
// its address (behind a NAT, or a proxy the console does not see through):
// at most this many, for this long, remembered by their SHA-256.
const (
	acceptedTokens   = 10000
	acceptedTokenTTL = time.Hour
)

// Throttled returns tokens guarded by t per client (ClientFrom): a client
// that must wait gets a *ThrottledError without its token being checked,
// unless the token was accepted within the last hour, and every refused
// token counts against it. A token that could not be checked
// (UnavailableError) is not the client's fault and does not count. Without
// t, or without a client in ctx, tokens is used as is.
func Throttled(tokens TokenAuthenticator, t Throttle) TokenAuthenticator {
	if t == nil {
		return tokens
	}
	return throttled{tokens: tokens, t: t, accepted: utilcache.NewLRUExpireCache(acceptedTokens)}
}

type throttled struct {
	tokens   TokenAuthenticator
	t        Throttle
	accepted *utilcache.LRUExpireCache // sha256 of tokens accepted lately
}

func (a throttled) AuthenticateToken(ctx context.Context, token string) (User, error) {
	client := ClientFrom(ctx)
	if client == "" {
		return a.tokens.AuthenticateToken(ctx, token)
	}
	key := sha256.Sum256([]byte(token))
	if _, known := a.accepted.Get(key); !known {
		if w := a.t.Wait(client); w > 0 {
			return User{}, &ThrottledError{RetryAfter: w}
		}
	}
	u, err := a.tokens.AuthenticateToken(ctx, token)
	var unavailable *UnavailableError
	switch {
	case err == nil:
		a.accepted.Add(key, struct{}{}, acceptedTokenTTL)
	case !errors.As(err, &unavailable):
		a.t.Refused(client)
	}
	return u, err
}
