package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/route"
)

// selfHostedBody is a provider from the self-hosted template: no
// credential, no TLS.
func selfHostedBody(name string) map[string]any {
	return map[string]any{"name": name, "template": "self-hosted", "parameters": map[string]any{"host": name + ".models.svc.cluster.local"}}
}

// selfHosted creates a self-hosted provider and waits until the console's
// cache has its AIServiceBackend, which route validation looks up.
func selfHosted(t *testing.T, con *console, ns, name string) {
	t.Helper()
	if r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, selfHostedBody(name)); r.Status != 201 {
		t.Fatalf("create provider %s: status %d: %s", name, r.Status, r.Body)
	}
	waitFor(t, 10*time.Second, "the cache to see AIServiceBackend "+name, func() bool {
		return call(t, "GET", con.URL+"/api/v1/resources/aiservicebackends/"+name+"?namespace="+ns, nil).Status == 200
	})
}

// chatRoute is a route to primary and secondary (80/20) with fallback as
// the priority-1 failover, and request timeouts.
func chatRoute(name, model, request string) map[string]any {
	return map[string]any{
		"name":     name,
		"gateways": []any{map[string]any{"name": "ai-gateway"}},
		"rules": []any{map[string]any{
			"name":   "chat",
			"models": []any{model},
			"backends": []any{
				map[string]any{"provider": "primary", "weight": 80},
				map[string]any{"provider": "secondary", "weight": 20},
				map[string]any{"provider": "fallback", "priority": 1},
			},
			"timeouts": map[string]any{"request": request, "backendRequest": "30s"},
		}},
	}
}

func TestRoutes(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	con := startConsole(t)
	c := adminClient(t)
	for _, p := range []string{"primary", "secondary", "fallback"} {
		selfHosted(t, con, ns, p)
	}
	routesURL := con.URL + "/api/v1/routes?namespace=" + ns
	chatURL := con.URL + "/api/v1/routes/chat?namespace=" + ns
	live := func(t *testing.T) *aigv1b1.AIGatewayRoute {
		t.Helper()
		r := &aigv1b1.AIGatewayRoute{}
		get(t, c, ns, "chat", r)
		return r
	}
	// waitETag waits until the cache has the route at the API server's
	// current resourceVersion and returns the ETag the console serves.
	waitETag := func(t *testing.T) string {
		t.Helper()
		want := `"` + live(t).ResourceVersion + `"`
		var got string
		waitFor(t, 10*time.Second, "GET to serve ETag "+want, func() bool {
			got = call(t, "GET", chatURL, nil).Header.Get("ETag")
			return got == want
		})
		return got
	}

	step(t, "POST of a weighted route with a failover backend and timeouts answers 201", func(t *testing.T) {
		r := call(t, "POST", routesURL, chatRoute("chat", "gpt-4o", "120s"))
		if r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var a writeAnswer
		r.decode(t, &a)
		if a.Route == nil || a.Route.Name != "chat" || len(a.Warnings) != 0 {
			t.Errorf("answer (a route with timeouts draws no warning): %s", r.Body)
		}
	})

	step(t, "the AIGatewayRoute in the API server has the weights, priorities and timeouts", func(t *testing.T) {
		rule := live(t).Spec.Rules
		if len(rule) != 1 {
			t.Fatalf("rules: %+v", rule)
		}
		type ref struct {
			Name     string
			Weight   int32
			Priority uint32
		}
		var got []ref
		for _, b := range rule[0].BackendRefs {
			if b.Weight == nil || b.Priority == nil {
				t.Fatalf("backendRef %s has no stored weight or priority: %+v", b.Name, b)
			}
			got = append(got, ref{b.Name, *b.Weight, *b.Priority})
		}
		// The failover backend has no weight in the request: the API server
		// stores the default 1, as it stores priority 0 for the others.
		want := []ref{{"primary", 80, 0}, {"secondary", 20, 0}, {"fallback", 1, 1}}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("backendRefs (-want +got):\n%s", d)
		}
		wantTimeouts := &gwapiv1.HTTPRouteTimeouts{Request: ptrTo(gwapiv1.Duration("120s")), BackendRequest: ptrTo(gwapiv1.Duration("30s"))}
		if d := cmp.Diff(wantTimeouts, rule[0].Timeouts); d != "" {
			t.Errorf("timeouts (-want +got):\n%s", d)
		}
		if len(rule[0].Matches) != 1 || len(rule[0].Matches[0].Headers) != 1 || rule[0].Matches[0].Headers[0].Value != "gpt-4o" {
			t.Errorf("matches: %+v", rule[0].Matches)
		}
	})

	step(t, "the list shows the route and GET serves its resourceVersion as the ETag", func(t *testing.T) {
		var list struct{ Items []route.Route }
		waitFor(t, 10*time.Second, "the list to show the route", func() bool {
			call(t, "GET", routesURL, nil).decode(t, &list)
			return len(list.Items) == 1
		})
		got := list.Items[0]
		if got.Name != "chat" || !got.Managed || !got.Editable || len(got.Rules) != 1 || len(got.Rules[0].Backends) != 3 {
			t.Errorf("listed route: %+v", got)
		}
		waitETag(t)
	})

	step(t, "a PUT with a stale If-Match is a 412 and leaves the route alone", func(t *testing.T) {
		before := live(t).ResourceVersion
		r := call(t, "PUT", chatURL, chatRoute("chat", "gpt-4o", "300s"), "If-Match", `"1"`)
		if p := r.problem(t); r.Status != 412 || p.Code != "PreconditionFailed" {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		if after := live(t); after.ResourceVersion != before || *after.Spec.Rules[0].Timeouts.Request != "120s" {
			t.Errorf("the route changed: resourceVersion %s -> %s", before, after.ResourceVersion)
		}
	})

	step(t, "a PUT over a field another manager took is a 409 naming the field and the manager; force takes it back", func(t *testing.T) {
		// Another tool applies its own rules (atomic list) with a longer timeout.
		other := &unstructured.Unstructured{}
		other.SetGroupVersionKind(cluster.AIGatewayRoute.GVK)
		other.SetNamespace(ns)
		other.SetName("chat")
		other.Object["spec"] = map[string]any{
			"parentRefs": []any{map[string]any{"name": "ai-gateway"}},
			"rules": []any{map[string]any{
				"matches":     []any{map[string]any{"headers": []any{map[string]any{"name": "x-ai-eg-model", "value": "gpt-4o"}}}},
				"backendRefs": []any{map[string]any{"name": "primary"}},
				"timeouts":    map[string]any{"request": "600s"},
			}},
		}
		//nolint:staticcheck // the unstructured apply path, as the console's sink uses it.
		if err := c.Patch(ctx, other, client.Apply, client.FieldOwner("other"), client.ForceOwnership); err != nil {
			t.Fatal(err)
		}
		etag := waitETag(t)
		r := call(t, "PUT", chatURL, chatRoute("chat", "gpt-4o", "120s"), "If-Match", etag)
		p := r.problem(t)
		if r.Status != 409 || p.Code != "Conflict" || len(p.Causes) == 0 {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		found := false
		for _, cause := range p.Causes {
			found = found || (strings.Contains(cause.Field, ".spec.rules") && strings.Contains(cause.Message, `"other"`))
		}
		if !found || !strings.Contains(p.Detail, "force=true") {
			t.Errorf("the problem does not name .spec.rules, manager \"other\" and the way out: %+v", p)
		}
		if got := *live(t).Spec.Rules[0].Timeouts.Request; got != "600s" {
			t.Errorf("the refused PUT changed the route: request timeout %s", got)
		}

		r = call(t, "PUT", chatURL+"&force=true", chatRoute("chat", "gpt-4o", "120s"), "If-Match", etag)
		if r.Status != 200 {
			t.Fatalf("forced PUT: status %d: %s", r.Status, r.Body)
		}
		after := live(t)
		if got := *after.Spec.Rules[0].Timeouts.Request; got != "120s" || len(after.Spec.Rules[0].BackendRefs) != 3 {
			t.Errorf("the forced PUT did not take the rules back: %+v", after.Spec.Rules[0])
		}
		for _, mf := range after.ManagedFields {
			if mf.Manager == "other" && strings.Contains(mf.FieldsV1.GetRawString(), `"f:rules"`) {
				t.Errorf("manager other still owns spec.rules: %s", mf.FieldsV1.GetRawString())
			}
		}
	})

	step(t, "a route naming a provider that does not exist is a 422 naming the backend", func(t *testing.T) {
		body := chatRoute("ghost", "ghost-model", "60s")
		body["rules"].([]any)[0].(map[string]any)["backends"] = []any{map[string]any{"provider": "nowhere"}}
		r := call(t, "POST", routesURL, body)
		p := r.problem(t)
		if r.Status != 422 || len(p.Causes) != 1 || p.Causes[0].Field != "rules[0].backends[0].provider" || !strings.Contains(p.Causes[0].Message, `"nowhere" does not exist`) {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		if exists(t, c, ns, "ghost", &aigv1b1.AIGatewayRoute{}) {
			t.Error("the route was created")
		}
	})

	step(t, "a second route for the same model on the same Gateway is a 422 naming the collision", func(t *testing.T) {
		r := call(t, "POST", routesURL, chatRoute("chat-copy", "gpt-4o", "60s"))
		p := r.problem(t)
		if r.Status != 422 || len(p.Causes) != 1 || p.Causes[0].Field != "rules[0].models[0]" ||
			!strings.Contains(p.Causes[0].Message, "AIGatewayRoute "+ns+"/chat") || !strings.Contains(p.Causes[0].Message, "already routed") {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		if exists(t, c, ns, "chat-copy", &aigv1b1.AIGatewayRoute{}) {
			t.Error("the colliding route was created")
		}
		// The same model on another Gateway is fine.
		other := chatRoute("chat-elsewhere", "gpt-4o", "60s")
		other["gateways"] = []any{map[string]any{"name": "other-gateway"}}
		if r := call(t, "POST", routesURL, other); r.Status != 201 {
			t.Errorf("same model on another Gateway: status %d: %s", r.Status, r.Body)
		}
	})
}
