package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// reviewerFunc answers TokenReviews in unit tests; the e2e tests use the
// real API server.
type reviewerFunc func(token string) (*authenticationv1.TokenReview, error)

func (f reviewerFunc) Create(_ context.Context, r *authenticationv1.TokenReview, _ metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	return f(r.Spec.Token)
}

func TestTokenReviewCachesAcceptedTokensOnly(t *testing.T) {
	now := time.Unix(1000, 0)
	calls := map[string]int{}
	rev := reviewerFunc(func(token string) (*authenticationv1.TokenReview, error) {
		calls[token]++
		if token == "good" {
			return &authenticationv1.TokenReview{Status: authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{
				Username: "system:serviceaccount:ns:ci", UID: "u1", Groups: []string{"system:serviceaccounts"},
				Extra: map[string]authenticationv1.ExtraValue{"k": {"v"}},
			}}}, nil
		}
		return &authenticationv1.TokenReview{Status: authenticationv1.TokenReviewStatus{Error: "invalid bearer token"}}, nil
	})
	tr := NewTokenReview(rev, TokenReviewOptions{TTL: 10 * time.Second, Now: func() time.Time { return now }})
	ctx := context.Background()

	u, err := tr.AuthenticateToken(ctx, "good")
	if err != nil {
		t.Fatal(err)
	}
	if u.Name != "system:serviceaccount:ns:ci" || u.UID != "u1" || strings.Join(u.Groups, ",") != "system:serviceaccounts,system:authenticated" || u.Extra["k"][0] != "v" {
		t.Errorf("user: %+v", u)
	}
	now = now.Add(9 * time.Second)
	if _, err := tr.AuthenticateToken(ctx, "good"); err != nil || calls["good"] != 1 {
		t.Errorf("within the TTL: err %v, %d reviews, want 1", err, calls["good"])
	}
	now = now.Add(2 * time.Second)
	if _, err := tr.AuthenticateToken(ctx, "good"); err != nil || calls["good"] != 2 {
		t.Errorf("after the TTL: err %v, %d reviews, want 2", err, calls["good"])
	}
	for range 2 {
		_, err := tr.AuthenticateToken(ctx, "bad-secret-token")
		if err == nil || !strings.Contains(err.Error(), "invalid bearer token") || strings.Contains(err.Error(), "bad-secret-token") {
			t.Errorf("refusal: %v", err)
		}
	}
	if calls["bad-secret-token"] != 2 {
		t.Errorf("refusals are not cached: %d reviews, want 2", calls["bad-secret-token"])
	}
	for k := range tr.cache {
		if strings.Contains(string(k[:]), "good") {
			t.Error("the cache holds the token")
		}
	}
}

func TestTokenReviewUnavailable(t *testing.T) {
	tr := NewTokenReview(reviewerFunc(func(string) (*authenticationv1.TokenReview, error) { return nil, errors.New("connection refused") }), TokenReviewOptions{})
	_, err := tr.AuthenticateToken(context.Background(), "tok")
	var ue *UnavailableError
	if !errors.As(err, &ue) {
		t.Fatalf("want UnavailableError, got %v", err)
	}
}

func TestTokenReviewCacheIsBounded(t *testing.T) {
	rev := reviewerFunc(func(token string) (*authenticationv1.TokenReview, error) {
		return &authenticationv1.TokenReview{Status: authenticationv1.TokenReviewStatus{Authenticated: true, User: authenticationv1.UserInfo{Username: token}}}, nil
	})
	tr := NewTokenReview(rev, TokenReviewOptions{MaxEntries: 3})
	for _, tok := range []string{"a", "b", "c", "d", "e"} {
		if _, err := tr.AuthenticateToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if len(tr.cache) > 3 {
		t.Errorf("cache holds %d entries, bound 3", len(tr.cache))
	}
}

func TestUnionTriesInTurn(t *testing.T) {
	refuse := tokenFunc(func(string) (User, error) { return User{}, errors.New("refused by one") })
	skip := tokenFunc(func(string) (User, error) { return User{}, ErrUnrecognized })
	accept := tokenFunc(func(tok string) (User, error) { return User{Name: tok}, nil })
	down := tokenFunc(func(string) (User, error) {
		return User{}, &UnavailableError{Authenticator: "x", Err: errors.New("down")}
	})
	ctx := context.Background()
	if u, err := (Union{skip, refuse, accept}).AuthenticateToken(ctx, "ok"); err != nil || u.Name != "ok" {
		t.Errorf("accept after refusal: %v %v", u, err)
	}
	if _, err := (Union{skip, refuse}).AuthenticateToken(ctx, "t"); err == nil || !strings.Contains(err.Error(), "refused by one") {
		t.Errorf("refusal: %v", err)
	}
	var ue *UnavailableError
	if _, err := (Union{refuse, down}).AuthenticateToken(ctx, "t"); !errors.As(err, &ue) {
		t.Errorf("unavailable: %v", err)
	}
	if _, err := (Union{skip}).AuthenticateToken(ctx, "t"); !errors.Is(err, ErrUnrecognized) {
		t.Errorf("nobody: %v", err)
	}
}

type tokenFunc func(string) (User, error)

func (f tokenFunc) AuthenticateToken(_ context.Context, tok string) (User, error) { return f(tok) }

// jwtWith is a token shaped like a Kubernetes service account token (a
// JWT) with exp; its signature is the API server's business.
func jwtWith(exp int64) string {
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc([]byte(fmt.Sprintf(`{"iss":"https://kubernetes.default.svc","exp":%d}`, exp))) + ".c2ln"
}

func TestTokenReviewTakesTheExpiryOfAJWTAndNeverCachesPastIt(t *testing.T) {
	now := time.Unix(1000, 0)
	calls := 0
	rev := reviewerFunc(func(string) (*authenticationv1.TokenReview, error) {
		calls++
		return &authenticationv1.TokenReview{Status: authenticationv1.TokenReviewStatus{Authenticated: true,
			User: authenticationv1.UserInfo{Username: "system:serviceaccount:ns:ci"}}}, nil
	})
	tr := NewTokenReview(rev, TokenReviewOptions{TTL: 10 * time.Second, Now: func() time.Time { return now }})
	ctx := context.Background()

	short := jwtWith(1004)
	u, err := tr.AuthenticateToken(ctx, short)
	if err != nil || !u.ExpiresAt.Equal(time.Unix(1004, 0)) {
		t.Fatalf("user %+v, %v; want ExpiresAt 1004", u, err)
	}
	now = now.Add(3 * time.Second)
	if _, err := tr.AuthenticateToken(ctx, short); err != nil || calls != 1 {
		t.Errorf("before its exp: %v, %d reviews, want 1", err, calls)
	}
	now = now.Add(2 * time.Second) // past exp, within the TTL
	if _, err := tr.AuthenticateToken(ctx, short); err != nil || calls != 2 {
		t.Errorf("past its exp: %v, %d reviews, want 2 (the API server decides again)", err, calls)
	}
	if u, _ := tr.AuthenticateToken(ctx, "opaque-legacy-token"); !u.ExpiresAt.IsZero() {
		t.Errorf("a token that is not a JWT has no known expiry: %s", u.ExpiresAt)
	}
}
