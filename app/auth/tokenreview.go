package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"sync"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Defaults of TokenReviewOptions.
const (
	DefaultTokenReviewTTL     = 10 * time.Second
	DefaultTokenReviewEntries = 10_000
)

// TokenReviewer creates TokenReviews: client-go's
// AuthenticationV1().TokenReviews().
type TokenReviewer interface {
	Create(ctx context.Context, review *authenticationv1.TokenReview, opts metav1.CreateOptions) (*authenticationv1.TokenReview, error)
}

// TokenReviewOptions configure NewTokenReview. The zero value works.
type TokenReviewOptions struct {
	// TTL is how long an accepted token is remembered. Refusals are not
	// remembered. Default: 10s.
	TTL time.Duration
	// MaxEntries bounds the cache. Default: 10,000.
	MaxEntries int
	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// TokenReview checks bearer tokens with the Kubernetes API server's
// TokenReview API (authentication.k8s.io/v1): service account tokens and
// whatever else the cluster's authenticators accept. Accepted tokens are
// cached for a short time under their SHA-256; the token itself is neither
// kept nor logged.
type TokenReview struct {
	reviewer TokenReviewer
	opts     TokenReviewOptions

	mu    sync.Mutex
	cache map[[sha256.Size]byte]cachedUser
}

type cachedUser struct {
	user    User
	expires time.Time
}

var _ TokenAuthenticator = (*TokenReview)(nil)

// NewTokenReview returns a TokenReview authenticator on reviewer.
func NewTokenReview(reviewer TokenReviewer, opts TokenReviewOptions) *TokenReview {
	if opts.TTL <= 0 {
		opts.TTL = DefaultTokenReviewTTL
	}
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = DefaultTokenReviewEntries
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &TokenReview{reviewer: reviewer, opts: opts, cache: map[[sha256.Size]byte]cachedUser{}}
}

// AuthenticateToken implements TokenAuthenticator.
func (t *TokenReview) AuthenticateToken(ctx context.Context, token string) (User, error) {
	key := sha256.Sum256([]byte(token))
	if u, ok := t.cached(key); ok {
		return u, nil
	}
	review, err := t.reviewer.Create(ctx, &authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: token}}, metav1.CreateOptions{})
	if err != nil {
		return User{}, &UnavailableError{Authenticator: "tokenreview", Err: err}
	}
	st := review.Status
	if !st.Authenticated {
		if st.Error != "" {
			return User{}, fmt.Errorf("token refused by the Kubernetes API server: %s", st.Error)
		}
		return User{}, errors.New("token refused by the Kubernetes API server")
	}
	u := User{Name: st.User.Username, UID: st.User.UID, Groups: withAuthenticated(st.User.Groups)}
	if len(st.User.Extra) > 0 {
		u.Extra = make(map[string][]string, len(st.User.Extra))
		for k, v := range st.User.Extra {
			u.Extra[k] = append([]string(nil), v...)
		}
	}
	// The API server accepted the token, so its exp (when it is a JWT, as
	// service account tokens are) is the one it checked.
	if c, ok := unverifiedClaims(token); ok && c.Expiry > 0 {
		u.ExpiresAt = time.Unix(int64(c.Expiry), 0)
	}
	t.remember(key, u)
	return u, nil
}

func (t *TokenReview) cached(key [sha256.Size]byte) (User, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.cache[key]
	if !ok {
		return User{}, false
	}
	if !t.opts.Now().Before(e.expires) {
		delete(t.cache, key)
		return User{}, false
	}
	return e.user, true
}

func (t *TokenReview) remember(key [sha256.Size]byte, u User) {
	t.mu.Lock()
	defer t.mu.Unlock()
	now := t.opts.Now()
	if len(t.cache) >= t.opts.MaxEntries {
		for k, e := range t.cache {
			if !now.Before(e.expires) {
				delete(t.cache, k)
			}
		}
		// Still full: let an arbitrary entry go (map order is random).
		for k := range t.cache {
			if len(t.cache) < t.opts.MaxEntries {
				break
			}
			delete(t.cache, k)
		}
	}
	expires := now.Add(t.opts.TTL)
	if !u.ExpiresAt.IsZero() && u.ExpiresAt.Before(expires) {
		expires = u.ExpiresAt // never trusted past its own exp
	}
	t.cache[key] = cachedUser{user: u, expires: expires}
}
