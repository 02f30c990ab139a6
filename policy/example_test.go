package policy_test

import (
	"context"
	"fmt"
	"log"

	"github.com/aigw-console/aigw-console/policy"
)

// The default policies check a route that catches every model and sets no
// request timeout.
func ExampleEngine_Evaluate() {
	ctx := context.Background()
	engine, err := policy.New(ctx, policy.Options{})
	if err != nil {
		log.Fatal(err)
	}
	route := map[string]any{
		"apiVersion": "aigateway.envoyproxy.io/v1beta1",
		"kind":       "AIGatewayRoute",
		"metadata":   map[string]any{"name": "everything", "namespace": "team-a"},
		"spec": map[string]any{
			"rules": []any{map[string]any{
				"matches": []any{map[string]any{"headers": []any{
					map[string]any{"type": "RegularExpression", "name": "x-ai-eg-model", "value": ".*"},
				}}},
				"backendRefs": []any{map[string]any{"name": "openai"}},
			}},
		},
	}
	decision, err := engine.Evaluate(ctx, policy.Input{
		Operation: "create",
		Kind:      "route",
		Namespace: "team-a",
		User:      policy.User{Name: "alice", Groups: []string{"team-a"}},
		Objects:   []map[string]any{route},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("allowed:", decision.Allowed())
	for _, v := range decision.Deny {
		fmt.Printf("deny [%s] %s\n", v.Policy, v.Field)
	}
	for _, v := range decision.Warn {
		fmt.Printf("warn [%s] %s: %s\n", v.Policy, v.Field, v.Message)
	}
	// Output:
	// allowed: false
	// deny [aigw.route] AIGatewayRoute/everything: spec.rules[0].matches[0].headers[0].value
	// warn [aigw.route] AIGatewayRoute/everything: spec.rules[0].timeouts.request: no request timeout: the gateway applies 60s, which cuts off long completions and streams; set timeouts.request
}

// A platform team mounts a ConfigMap of extra policies; Run picks up changes
// to it while the console runs.
func ExampleNew_withPolicyDirectory() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	engine, err := policy.New(ctx, policy.Options{
		Dir: "/etc/aigw-console/policies", // a mounted ConfigMap in production
	})
	if err != nil {
		log.Print(err) // the directory does not exist here
		return
	}
	go func() {
		if err := engine.Run(ctx); err != nil {
			log.Print(err)
		}
	}()
	// Evaluate requests; store engine.Revision() or Decision.Revision in the
	// audit record, and surface engine.LastError() on a health endpoint.
}
