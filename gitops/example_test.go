package gitops_test

import (
	"context"
	"fmt"
	"log"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/gitops"
)

// A replica commits one object for Flux to apply; the acting user lands in
// the commit's trailer and the commit SHA in the result.
func Example() {
	ctx := context.Background()
	s, err := gitops.New(ctx, gitops.Options{
		URL:        "https://git.example.com/platform/fleet.git",
		Root:       "clusters/prod",
		Auth:       gitops.Auth{Username: "aigw-console", PasswordFile: "/var/run/secrets/git/token"},
		CacheDir:   "/var/cache/aigw-console/gitops",
		Recipients: []string{"age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"},
	})
	if err != nil {
		log.Fatal(err)
	}
	defer func() { _ = s.Close() }()
	backend := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.envoyproxy.io/v1alpha1",
		"kind":       "Backend",
		"metadata":   map[string]any{"name": "openai", "namespace": "team-a"},
		"spec":       map[string]any{"endpoints": []any{map[string]any{"fqdn": map[string]any{"hostname": "api.openai.com", "port": int64(443)}}}},
	}}
	res, err := s.Apply(gitops.WithUser(ctx, "alice"), sink.ChangeSet{
		Apply:   []*unstructured.Unstructured{backend},
		Summary: "create provider team-a/openai",
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Entries[0].Action, gitops.CommitOf(res))
}

// ObjectPath shows where an object lives in the repository.
func ExampleObjectPath() {
	ref := sink.RefOf(&unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "aigateway.envoyproxy.io/v1beta1",
		"kind":       "AIServiceBackend",
		"metadata":   map[string]any{"name": "openai", "namespace": "team-a"},
	}})
	p, _ := gitops.ObjectPath("clusters/default", ref)
	fmt.Println(p)
	_, err := gitops.ObjectPath("clusters/default", sink.Ref{GVK: ref.GVK, Namespace: "team-a", Name: "../../etc"})
	fmt.Println(err != nil)
	// Output:
	// clusters/default/team-a/aiservicebackend/openai.yaml
	// true
}
