package route

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// objectFromYAML decodes a manifest the way the informer cache holds it
// (integers as int64).
func objectFromYAML(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	b, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	u := &unstructured.Unstructured{}
	if err := u.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	return u
}

// canonical is the Spec FromObject gives back for s: Render drops a backend
// namespace equal to the route's and FromObject leaves out the default
// header match type.
func canonical(namespace string, s Spec) Spec {
	b, _ := json.Marshal(s)
	var out Spec
	_ = json.Unmarshal(b, &out)
	for i := range out.Rules {
		for j := range out.Rules[i].Backends {
			if out.Rules[i].Backends[j].Namespace == namespace {
				out.Rules[i].Backends[j].Namespace = ""
			}
		}
		for k := range out.Rules[i].Headers {
			if out.Rules[i].Headers[k].Type == gwapiv1.HeaderMatchExact {
				out.Rules[i].Headers[k].Type = ""
			}
		}
	}
	return out
}

// withServerDefaults is canonical(s) as read back from the cluster: the API
// server stores weight 1 and priority 0 where they are unset.
func withServerDefaults(namespace string, s Spec) Spec {
	out := canonical(namespace, s)
	for i := range out.Rules {
		for j := range out.Rules[i].Backends {
			b := &out.Rules[i].Backends[j]
			if b.Weight == nil {
				b.Weight = ptr(int32(1))
			}
			if b.Priority == nil {
				b.Priority = ptr(uint32(0))
			}
		}
	}
	return out
}

// stored returns the rendered object as the API server would store and the
// controller would update it: structural defaults applied, server metadata,
// the finalizer and an Accepted condition.
func stored(t testing.TB, u *unstructured.Unstructured) *unstructured.Unstructured {
	t.Helper()
	out := u.DeepCopy()
	out.SetResourceVersion("4242")
	out.SetUID("0b7e4c3a-5f0e-4a39-9c55-4f2d1b0c9e11")
	out.SetGeneration(1)
	out.SetCreationTimestamp(metav1.Date(2026, 9, 1, 12, 0, 0, 0, metav1.Now().Location()))
	out.SetFinalizers([]string{aigv1b1.Finalizer})
	rules, _, _ := unstructured.NestedSlice(out.Object, "spec", "rules")
	for _, r := range rules {
		rule := r.(map[string]any)
		if _, ok := rule["modelsOwnedBy"]; !ok {
			rule["modelsOwnedBy"] = defaultModelsOwnedBy
		}
		refs, _ := rule["backendRefs"].([]any)
		for _, b := range refs {
			ref := b.(map[string]any)
			if _, ok := ref["weight"]; !ok {
				ref["weight"] = int64(1)
			}
			if _, ok := ref["priority"]; !ok {
				ref["priority"] = int64(0)
			}
		}
	}
	if err := unstructured.SetNestedSlice(out.Object, rules, "spec", "rules"); err != nil {
		t.Fatal(err)
	}
	out.Object["status"] = map[string]any{"conditions": []any{map[string]any{
		"type":               aigv1b1.ConditionTypeAccepted,
		"status":             "True",
		"reason":             "ReconciliationSucceeded",
		"message":            "AIGatewayRoute reconciled successfully",
		"lastTransitionTime": "2026-09-01T12:00:01Z",
	}}}
	return out
}

func roundTripSpecs(t *testing.T) map[string]renderCase {
	out := map[string]renderCase{}
	for base, rc := range readRenderCases(t) {
		out[filepath.Base(base)] = rc
	}
	out["the largest route"] = renderCase{Namespace: testNamespace, Spec: largestSpec()}
	out["the table tests' valid spec"] = renderCase{Namespace: testNamespace, Spec: validSpec()}
	withEverything := validSpec()
	withEverything.Hostnames = []string{"*.example.com"}
	withEverything.Rules[0].Headers = []HeaderMatch{{Name: "x-tier", Value: "gold|silver", Type: gwapiv1.HeaderMatchRegularExpression}, {Name: "x-team", Value: "a"}}
	withEverything.Rules[0].Timeouts = &Timeouts{}
	withEverything.Rules[0].Backends[1] = Backend{Provider: "azure", Namespace: "shared", Weight: ptr(int32(0)), Priority: ptr(uint32(2)), ModelNameOverride: "gpt-4o-eu"}
	withEverything.LLMRequestCosts = []LLMRequestCost{{MetadataKey: "cost", Type: aigv1b1.LLMRequestCostTypeCEL, CEL: "total_tokens"}}
	out["a route using every field"] = renderCase{Namespace: testNamespace, Spec: withEverything}
	return out
}

// TestRoundTrip: Spec → Render → FromObject → the same Spec.
func TestRoundTrip(t *testing.T) {
	for name, rc := range roundTripSpecs(t) {
		t.Run(name+" comes back unchanged from its rendered object", func(t *testing.T) {
			u, err := Render(rc.Namespace, rc.Spec)
			if err != nil {
				t.Fatal(err)
			}
			r, err := FromObject(u)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Editable || r.Reason != "" {
				t.Errorf("FromObject() editable = %v, reason %q; want editable", r.Editable, r.Reason)
			}
			if !r.Managed {
				t.Error("FromObject() managed = false for a rendered route")
			}
			if diff := cmp.Diff(canonical(rc.Namespace, rc.Spec), r.Spec()); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
		t.Run(name+" comes back with the server's defaults from the stored object", func(t *testing.T) {
			u, err := Render(rc.Namespace, rc.Spec)
			if err != nil {
				t.Fatal(err)
			}
			live := stored(t, u)
			assertSatisfiesCRD(t, live)
			r, err := FromObject(live)
			if err != nil {
				t.Fatal(err)
			}
			if !r.Editable || r.Reason != "" {
				t.Errorf("FromObject() editable = %v, reason %q; want editable", r.Editable, r.Reason)
			}
			if diff := cmp.Diff(withServerDefaults(rc.Namespace, rc.Spec), r.Spec()); diff != "" {
				t.Errorf("round trip through the cluster (-want +got):\n%s", diff)
			}
			if r.ResourceVersion != "4242" || !r.Status.Accepted || r.Status.Deleting {
				t.Errorf("FromObject() resourceVersion %q, status %+v; want 4242, accepted, not deleting", r.ResourceVersion, r.Status)
			}
			// And the read-back Spec renders the stored spec again.
			again, err := Render(r.Namespace, r.Spec())
			if err != nil {
				t.Fatalf("Render(FromObject().Spec()) error = %v", err)
			}
			r2, err := FromObject(stored(t, again))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(r, r2); diff != "" {
				t.Errorf("a second round trip changed the view (-first +second):\n%s", diff)
			}
		})
	}
}

const openAIExample = `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata:
  name: envoy-ai-gateway-basic-openai
  namespace: default
  resourceVersion: "17"
spec:
  parentRefs:
    - name: envoy-ai-gateway-basic
      kind: Gateway
      group: gateway.networking.k8s.io
  rules:
    - matches:
        - headers:
            - type: Exact
              name: x-ai-eg-model
              value: gpt-4o-mini
      backendRefs:
        - name: envoy-ai-gateway-basic-openai
`

const tarsExample = `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata:
  name: envoy-ai-gateway-basic-tars
  namespace: default
spec:
  parentRefs:
    - name: envoy-ai-gateway-basic
      kind: Gateway
      group: gateway.networking.k8s.io
  rules:
    - matches:
        - headers:
            - type: RegularExpression
              name: x-ai-eg-model
              value: .*
      backendRefs:
        - name: envoy-ai-gateway-basic-tars
      timeouts:
        request: 120s
`

const inferencePoolExample = `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata:
  name: inference-pool-with-aigwroute
  namespace: default
  resourceVersion: "99"
  finalizers: [aigateway.envoyproxy.io/finalizer]
spec:
  parentRefs:
    - name: inference-pool-with-aigwroute
      kind: Gateway
      group: gateway.networking.k8s.io
  rules:
    - matches:
        - headers:
            - type: Exact
              name: x-ai-eg-model
              value: meta-llama/Llama-3.1-8B-Instruct
      backendRefs:
        - group: inference.networking.k8s.io
          kind: InferencePool
          name: vllm-llama3-8b-instruct
    - matches:
        - headers:
            - type: Exact
              name: x-ai-eg-model
              value: mistral:latest
      backendRefs:
        - group: inference.networking.k8s.io
          kind: InferencePool
          name: mistral
    - matches:
        - headers:
            - type: Exact
              name: x-ai-eg-model
              value: some-cool-self-hosted-model
      backendRefs:
        - name: envoy-ai-gateway-basic-testupstream
status:
  conditions:
    - type: Accepted
      status: "True"
      reason: ReconciliationSucceeded
      message: reconciled
      lastTransitionTime: "2026-09-01T12:00:00Z"
`

func TestFromObjectReadsTheUpstreamExamples(t *testing.T) {
	basicGateway := []GatewayRef{{Name: "envoy-ai-gateway-basic"}}
	for _, tc := range []struct {
		name     string
		manifest string
		want     Route
	}{
		{
			name:     "the OpenAI example is an editable route of one model",
			manifest: openAIExample,
			want: Route{
				Name: "envoy-ai-gateway-basic-openai", Namespace: "default", ResourceVersion: "17",
				Gateways: basicGateway,
				Rules: []RuleView{{Rule: Rule{
					Models:   []string{"gpt-4o-mini"},
					Backends: []Backend{{Provider: "envoy-ai-gateway-basic-openai"}},
				}}},
				Editable: true,
			},
		},
		{
			name:     "the TARS example's catch-all RegularExpression is an editable model pattern",
			manifest: tarsExample,
			want: Route{
				Name: "envoy-ai-gateway-basic-tars", Namespace: "default",
				Gateways: basicGateway,
				Rules: []RuleView{{Rule: Rule{
					ModelPattern: ".*",
					Backends:     []Backend{{Provider: "envoy-ai-gateway-basic-tars"}},
					Timeouts:     &Timeouts{Request: "120s"},
				}}},
				Editable: true,
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := FromObject(objectFromYAML(t, tc.manifest))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("FromObject() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromObjectKeepsInferencePoolRulesRaw(t *testing.T) {
	u := objectFromYAML(t, inferencePoolExample)
	got, err := FromObject(u)
	if err != nil {
		t.Fatal(err)
	}
	rawRules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
	want := Route{
		Name: "inference-pool-with-aigwroute", Namespace: "default", ResourceVersion: "99",
		Gateways: []GatewayRef{{Name: "inference-pool-with-aigwroute"}},
		Rules: []RuleView{
			{
				Rule:   Rule{Models: []string{"meta-llama/Llama-3.1-8B-Instruct"}, Backends: []Backend{}},
				Raw:    rawRules[0].(map[string]any),
				Reason: `backendRefs[0] is InferencePool "vllm-llama3-8b-instruct", not a provider`,
			},
			{
				Rule:   Rule{Models: []string{"mistral:latest"}, Backends: []Backend{}},
				Raw:    rawRules[1].(map[string]any),
				Reason: `backendRefs[0] is InferencePool "mistral", not a provider`,
			},
			{Rule: Rule{Models: []string{"some-cool-self-hosted-model"}, Backends: []Backend{{Provider: "envoy-ai-gateway-basic-testupstream"}}}},
		},
		Editable: false,
		Reason: `rules[0]: backendRefs[0] is InferencePool "vllm-llama3-8b-instruct", not a provider; ` +
			`rules[1]: backendRefs[0] is InferencePool "mistral", not a provider`,
		Status: Status{
			Accepted: true,
			Conditions: []metav1.Condition{{
				Type: "Accepted", Status: metav1.ConditionTrue, Reason: "ReconciliationSucceeded", Message: "reconciled",
				LastTransitionTime: metav1.Date(2026, 9, 1, 12, 0, 0, 0, metav1.Now().UTC().Location()),
			}},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("FromObject() (-want +got):\n%s", diff)
	}
	// The API answer, as a golden file.
	b, err := json.MarshalIndent(got, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "inference-pool.view.json")
	if *update {
		if err := os.WriteFile(golden, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	wantJSON, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(wantJSON), string(b)+"\n"); diff != "" {
		t.Errorf("the JSON view differs from %s (-want +got):\n%s", golden, diff)
	}

	// The raw rules are copies: editing the view leaves the cache alone.
	got.Rules[0].Raw["name"] = "changed"
	if _, found := rawRules[0].(map[string]any)["name"]; found {
		t.Error("FromObject() shares the raw rule with the object")
	}
}

// routeWithRules wraps a YAML rules list (indented for spec.rules) into an
// AIGatewayRoute in namespace team-a.
func routeWithRules(t *testing.T, specYAML string) *unstructured.Unstructured {
	t.Helper()
	return objectFromYAML(t, `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata:
  name: hand-made
  namespace: team-a
spec:
`+specYAML)
}

const oneGateway = `
  parentRefs:
    - name: ai-gateway
`

func TestFromObjectMarksWhatSpecCannotExpress(t *testing.T) {
	for _, tc := range []struct {
		name       string
		spec       string
		wantReason string
		wantRaw    int // index of the rule kept raw, -1 for none
	}{
		{"a backend header mutation", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o}]}]
      backendRefs:
        - name: openai
          headerMutation: {set: [{name: x-team, value: a}]}
`, "rules[0]: backendRefs[0] has a headerMutation", 0},
		{"a backend body mutation", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o}]}]
      backendRefs:
        - name: openai
          bodyMutation: {remove: [service_tier]}
`, "rules[0]: backendRefs[0] has a bodyMutation", 0},
		{"a backend of another kind", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: gpt-4o}]}]
      backendRefs: [{name: svc, group: example.com, kind: Service}]
`, `rules[0]: backendRefs[0] is a Service "svc", not a provider`, 0},
		{"a rule without matches", oneGateway + `
  rules:
    - backendRefs: [{name: openai}]
`, "rules[0]: it has no matches, so it takes every request", 0},
		{"a match on another header only", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-team, value: a}]}]
      backendRefs: [{name: openai}]
`, "rules[0]: matches[0] does not match on x-ai-eg-model", 0},
		{"a match on the model header twice", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: a}, {name: X-AI-EG-Model, value: b}]}]
      backendRefs: [{name: openai}]
`, "rules[0]: matches[0] matches x-ai-eg-model twice", 0},
		{"matches with different extra headers", oneGateway + `
  rules:
    - matches:
        - headers: [{name: x-ai-eg-model, value: a}, {name: x-team, value: a}]
        - headers: [{name: x-ai-eg-model, value: b}, {name: x-team, value: b}]
      backendRefs: [{name: openai}]
`, "rules[0]: matches[1] has other headers than matches[0]", 0},
		{"a RegularExpression model match next to an Exact one", oneGateway + `
  rules:
    - matches:
        - headers: [{name: x-ai-eg-model, value: a}]
        - headers: [{name: x-ai-eg-model, value: b.*, type: RegularExpression}]
      backendRefs: [{name: openai}]
`, "rules[0]: matches[1] is a RegularExpression model match next to other matches", 0},
		{"a custom modelsOwnedBy", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: a}]}]
      backendRefs: [{name: openai}]
      modelsOwnedBy: Acme
`, "rules[0]: it sets modelsOwnedBy", 0},
		{"a modelsCreatedAt", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: a}]}]
      backendRefs: [{name: openai}]
    - matches: [{headers: [{name: x-ai-eg-model, value: b}]}]
      backendRefs: [{name: openai}]
      modelsCreatedAt: "2026-01-02T03:04:05Z"
`, "rules[1]: it sets modelsCreatedAt", 1},
		{"a parentRef with a port", `
  parentRefs: [{name: ai-gateway, port: 443}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: a}]}]
      backendRefs: [{name: openai}]
`, "parentRefs[0] sets a port", -1},
		{"a parentRef that is not a Gateway", `
  parentRefs: [{name: ai-gateway, kind: Service, group: ""}]
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: a}]}]
      backendRefs: [{name: openai}]
`, "parentRefs[0] is not a Gateway", -1},
		{"a field of a newer CRD", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: a}]}]
      backendRefs: [{name: openai}]
      retryPolicy: {attempts: 3}
`, `rules[0]: the console does not know field "retryPolicy"`, 0},
		{"top-level fields of a newer CRD", oneGateway + `
  rules:
    - matches: [{headers: [{name: x-ai-eg-model, value: a}]}]
      backendRefs: [{name: openai}]
  retries: 3
  mirror: {}
`, `the console does not know fields "mirror", "retries"`, -1},
	} {
		t.Run("a route with "+tc.name+" is not editable", func(t *testing.T) {
			u := routeWithRules(t, tc.spec)
			r, err := FromObject(u)
			if err != nil {
				t.Fatal(err)
			}
			if r.Editable {
				t.Fatal("FromObject() editable = true")
			}
			if !strings.Contains(r.Reason, tc.wantReason) {
				t.Errorf("FromObject() reason = %q, want it to contain %q", r.Reason, tc.wantReason)
			}
			rawRules, _, _ := unstructured.NestedSlice(u.Object, "spec", "rules")
			for i, rv := range r.Rules {
				switch {
				case i == tc.wantRaw:
					if diff := cmp.Diff(rawRules[i], any(rv.Raw)); diff != "" {
						t.Errorf("rules[%d].raw is not the stored rule (-want +got):\n%s", i, diff)
					}
					if rv.Reason == "" {
						t.Errorf("rules[%d] has no reason", i)
					}
				case rv.Raw != nil || rv.Reason != "":
					t.Errorf("rules[%d] raw = %v, reason %q; want neither", i, rv.Raw, rv.Reason)
				}
			}
		})
	}
}

func TestFromObjectAcceptsEquivalentHandWrittenRoutes(t *testing.T) {
	u := routeWithRules(t, `
  parentRefs:
    - name: ai-gateway
    - name: ai-gateway
      namespace: gateways
      sectionName: https
  hostnames: [ai.example.com]
  rules:
    - name: gpt
      matches:
        - headers:
            - name: x-team
              value: a
            - name: X-AI-EG-Model
              value: gpt-4o
            - name: x-tier
              type: RegularExpression
              value: gold|silver
        - headers:
            - name: x-tier
              type: RegularExpression
              value: gold|silver
            - name: x-ai-eg-model
              type: Exact
              value: gpt-4o-mini
            - name: x-team
              type: Exact
              value: a
      backendRefs:
        - name: openai
          namespace: team-a
          weight: 1
        - name: azure
          namespace: ""
          priority: 1
      modelsOwnedBy: Envoy AI Gateway
      timeouts: {}
  llmRequestCosts:
    - metadataKey: in
      type: InputToken
      cel: ""
`)
	r, err := FromObject(u)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Editable {
		t.Fatalf("FromObject() not editable: %s", r.Reason)
	}
	want := Spec{
		Name:      "hand-made",
		Gateways:  []GatewayRef{{Name: "ai-gateway"}, {Name: "ai-gateway", Namespace: "gateways", SectionName: "https"}},
		Hostnames: []string{"ai.example.com"},
		Rules: []Rule{{
			Name:    "gpt",
			Models:  []string{"gpt-4o", "gpt-4o-mini"},
			Headers: []HeaderMatch{{Name: "x-team", Value: "a"}, {Name: "x-tier", Value: "gold|silver", Type: gwapiv1.HeaderMatchRegularExpression}},
			Backends: []Backend{
				{Provider: "openai", Weight: ptr(int32(1))},
				{Provider: "azure", Priority: ptr(uint32(1))},
			},
			Timeouts: &Timeouts{},
		}},
		LLMRequestCosts: []LLMRequestCost{{MetadataKey: "in", Type: aigv1b1.LLMRequestCostTypeInputToken}},
	}
	if diff := cmp.Diff(want, r.Spec()); diff != "" {
		t.Errorf("FromObject().Spec() (-want +got):\n%s", diff)
	}
	if r.Managed {
		t.Error("FromObject() managed = true for a route without the console's label")
	}
}

func TestFromObjectStatus(t *testing.T) {
	for _, tc := range []struct {
		name     string
		metadata string
		status   string
		want     Status
	}{
		{"a route without status is not accepted", "", "", Status{}},
		{"a route the controller rejected is not accepted", "", `
status:
  conditions:
    - type: NotAccepted
      status: "False"
      reason: ReconciliationFailed
      message: AIServiceBackend team-a/openai not found
      lastTransitionTime: "2026-09-01T12:00:00Z"
`, Status{Conditions: []metav1.Condition{{
			Type: "NotAccepted", Status: metav1.ConditionFalse, Reason: "ReconciliationFailed",
			Message:            "AIServiceBackend team-a/openai not found",
			LastTransitionTime: metav1.Date(2026, 9, 1, 12, 0, 0, 0, metav1.Now().UTC().Location()),
		}}}},
		{"a deleted route held by the finalizer is deleting", `
  deletionTimestamp: "2026-09-01T13:00:00Z"
  finalizers: [aigateway.envoyproxy.io/finalizer]
`, "", Status{Deleting: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := objectFromYAML(t, `
apiVersion: aigateway.envoyproxy.io/v1beta1
kind: AIGatewayRoute
metadata:
  name: chat
  namespace: team-a
`+tc.metadata+`
spec:
  rules: []
`+tc.status)
			r, err := FromObject(u)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, r.Status); diff != "" {
				t.Errorf("FromObject().Status (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFromObjectWithoutSpec(t *testing.T) {
	r, err := FromObject(objectFromYAML(t, `{apiVersion: aigateway.envoyproxy.io/v1beta1, kind: AIGatewayRoute, metadata: {name: empty, namespace: team-a}}`))
	if err != nil {
		t.Fatal(err)
	}
	want := Route{Name: "empty", Namespace: "team-a", Gateways: []GatewayRef{}, Rules: []RuleView{}, Editable: true}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("FromObject() (-want +got):\n%s", diff)
	}
}

func TestFromObjectWithoutTypeMeta(t *testing.T) {
	u, err := Render(testNamespace, validSpec())
	if err != nil {
		t.Fatal(err)
	}
	delete(u.Object, "apiVersion")
	delete(u.Object, "kind")
	r, err := FromObject(u)
	if err != nil {
		t.Fatalf("FromObject() error = %v for an object without apiVersion and kind", err)
	}
	if diff := cmp.Diff(validSpec(), r.Spec()); diff != "" {
		t.Errorf("FromObject().Spec() (-want +got):\n%s", diff)
	}
}

func TestFromObjectErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  *unstructured.Unstructured
		want string
	}{
		{"no object", nil, "no AIGatewayRoute given"},
		{"another kind", objectFromYAML(t, `{apiVersion: gateway.networking.k8s.io/v1, kind: HTTPRoute, metadata: {name: chat, namespace: team-a}}`),
			"HTTPRoute/team-a/chat is not an AIGatewayRoute"},
		{"a spec of the wrong shape", routeWithRules(t, `  rules: all`), "AIGatewayRoute/team-a/hand-made: decode spec"},
		{"a status of the wrong shape", objectFromYAML(t, `{apiVersion: aigateway.envoyproxy.io/v1beta1, kind: AIGatewayRoute, metadata: {name: chat, namespace: team-a}, status: {conditions: 3}}`),
			"AIGatewayRoute/team-a/chat: decode status"},
	} {
		t.Run("FromObject fails for "+tc.name, func(t *testing.T) {
			_, err := FromObject(tc.obj)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("FromObject() error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}
