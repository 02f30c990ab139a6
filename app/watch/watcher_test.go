package watch

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/app/provider"
)

// source is an in-memory informer: the test changes an object and the
// handlers are notified with the old and new states.
type source struct {
	mu       sync.Mutex
	handlers map[string]cache.ResourceEventHandler
	objs     map[string]*unstructured.Unstructured // kind/ns/name
}

func newSource() *source {
	return &source{handlers: map[string]cache.ResourceEventHandler{}, objs: map[string]*unstructured.Unstructured{}}
}

func (s *source) AddEventHandler(k cluster.Kind, h cache.ResourceEventHandler) error {
	s.handlers[k.Name] = h
	return nil
}

func (s *source) key(k cluster.Kind, u *unstructured.Unstructured) string {
	return k.Name + "/" + u.GetNamespace() + "/" + u.GetName()
}

func (s *source) apply(k cluster.Kind, u *unstructured.Unstructured) {
	s.mu.Lock()
	old := s.objs[s.key(k, u)]
	s.objs[s.key(k, u)] = u
	s.mu.Unlock()
	if old == nil {
		s.handlers[k.Name].OnAdd(u, false)
	} else {
		s.handlers[k.Name].OnUpdate(old, u)
	}
}

func (s *source) remove(k cluster.Kind, u *unstructured.Unstructured, tombstone bool) {
	s.mu.Lock()
	delete(s.objs, s.key(k, u))
	s.mu.Unlock()
	var obj any = u
	if tombstone {
		obj = cache.DeletedFinalStateUnknown{Key: u.GetNamespace() + "/" + u.GetName(), Obj: u}
	}
	s.handlers[k.Name].OnDelete(obj)
}

// recorder is a Publisher that keeps what it got.
type recorder struct{ events []hub.Event }

func (r *recorder) Publish(evs ...hub.Event) { r.events = append(r.events, evs...) }

// take returns "op kind/name" for each event since the last call.
func (r *recorder) take() []string {
	var out []string
	for _, e := range r.events {
		out = append(out, fmt.Sprintf("%s %s/%s@%d", e.Op, e.Key.Kind, e.Key.Name, e.ResourceVersion))
	}
	r.events = nil
	return out
}

func object(k cluster.Kind, ns, name, rv string, labels map[string]string, fields map[string]any) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{}}
	for f, v := range fields {
		u.Object[f] = v
	}
	u.SetGroupVersionKind(k.GVK)
	u.SetNamespace(ns)
	u.SetName(name)
	u.SetResourceVersion(rv)
	u.SetLabels(labels)
	return u
}

func newWatcher(t *testing.T) (*source, *recorder) {
	t.Helper()
	src, rec := newSource(), &recorder{}
	if _, err := New(src, rec, Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	if len(src.handlers) != len(cluster.Kinds()) {
		t.Fatalf("handlers on %d kinds, want %d", len(src.handlers), len(cluster.Kinds()))
	}
	return src, rec
}

func TestProviderEvents(t *testing.T) {
	src, rec := newWatcher(t)
	p1 := map[string]string{provider.LabelProvider: "p1", "team": "a"}
	backend := object(cluster.Backend, "ns", "p1", "10", p1, map[string]any{
		"spec": map[string]any{"endpoints": []any{map[string]any{"fqdn": map[string]any{"hostname": "a.example", "port": int64(443)}}}},
	})
	asb := object(cluster.AIServiceBackend, "ns", "p1", "11", p1, map[string]any{
		"spec": map[string]any{"schema": map[string]any{"name": "OpenAI"}, "backendRef": map[string]any{"name": "p1", "kind": "Backend", "group": "gateway.envoyproxy.io"}},
	})

	t.Run("the first object of a set creates the provider", func(t *testing.T) {
		src.apply(cluster.Backend, backend)
		want := []string{"added backends/p1@10", "added providers/p1@10"}
		if diff := cmp.Diff(want, rec.take()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("another object of the set updates it", func(t *testing.T) {
		src.apply(cluster.AIServiceBackend, asb)
		want := []string{"added aiservicebackends/p1@11", "modified providers/p1@11"}
		if diff := cmp.Diff(want, rec.take()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a status change from Accepted to NotAccepted updates it", func(t *testing.T) {
		for i, status := range []string{"Accepted", "NotAccepted"} {
			c := asb.DeepCopy()
			c.SetResourceVersion(fmt.Sprint(12 + i))
			c.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": status, "status": "True", "reason": status}}}
			src.apply(cluster.AIServiceBackend, c)
			asb = c
		}
		want := []string{"modified aiservicebackends/p1@12", "modified providers/p1@12", "modified aiservicebackends/p1@13", "modified providers/p1@13"}
		if diff := cmp.Diff(want, rec.take()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a deletion that started updates it", func(t *testing.T) {
		c := asb.DeepCopy()
		c.SetResourceVersion("14")
		c.Object["metadata"].(map[string]any)["deletionTimestamp"] = "2026-01-01T00:00:00Z"
		src.apply(cluster.AIServiceBackend, c)
		asb = c
		got := rec.events
		want := []string{"modified aiservicebackends/p1@14", "modified providers/p1@14"}
		if diff := cmp.Diff(want, rec.take()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		var view provider.Provider
		if err := json.Unmarshal(got[1].Data, &view); err != nil {
			t.Fatal(err)
		}
		if !view.Status.Deleting {
			t.Error("the provider view does not say it is deleting")
		}
	})
	t.Run("an update with the same resourceVersion is a resync and gives nothing", func(t *testing.T) {
		src.apply(cluster.AIServiceBackend, asb.DeepCopy())
		if got := rec.take(); len(got) != 0 {
			t.Errorf("got %v, want nothing", got)
		}
	})
	t.Run("the provider carries the labels its objects share", func(t *testing.T) {
		c := backend.DeepCopy()
		c.SetResourceVersion("15")
		c.SetLabels(map[string]string{provider.LabelProvider: "p1", "team": "b"})
		src.apply(cluster.Backend, c)
		backend = c
		evs := rec.events
		rec.take()
		if diff := cmp.Diff(map[string]string{provider.LabelProvider: "p1"}, evs[len(evs)-1].Labels); diff != "" {
			t.Errorf("labels (-want +got):\n%s", diff)
		}
	})
	t.Run("an object whose label changes leaves one provider and joins another", func(t *testing.T) {
		c := backend.DeepCopy()
		c.SetResourceVersion("16")
		c.SetLabels(map[string]string{provider.LabelProvider: "p2"})
		src.apply(cluster.Backend, c)
		backend = c
		want := []string{"modified backends/p1@16", "modified providers/p1@16", "added providers/p2@16"}
		if diff := cmp.Diff(want, rec.take()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("the last object going deletes the provider, with its last view", func(t *testing.T) {
		src.remove(cluster.AIServiceBackend, asb, false)
		src.remove(cluster.Backend, backend, true) // a deletion the informer missed
		evs := rec.events
		want := []string{"deleted aiservicebackends/p1@14", "deleted providers/p1@14", "deleted backends/p1@16", "deleted providers/p2@16"}
		if diff := cmp.Diff(want, rec.take()); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if !strings.Contains(string(evs[1].Data), `"name":"p1"`) {
			t.Errorf("deleted provider data %s is not its last view", evs[1].Data)
		}
	})
}

func TestRouteEvents(t *testing.T) {
	src, rec := newWatcher(t)
	r := object(cluster.AIGatewayRoute, "ns", "r1", "20", nil, map[string]any{
		"spec": map[string]any{"parentRefs": []any{map[string]any{"name": "gw"}}, "rules": []any{}},
	})
	src.apply(cluster.AIGatewayRoute, r)
	c := r.DeepCopy()
	c.SetResourceVersion("21")
	c.Object["status"] = map[string]any{"conditions": []any{map[string]any{"type": "Accepted", "status": "True", "reason": "Accepted", "message": "", "lastTransitionTime": "2026-01-01T00:00:00Z"}}}
	src.apply(cluster.AIGatewayRoute, c)
	evs := rec.events
	src.remove(cluster.AIGatewayRoute, c, false)
	want := []string{
		"added aigatewayroutes/r1@20", "added routes/r1@20",
		"modified aigatewayroutes/r1@21", "modified routes/r1@21",
		"deleted aigatewayroutes/r1@21", "deleted routes/r1@21",
	}
	if diff := cmp.Diff(want, rec.take()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !strings.Contains(string(evs[3].Data), `"accepted":true`) {
		t.Errorf("route view %s does not show the status", evs[3].Data)
	}
}

func TestSecretsCarryNoValues(t *testing.T) {
	src, rec := newWatcher(t)
	s := object(cluster.Secret, "ns", "s", "30", nil, map[string]any{
		"data":       map[string]any{"apiKey": "c2stc2VjcmV0"},
		"stringData": map[string]any{"apiKey": "sk-secret"},
		"keys":       map[string]any{"apiKey": "sha256:01234567"},
	})
	src.apply(cluster.Secret, s)
	for _, e := range rec.events {
		if strings.Contains(string(e.Data), "c2stc2VjcmV0") || strings.Contains(string(e.Data), "sk-secret") {
			t.Errorf("event %s carries a Secret value: %s", e.Key, e.Data)
		}
		if !strings.Contains(string(e.Data), "sha256:01234567") {
			t.Errorf("event %s lost the fingerprints: %s", e.Key, e.Data)
		}
	}
}

func TestPanicsAreRecovered(t *testing.T) {
	src := newSource()
	if _, err := New(src, panicking{}, Options{Logger: slog.New(slog.DiscardHandler)}); err != nil {
		t.Fatal(err)
	}
	src.apply(cluster.Backend, object(cluster.Backend, "ns", "b", "1", nil, nil)) // must not panic
}

type panicking struct{}

func (panicking) Publish(...hub.Event) { panic("publisher bug") }

func TestKinds(t *testing.T) {
	want := []string{"providers", "routes", "aigatewayroutes", "aiservicebackends", "backendsecuritypolicies", "backends", "backendtlspolicies", "secrets"}
	if diff := cmp.Diff(want, Kinds()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}
