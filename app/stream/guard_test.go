package stream

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aigw-console/aigw-console/app/hub"
)

// rbac is an Access whose answers the test changes: the stand-in for the
// cluster's RBAC (package authz asks the real API server; e2e covers that).
type rbac struct {
	mu      sync.Mutex
	allowed map[string]bool // "kind/namespace"
	nss     []string
	asked   map[string]int
	down    bool // every check fails, as with the API server unreachable
}

func (r *rbac) Allowed(_ context.Context, kind, ns string) (bool, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.asked == nil {
		r.asked = map[string]int{}
	}
	r.asked[kind+"/"+ns]++
	if r.down {
		return false, errors.New("connection refused")
	}
	return r.allowed[kind+"/"+ns], nil
}

func (r *rbac) askedFor(key string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.asked[key]
}

func (r *rbac) setDown(v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.down = v
}

func (r *rbac) Namespaces() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.nss)
}

func (r *rbac) set(key string, v bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.allowed[key] = v
}

func snapshotNames(t *testing.T, e Envelope) []string {
	t.Helper()
	var s SnapshotData
	if err := json.Unmarshal(e.Data, &s); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, it := range s.Items {
		out = append(out, it.Namespace+"/"+it.Name)
	}
	return out
}

func TestAccessDecidesSubscriptionsAndEvents(t *testing.T) {
	access := &rbac{allowed: map[string]bool{"backends/team-a": true}, nss: []string{"team-a", "team-b"}}
	f := start(t, hub.Options{}, Options{
		Access:          func(context.Context) (Access, error) { return access, nil },
		RecheckInterval: 200 * time.Millisecond,
	})
	f.hub.Publish(backend(hub.Added, "team-a", "a1", 10, nil), backend(hub.Added, "team-b", "b1", 11, nil))
	c := f.dial(t, nil)

	t.Run("a subscription in a namespace the user may not watch is refused with Forbidden", func(t *testing.T) {
		c.subscribe("b", []string{"backends"}, func(r *Request) { r.Namespace = "team-b" })
		e := c.expect(TypeError)[0]
		var d ErrorData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Code != CodeForbidden || e.Subscription != "b" || !strings.Contains(d.Message, `backends in namespace "team-b"`) {
			t.Fatalf("got %+v %+v", e, d)
		}
	})

	t.Run("across namespaces the snapshot and the events leave out what the user may not watch", func(t *testing.T) {
		c.subscribe("all", []string{"backends"})
		msgs := c.expect(TypeSubscribed, TypeSnapshot)
		if got := snapshotNames(t, msgs[1]); !slices.Equal(got, []string{"team-a/a1"}) {
			t.Fatalf("snapshot %v, want team-a/a1 only", got)
		}
		f.hub.Publish(backend(hub.Added, "team-b", "b2", 12, nil), backend(hub.Added, "team-a", "a2", 13, nil))
		e := c.expect(EventType("backends", hub.Added))[0]
		if it := item(t, e); it.Namespace != "team-a" || it.Name != "a2" {
			t.Fatalf("first event %+v, want team-a/a2 (team-b/b2 came first and must not show)", it)
		}
	})

	t.Run("an object in a namespace not decided yet is held back, then shown by a resync once allowed", func(t *testing.T) {
		access.set("backends/team-c", true)
		f.hub.Publish(backend(hub.Added, "team-c", "c1", 14, nil))
		msgs := c.expect(TypeResyncRequired, TypeSnapshot)
		if got := snapshotNames(t, msgs[1]); !slices.Equal(got, []string{"team-a/a1", "team-a/a2", "team-c/c1"}) {
			t.Fatalf("snapshot after the resync %v", got)
		}
	})

	t.Run("a recheck that cannot be made (API server down) keeps the last decision", func(t *testing.T) {
		access.setDown(true)
		asked := access.askedFor("backends/team-a")
		deadline := time.Now().Add(5 * time.Second)
		for access.askedFor("backends/team-a") < asked+3 {
			if time.Now().After(deadline) {
				t.Fatal("no recheck within 5s")
			}
			time.Sleep(20 * time.Millisecond)
		}
		access.setDown(false)
		f.hub.Publish(backend(hub.Added, "team-a", "a3", 15, nil))
		e := c.expect(EventType("backends", hub.Added))[0]
		if it := item(t, e); it.Namespace != "team-a" || it.Name != "a3" {
			t.Fatalf("event %+v, want team-a/a3 on the subscription that outlived three failed rechecks", it)
		}
	})

	t.Run("revoked access ends the subscription with Forbidden within the recheck interval", func(t *testing.T) {
		access.set("backends/team-a", false)
		start := time.Now()
		e := c.expect(TypeError)[0]
		took := time.Since(start)
		var d ErrorData
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.Code != CodeForbidden || e.Subscription != "all" || !strings.Contains(d.Message, "access revoked") {
			t.Fatalf("got %+v %+v", e, d)
		}
		if took > time.Second {
			t.Errorf("ended after %s; the recheck interval is 200ms", took)
		}
		// The subscription is gone: unsubscribing it is an error.
		c.send(Request{Type: TypeUnsubscribe, ID: "all"})
		if e := c.expect(TypeError)[0]; !strings.Contains(string(e.Data), CodeUnknownSubscription) {
			t.Errorf("unsubscribe after Forbidden: %s", e.Data)
		}
	})
}

func TestOnlySelectedEventsAreDecided(t *testing.T) {
	access := &rbac{allowed: map[string]bool{"backends/team-a": true}, nss: []string{"team-a"}}
	f := start(t, hub.Options{}, Options{Access: func(context.Context) (Access, error) { return access, nil }})
	c := f.dial(t, nil)
	c.subscribe("a", []string{"backends"}, func(r *Request) { r.Namespace = "team-a" })
	c.expect(TypeSubscribed, TypeSnapshot)
	// An event the subscription did not ask for (another kind, another
	// namespace) costs no decision; the one after it is delivered.
	secret := backend(hub.Added, "team-z", "s", 20, nil)
	secret.Key.Kind = "secrets"
	f.hub.Publish(secret, backend(hub.Added, "team-a", "a1", 21, nil))
	if it := item(t, c.expect(EventType("backends", hub.Added))[0]); it.Name != "a1" {
		t.Fatalf("event %+v", it)
	}
	access.mu.Lock()
	defer access.mu.Unlock()
	if n := access.asked["secrets/team-z"]; n != 0 {
		t.Errorf("the guard asked %d times about secrets in team-z, which nobody subscribed to", n)
	}
}

func TestWithoutAccessEverythingIsVisible(t *testing.T) {
	f := start(t, hub.Options{}, Options{Access: func(context.Context) (Access, error) { return nil, nil }})
	f.hub.Publish(backend(hub.Added, "team-a", "a1", 10, nil), backend(hub.Added, "team-b", "b1", 11, nil))
	c := f.dial(t, nil)
	c.subscribe("all", []string{"backends"})
	msgs := c.expect(TypeSubscribed, TypeSnapshot)
	if got := snapshotNames(t, msgs[1]); !slices.Equal(got, []string{"team-a/a1", "team-b/b1"}) {
		t.Fatalf("snapshot %v", got)
	}
}
