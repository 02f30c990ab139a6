package route_test

import (
	"fmt"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/route"
)

// A handler for POST /api/v1/routes?namespace=team-a: validate, check
// against the cache, render.
func Example() {
	spec := route.Spec{
		Name:     "chat",
		Gateways: []route.GatewayRef{{Name: "ai-gateway", Namespace: "gateways"}},
		Rules: []route.Rule{{
			Models:   []string{"gpt-4o"},
			Backends: []route.Backend{{Provider: "openai"}},
		}},
	}
	// From the informer cache, in a real handler.
	var liveBackends, liveRoutes []*unstructured.Unstructured

	errs := route.Validate("team-a", spec)
	if len(errs) == 0 {
		errs = append(errs, route.CheckBackends("team-a", spec, liveBackends)...)
		errs = append(errs, route.CheckModelCollisions("team-a", spec, liveRoutes)...)
	}
	for _, e := range errs {
		fmt.Println(e)
	}
	// Output:
	// rules[0].backends[0].provider: Not found: "openai": provider "openai" does not exist: there is no AIServiceBackend team-a/openai
}

func ExampleValidate() {
	spec := route.Spec{
		Name:     "chat",
		Gateways: []route.GatewayRef{{Name: "ai-gateway"}},
		Rules: []route.Rule{{
			Name:     "route-not-found",
			Models:   []string{"gpt-4o"},
			Backends: []route.Backend{{Provider: "openai"}},
			Timeouts: &route.Timeouts{Request: "30s", BackendRequest: "1m"},
		}},
	}
	for _, e := range route.Validate("team-a", spec) {
		fmt.Println(e)
	}
	// Output:
	// rules[0].name: Invalid value: "route-not-found": rule name route-not-found is reserved
	// rules[0].timeouts.backendRequest: Invalid value: "1m": backendRequest timeout cannot be longer than request timeout
}

func ExampleRender() {
	weight := func(w int32) *int32 { return &w }
	priority := func(p uint32) *uint32 { return &p }
	u, err := route.Render("team-a", route.Spec{
		Name:     "chat",
		Gateways: []route.GatewayRef{{Name: "ai-gateway", Namespace: "gateways"}},
		Rules: []route.Rule{{
			Models: []string{"gpt-4o"},
			Backends: []route.Backend{
				{Provider: "openai", Weight: weight(80)},
				{Provider: "azure", Weight: weight(20)},
				{Provider: "openai-fallback", Priority: priority(1)},
			},
			Timeouts: &route.Timeouts{Request: "300s"},
		}},
	})
	if err != nil {
		panic(err)
	}
	b, _ := yaml.Marshal(u.Object["spec"])
	fmt.Print(string(b))
	// Output:
	// parentRefs:
	// - group: gateway.networking.k8s.io
	//   kind: Gateway
	//   name: ai-gateway
	//   namespace: gateways
	// rules:
	// - backendRefs:
	//   - name: openai
	//     weight: 80
	//   - name: azure
	//     weight: 20
	//   - name: openai-fallback
	//     priority: 1
	//   matches:
	//   - headers:
	//     - name: x-ai-eg-model
	//       type: Exact
	//       value: gpt-4o
	//   timeouts:
	//     request: 300s
}

func ExampleFromObject() {
	u := &unstructured.Unstructured{}
	_ = u.UnmarshalJSON([]byte(`{
	  "apiVersion": "aigateway.envoyproxy.io/v1beta1", "kind": "AIGatewayRoute",
	  "metadata": {"name": "pool", "namespace": "default"},
	  "spec": {"parentRefs": [{"name": "ai-gateway"}], "rules": [{
	    "matches": [{"headers": [{"name": "x-ai-eg-model", "value": "llama"}]}],
	    "backendRefs": [{"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "vllm"}]
	  }]}
	}`))
	r, err := route.FromObject(u)
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Editable, r.Reason)
	fmt.Println(r.Rules[0].Models, r.Rules[0].Raw["backendRefs"])
	// Output:
	// false rules[0]: backendRefs[0] is InferencePool "vllm", not a provider
	// [llama] [map[group:inference.networking.k8s.io kind:InferencePool name:vllm]]
}
