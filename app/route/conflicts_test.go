package route

import (
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
)

func aiServiceBackend(namespace, name string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{}
	u.SetAPIVersion("aigateway.envoyproxy.io/v1beta1")
	u.SetKind("AIServiceBackend")
	u.SetNamespace(namespace)
	u.SetName(name)
	return u
}

func deleting(u *unstructured.Unstructured) *unstructured.Unstructured {
	now := metav1.Now()
	u.SetDeletionTimestamp(&now)
	return u
}

// errorSummary renders errors as "path: message" lines for cmp.Diff.
func errorSummary(errs field.ErrorList) []string {
	var out []string
	for _, e := range errs {
		out = append(out, e.Error())
	}
	return out
}

func TestCheckBackends(t *testing.T) {
	spec := validSpec() // providers openai and azure in the route's namespace
	for _, tc := range []struct {
		name     string
		spec     func(*Spec)
		backends []*unstructured.Unstructured
		want     []string
	}{
		{
			name:     "every provider exists",
			backends: []*unstructured.Unstructured{aiServiceBackend(testNamespace, "openai"), aiServiceBackend(testNamespace, "azure")},
		},
		{
			name:     "a missing provider is named with its path",
			backends: []*unstructured.Unstructured{aiServiceBackend(testNamespace, "openai"), nil},
			want: []string{`rules[0].backends[1].provider: Not found: "azure": provider "azure" does not exist: ` +
				`there is no AIServiceBackend team-a/azure`},
		},
		{
			name:     "a provider of the same name in another namespace does not count",
			backends: []*unstructured.Unstructured{aiServiceBackend(testNamespace, "openai"), aiServiceBackend("team-b", "azure")},
			want:     []string{`rules[0].backends[1].provider: Not found: "azure": provider "azure" does not exist: there is no AIServiceBackend team-a/azure`},
		},
		{
			name:     "a cross-namespace backend is looked up in its namespace",
			spec:     func(s *Spec) { s.Rules[0].Backends[1].Namespace = "shared" },
			backends: []*unstructured.Unstructured{aiServiceBackend(testNamespace, "openai"), aiServiceBackend("shared", "azure")},
		},
		{
			name:     "a missing cross-namespace backend names its namespace",
			spec:     func(s *Spec) { s.Rules[0].Backends[1].Namespace = "shared" },
			backends: []*unstructured.Unstructured{aiServiceBackend(testNamespace, "openai"), aiServiceBackend(testNamespace, "azure")},
			want:     []string{`rules[0].backends[1].provider: Not found: "azure": provider "azure" does not exist: there is no AIServiceBackend shared/azure`},
		},
		{
			name:     "a provider being deleted is reported",
			backends: []*unstructured.Unstructured{aiServiceBackend(testNamespace, "openai"), deleting(aiServiceBackend(testNamespace, "azure"))},
			want:     []string{`rules[0].backends[1].provider: Invalid value: "azure": provider "azure" is being deleted (AIServiceBackend team-a/azure)`},
		},
		{
			name: "objects of other kinds do not count as providers",
			backends: func() []*unstructured.Unstructured {
				b := aiServiceBackend(testNamespace, "azure")
				b.SetAPIVersion("gateway.envoyproxy.io/v1alpha1")
				b.SetKind("Backend")
				return []*unstructured.Unstructured{aiServiceBackend(testNamespace, "openai"), b}
			}(),
			want: []string{`rules[0].backends[1].provider: Not found: "azure": provider "azure" does not exist: there is no AIServiceBackend team-a/azure`},
		},
		{
			name: "cached objects without apiVersion and kind count",
			backends: func() []*unstructured.Unstructured {
				b := &unstructured.Unstructured{Object: map[string]any{}}
				b.SetNamespace(testNamespace)
				b.SetName("azure")
				return []*unstructured.Unstructured{aiServiceBackend(testNamespace, "openai"), b}
			}(),
		},
		{
			name: "every rule and backend is checked; an empty provider is left to Validate",
			spec: func(s *Spec) {
				s.Rules = append(s.Rules, Rule{Models: []string{"o3"}, Backends: []Backend{{Provider: ""}, {Provider: "o3-provider"}}})
			},
			want: []string{
				`rules[0].backends[0].provider: Not found: "openai": provider "openai" does not exist: there is no AIServiceBackend team-a/openai`,
				`rules[0].backends[1].provider: Not found: "azure": provider "azure" does not exist: there is no AIServiceBackend team-a/azure`,
				`rules[1].backends[1].provider: Not found: "o3-provider": provider "o3-provider" does not exist: there is no AIServiceBackend team-a/o3-provider`,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := spec
			s.Rules = append([]Rule(nil), spec.Rules...)
			s.Rules[0].Backends = append([]Backend(nil), spec.Rules[0].Backends...)
			if tc.spec != nil {
				tc.spec(&s)
			}
			got := errorSummary(CheckBackends(testNamespace, s, tc.backends))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckBackends() (-want +got):\n%s", diff)
			}
		})
	}
}

// liveRoute renders a route the way the console would have created it.
func liveRoute(t testing.TB, namespace string, s Spec) *unstructured.Unstructured {
	t.Helper()
	u, err := Render(namespace, s)
	if err != nil {
		t.Fatal(err)
	}
	return stored(t, u)
}

func routeSpecOn(name string, gw GatewayRef, models ...string) Spec {
	return Spec{
		Name:     name,
		Gateways: []GatewayRef{gw},
		Rules:    []Rule{{Name: "main", Models: models, Backends: []Backend{{Provider: "p"}}}},
	}
}

func TestCheckModelCollisions(t *testing.T) {
	// The route under test: chat in team-a on gateways/ai-gateway, routing
	// gpt-4o and gpt-4o-mini (validSpec).
	sharedGW := GatewayRef{Name: "ai-gateway", Namespace: "gateways"}
	for _, tc := range []struct {
		name   string
		spec   func(*Spec)
		routes func(t *testing.T) []*unstructured.Unstructured
		want   []string
	}{
		{
			name:   "no other routes, no collision",
			routes: func(*testing.T) []*unstructured.Unstructured { return nil },
		},
		{
			name: "another route with the model on the same Gateway collides",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{liveRoute(t, "team-b", routeSpecOn("mini", sharedGW, "o3", "gpt-4o-mini"))}
			},
			want: []string{`rules[0].models[1]: Duplicate value: "gpt-4o-mini": model "gpt-4o-mini" is already routed on Gateway gateways/ai-gateway ` +
				`by AIGatewayRoute team-b/mini, rules[0] ("main"); a model can be routed by only one route per Gateway`},
		},
		{
			name: "updating the same route is not a collision",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{liveRoute(t, testNamespace, validSpec())}
			},
		},
		{
			name: "a route of the same name in another namespace is another route",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{liveRoute(t, "team-b", routeSpecOn("chat", sharedGW, "gpt-4o"))}
			},
			want: []string{`rules[0].models[0]: Duplicate value: "gpt-4o": model "gpt-4o" is already routed on Gateway gateways/ai-gateway ` +
				`by AIGatewayRoute team-b/chat, rules[0] ("main"); a model can be routed by only one route per Gateway`},
		},
		{
			name: "a route on another Gateway does not collide",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{liveRoute(t, "team-b", routeSpecOn("other", GatewayRef{Name: "ai-gateway", Namespace: "other-gateways"}, "gpt-4o"))}
			},
		},
		{
			name: "a parentRef without namespace points into its own route's namespace",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{
					// team-b/ai-gateway: not ours.
					liveRoute(t, "team-b", routeSpecOn("local", GatewayRef{Name: "ai-gateway"}, "gpt-4o")),
					// gateways/ai-gateway, from a route in the Gateway's namespace.
					liveRoute(t, "gateways", routeSpecOn("platform", GatewayRef{Name: "ai-gateway"}, "gpt-4o")),
				}
			},
			want: []string{`rules[0].models[0]: Duplicate value: "gpt-4o": model "gpt-4o" is already routed on Gateway gateways/ai-gateway ` +
				`by AIGatewayRoute gateways/platform, rules[0] ("main"); a model can be routed by only one route per Gateway`},
		},
		{
			name: "a Gateway without namespace in the spec is in the route's namespace",
			spec: func(s *Spec) { s.Gateways = []GatewayRef{{Name: "local-gw"}} },
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{
					liveRoute(t, "team-b", routeSpecOn("cross", GatewayRef{Name: "local-gw", Namespace: testNamespace}, "gpt-4o")),
					liveRoute(t, "team-b", routeSpecOn("theirs", GatewayRef{Name: "local-gw"}, "gpt-4o")),
				}
			},
			want: []string{`rules[0].models[0]: Duplicate value: "gpt-4o": model "gpt-4o" is already routed on Gateway team-a/local-gw ` +
				`by AIGatewayRoute team-b/cross, rules[0] ("main"); a model can be routed by only one route per Gateway`},
		},
		{
			name: "a RegularExpression model match is not an exact model",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				s := routeSpecOn("catch-all", sharedGW)
				s.Rules[0].ModelPattern = "gpt-4o"
				return []*unstructured.Unstructured{liveRoute(t, "team-b", s)}
			},
		},
		{
			name: "a route being deleted does not collide",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{deleting(liveRoute(t, "team-b", routeSpecOn("old", sharedGW, "gpt-4o")))}
			},
		},
		{
			name: "routes with disjoint hostnames do not collide",
			spec: func(s *Spec) { s.Hostnames = []string{"a.example.com", "*.a.example.org"} },
			routes: func(t *testing.T) []*unstructured.Unstructured {
				s := routeSpecOn("other-host", sharedGW, "gpt-4o")
				s.Hostnames = []string{"b.example.com", "a.example.org"}
				return []*unstructured.Unstructured{liveRoute(t, "team-b", s)}
			},
		},
		{
			name: "a wildcard hostname overlaps the hosts below it",
			spec: func(s *Spec) { s.Hostnames = []string{"eu.ai.example.com"} },
			routes: func(t *testing.T) []*unstructured.Unstructured {
				s := routeSpecOn("wild", sharedGW, "gpt-4o")
				s.Hostnames = []string{"*.ai.example.com"}
				return []*unstructured.Unstructured{liveRoute(t, "team-b", s)}
			},
			want: []string{`rules[0].models[0]: Duplicate value: "gpt-4o": model "gpt-4o" is already routed on Gateway gateways/ai-gateway ` +
				`by AIGatewayRoute team-b/wild, rules[0] ("main"); a model can be routed by only one route per Gateway`},
		},
		{
			name: "a route without hostnames overlaps every host",
			spec: func(s *Spec) { s.Hostnames = []string{"ai.example.com"} },
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{liveRoute(t, "team-b", routeSpecOn("any-host", sharedGW, "gpt-4o-mini"))}
			},
			want: []string{`rules[0].models[1]: Duplicate value: "gpt-4o-mini": model "gpt-4o-mini" is already routed on Gateway gateways/ai-gateway ` +
				`by AIGatewayRoute team-b/any-host, rules[0] ("main"); a model can be routed by only one route per Gateway`},
		},
		{
			name: "a model the other route matches twice is reported once, naming an unnamed rule by index",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{routeWithRules(t, `
  parentRefs:
    - name: ai-gateway
      namespace: gateways
    - name: ai-gateway
      namespace: gateways
      sectionName: https
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: o3}]}]
      backendRefs: [{name: p}]
    - matches:
        - headers: [{name: X-AI-EG-MODEL, value: gpt-4o}]
        - headers: [{name: x-ai-eg-model, value: gpt-4o, type: Exact}, {name: x-team, value: a}]
      backendRefs: [{name: p}]
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o}]}]
      backendRefs: [{name: p}]
`)}
			},
			want: []string{`rules[0].models[0]: Duplicate value: "gpt-4o": model "gpt-4o" is already routed on Gateway gateways/ai-gateway ` +
				`by AIGatewayRoute team-a/hand-made, rules[1]; a model can be routed by only one route per Gateway`},
		},
		{
			name: "a model in two rules of the spec is reported for each",
			spec: func(s *Spec) {
				s.Rules = append(s.Rules, Rule{Models: []string{"gpt-4o"}, Headers: []HeaderMatch{{Name: "x-tier", Value: "gold"}}, Backends: []Backend{{Provider: "p"}}})
			},
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{liveRoute(t, "team-b", routeSpecOn("other", sharedGW, "gpt-4o"))}
			},
			want: []string{
				`rules[0].models[0]: Duplicate value: "gpt-4o": model "gpt-4o" is already routed on Gateway gateways/ai-gateway by AIGatewayRoute team-b/other, rules[0] ("main"); a model can be routed by only one route per Gateway`,
				`rules[1].models[0]: Duplicate value: "gpt-4o": model "gpt-4o" is already routed on Gateway gateways/ai-gateway by AIGatewayRoute team-b/other, rules[0] ("main"); a model can be routed by only one route per Gateway`,
			},
		},
		{
			name: "parentRefs of other kinds, specs that do not decode and nil entries are skipped",
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{
					nil,
					routeWithRules(t, `
  parentRefs: [{name: ai-gateway, namespace: gateways, kind: Service, group: ""}]
  rules: [{matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o}]}], backendRefs: [{name: p}]}]
`),
					routeWithRules(t, `  rules: all`),
					objectFromYAML(t, `{apiVersion: aigateway.envoyproxy.io/v1beta1, kind: AIGatewayRoute, metadata: {name: empty, namespace: team-b}}`),
				}
			},
		},
		{
			name: "a spec with no models has nothing to collide",
			spec: func(s *Spec) { s.Rules[0].Models, s.Rules[0].ModelPattern = nil, ".*" },
			routes: func(t *testing.T) []*unstructured.Unstructured {
				return []*unstructured.Unstructured{liveRoute(t, "team-b", routeSpecOn("other", sharedGW, "gpt-4o"))}
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			if tc.spec != nil {
				tc.spec(&s)
			}
			got := errorSummary(CheckModelCollisions(testNamespace, s, tc.routes(t)))
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("CheckModelCollisions() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHostOverlap(t *testing.T) {
	for _, tc := range []struct {
		x, y string
		want bool
	}{
		{"a.example.com", "a.example.com", true},
		{"a.example.com", "b.example.com", false},
		{"*.example.com", "a.example.com", true},
		{"*.example.com", "a.b.example.com", true},
		{"*.example.com", "*.b.example.com", true},
		{"*.example.com", "example.com", false},
		{"*.example.com", "*.example.org", false},
		{"*.example.com", "badexample.com", false},
	} {
		if got := hostOverlap(tc.x, tc.y); got != tc.want {
			t.Errorf("hostOverlap(%q, %q) = %v, want %v", tc.x, tc.y, got, tc.want)
		}
		if got := hostOverlap(tc.y, tc.x); got != tc.want {
			t.Errorf("hostOverlap(%q, %q) = %v, want %v", tc.y, tc.x, got, tc.want)
		}
	}
}

// TestCheckModelCollisionsAmongAThousandRoutes is the informer-sized case: a
// thousand routes on the Gateway, one of them colliding.
func TestCheckModelCollisionsAmongAThousandRoutes(t *testing.T) {
	routes := make([]*unstructured.Unstructured, 0, 1000)
	for i := range 1000 {
		routes = append(routes, liveRoute(t, "team-b", routeSpecOn(fmt.Sprintf("r-%d", i),
			GatewayRef{Name: "ai-gateway", Namespace: "gateways"}, fmt.Sprintf("m-%d", i))))
	}
	s := validSpec()
	s.Rules[0].Models = append(s.Rules[0].Models, "m-999")
	errs := CheckModelCollisions(testNamespace, s, routes)
	if len(errs) != 1 || !strings.Contains(errs[0].Detail, "team-b/r-999") {
		t.Errorf("CheckModelCollisions() = %v, want one collision with team-b/r-999", errs)
	}
}

func BenchmarkCheckModelCollisions(b *testing.B) {
	routes := make([]*unstructured.Unstructured, 0, 1000)
	for i := range 1000 {
		routes = append(routes, liveRoute(b, "team-b", routeSpecOn(fmt.Sprintf("r-%d", i),
			GatewayRef{Name: "ai-gateway", Namespace: "gateways"}, fmt.Sprintf("m-%d", i))))
	}
	s := validSpec()
	for b.Loop() {
		CheckModelCollisions(testNamespace, s, routes)
	}
}
