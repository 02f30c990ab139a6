package auth

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"
)

// budget is a Throttle that allows n refusals per client, then asks for a
// wait of a minute (package hardening's Limiter refills over time; its
// own tests cover that).
type budget struct {
	mu      sync.Mutex
	n       int
	refused map[string]int
}

func (b *budget) Wait(client string) time.Duration {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.refused[client] >= b.n {
		return 1500 * time.Millisecond
	}
	return 0
}

func (b *budget) Refused(client string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.refused[client]++
}

func TestThrottledChecksNoTokenOnceTheBudgetIsSpent(t *testing.T) {
	checked := 0
	inner := tokenFunc(func(tok string) (User, error) {
		checked++
		if tok == "bob-token" {
			return User{Name: "bob"}, nil
		}
		return testTokens(tok)
	})
	b := &budget{n: 2, refused: map[string]int{}}
	a := Throttled(inner, b)
	ctx := WithClient(context.Background(), "192.0.2.1")
	// Bob's token was accepted from the same address (a shared NAT)
	// before the budget was spent: it stays checked.
	if _, err := a.AuthenticateToken(ctx, "bob-token"); err != nil {
		t.Fatal(err)
	}

	if _, err := a.AuthenticateToken(ctx, "down"); err == nil {
		t.Fatal("an unavailable authenticator authenticated")
	}
	if b.refused["192.0.2.1"] != 0 {
		t.Error("a token that could not be checked counted as refused")
	}
	for range 2 {
		if _, err := a.AuthenticateToken(ctx, "wrong"); err == nil {
			t.Fatal("a wrong token authenticated")
		}
	}
	checked = 0
	var throttled *ThrottledError
	for _, tok := range []string{"wrong", "alice-token"} {
		if _, err := a.AuthenticateToken(ctx, tok); !errors.As(err, &throttled) {
			t.Errorf("%s with the budget spent: %v, want ThrottledError", tok, err)
		}
	}
	if checked != 0 {
		t.Errorf("%d tokens checked with the budget spent, want 0", checked)
	}
	if u, err := a.AuthenticateToken(ctx, "bob-token"); err != nil || u.Name != "bob" || checked != 1 {
		t.Errorf("a token accepted before, from the throttled address: %+v %v (%d checked)", u, err, checked)
	}
	if throttled.RetryAfterSeconds() != 2*time.Second {
		t.Errorf("RetryAfterSeconds = %s, want 1.5s rounded up to 2s", throttled.RetryAfterSeconds())
	}
	// Another client, and a call that names no client, are not held back.
	if u, err := a.AuthenticateToken(WithClient(context.Background(), "192.0.2.2"), "alice-token"); err != nil || u.Name != "alice" {
		t.Errorf("another client: %+v %v", u, err)
	}
	if u, err := a.AuthenticateToken(context.Background(), "alice-token"); err != nil || u.Name != "alice" {
		t.Errorf("no client: %+v %v", u, err)
	}
	if Throttled(inner, nil) == nil {
		t.Error("Throttled without a throttle must return the tokens")
	}
}

func TestMiddlewareAnswersAThrottledClient429(t *testing.T) {
	b := &budget{n: 1, refused: map[string]int{}}
	app := newTestApp(Options{Tokens: Throttled(testTokens, b)})
	if status, _, _ := do(t, app, "Authorization", "Bearer wrong"); status != 401 {
		t.Fatalf("first refusal: %d", status)
	}
	status, hdr, body := do(t, app, "Authorization", "Bearer alice-token")
	if status != 429 || body["code"] != CodeTooManyAuthenticationFailures || hdr.Get("Retry-After") != "2" {
		t.Errorf("throttled: %d %v Retry-After %q", status, body, hdr.Get("Retry-After"))
	}
}
