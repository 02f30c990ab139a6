package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app/cluster"
)

// backendJSON is a raw Backend to an in-cluster host (public hosts need a
// BackendTLSPolicy by the default policies).
func backendJSON(ns, host string) map[string]any {
	return map[string]any{
		"apiVersion": "gateway.envoyproxy.io/v1alpha1",
		"kind":       "Backend",
		"metadata":   map[string]any{"name": "raw", "namespace": ns},
		"spec": map[string]any{
			"endpoints": []any{map[string]any{"fqdn": map[string]any{"hostname": host, "port": 8000}}},
		},
	}
}

type applyAnswer struct {
	DryRun  bool `json:"dryRun"`
	Changes []struct {
		Kind    string `json:"kind"`
		Name    string `json:"name"`
		Action  string `json:"action"`
		Changes []struct {
			Op, Path string
			Value    any
		} `json:"changes"`
	} `json:"changes"`
}

func TestRawResourceWrites(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	con := startConsole(t)
	c := adminClient(t)
	url := con.URL + "/api/v1/resources/backends/raw?namespace=" + ns
	liveBackend := func(t *testing.T) *unstructured.Unstructured {
		t.Helper()
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(cluster.Backend.GVK)
		if err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "raw"}, u); err != nil {
			t.Fatalf("get Backend: %v", err)
		}
		return u
	}

	t.Run("apply creates the object with server-side apply and answers 201", func(t *testing.T) {
		r := call(t, "PUT", url, backendJSON(ns, "vllm.models.svc.cluster.local"))
		if r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var a applyAnswer
		r.decode(t, &a)
		if len(a.Changes) != 1 || a.Changes[0].Action != "created" {
			t.Fatalf("changes: %+v", a.Changes)
		}
		u := liveBackend(t)
		found := false
		for _, mf := range u.GetManagedFields() {
			found = found || (mf.Manager == "aigw-console" && mf.Operation == "Apply")
		}
		if !found {
			t.Errorf("the object is not owned by the aigw-console apply manager: %+v", u.GetManagedFields())
		}
	})

	t.Run("applying the same object again changes nothing", func(t *testing.T) {
		before := liveBackend(t).GetResourceVersion()
		r := call(t, "PUT", url, backendJSON(ns, "vllm.models.svc.cluster.local"))
		var a applyAnswer
		r.decode(t, &a)
		if r.Status != 200 || len(a.Changes) != 1 || a.Changes[0].Action != "unchanged" {
			t.Fatalf("status %d changes %+v", r.Status, a.Changes)
		}
		if after := liveBackend(t).GetResourceVersion(); after != before {
			t.Errorf("resourceVersion moved from %s to %s", before, after)
		}
	})

	t.Run("a dry run returns the diff and changes nothing", func(t *testing.T) {
		before := liveBackend(t).GetResourceVersion()
		r := call(t, "PUT", url+"&dryRun=true", backendJSON(ns, "ollama.models.svc.cluster.local"))
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var a applyAnswer
		r.decode(t, &a)
		if !a.DryRun || len(a.Changes) != 1 || a.Changes[0].Action != "configured" {
			t.Fatalf("answer %+v", a)
		}
		diff, _ := json.Marshal(a.Changes[0].Changes)
		if !strings.Contains(string(diff), "ollama.models.svc.cluster.local") || !strings.Contains(string(diff), "/spec/endpoints") {
			t.Errorf("diff does not show the new hostname: %s", diff)
		}
		if after := liveBackend(t).GetResourceVersion(); after != before {
			t.Errorf("a dry run changed the object: resourceVersion %s -> %s", before, after)
		}
	})

	t.Run("a field owned by another manager is a 409 naming field and manager; force takes it", func(t *testing.T) {
		other := &unstructured.Unstructured{Object: backendJSON(ns, "other.models.svc.cluster.local")}
		//nolint:staticcheck // the unstructured apply path, as the sink uses it
		if err := c.Patch(ctx, other, client.Apply, client.FieldOwner("someone-else"), client.ForceOwnership); err != nil {
			t.Fatal(err)
		}
		r := call(t, "PUT", url, backendJSON(ns, "vllm.models.svc.cluster.local"))
		p := r.problem(t)
		if r.Status != 409 || p.Code != "Conflict" || len(p.Causes) == 0 {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		if !strings.Contains(p.Causes[0].Field, "endpoints") || !strings.Contains(p.Causes[0].Message, "someone-else") {
			t.Errorf("cause does not name the field and manager: %+v", p.Causes)
		}
		r = call(t, "PUT", url+"&force=true", backendJSON(ns, "vllm.models.svc.cluster.local"))
		if r.Status != 200 {
			t.Fatalf("forced apply: status %d: %s", r.Status, r.Body)
		}
		host, _, _ := unstructured.NestedSlice(liveBackend(t).Object, "spec", "endpoints")
		if b, _ := json.Marshal(host); !strings.Contains(string(b), "vllm.models.svc.cluster.local") {
			t.Errorf("forced apply did not take the field: %s", b)
		}
	})

	t.Run("a stale If-Match is a 412 and changes nothing", func(t *testing.T) {
		before := liveBackend(t).GetResourceVersion()
		r := call(t, "PUT", url, backendJSON(ns, "changed.models.svc.cluster.local"), "If-Match", `"1"`)
		if p := r.problem(t); r.Status != 412 || p.Code != "PreconditionFailed" {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		r = call(t, "DELETE", url, nil, "If-Match", `"1"`)
		if r.Status != 412 {
			t.Fatalf("delete with stale If-Match: status %d: %s", r.Status, r.Body)
		}
		if after := liveBackend(t).GetResourceVersion(); after != before {
			t.Errorf("object changed: %s -> %s", before, after)
		}
		r = call(t, "PUT", url, backendJSON(ns, "vllm.models.svc.cluster.local"), "If-Match", `"`+before+`"`)
		if r.Status != 200 {
			t.Fatalf("apply with a current If-Match: status %d: %s", r.Status, r.Body)
		}
	})

	t.Run("the API server's CEL rules come back as 422 with the field", func(t *testing.T) {
		bsp := map[string]any{
			"spec": map[string]any{
				"type":           "APIKey",
				"targetRefs":     []any{map[string]any{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": "x"}},
				"apiKey":         map[string]any{"secretRef": map[string]any{"name": "k"}},
				"awsCredentials": map[string]any{"region": "us-east-1"},
			},
		}
		r := call(t, "PUT", con.URL+"/api/v1/resources/backendsecuritypolicies/bad?namespace="+ns, bsp)
		p := r.problem(t)
		if r.Status != 422 || p.Code != "Invalid" || !strings.Contains(p.Detail, "When type is APIKey, only apiKey field should be set") {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
	})

	t.Run("delete removes the object", func(t *testing.T) {
		waitFor(t, 10*time.Second, "the cache to see the Backend", func() bool {
			return call(t, "GET", url, nil).Status == 200
		})
		r := call(t, "DELETE", url, nil)
		var a applyAnswer
		r.decode(t, &a)
		if r.Status != 200 || len(a.Changes) != 1 || a.Changes[0].Action != "deleted" {
			t.Fatalf("status %d answer %s", r.Status, r.Body)
		}
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(cluster.Backend.GVK)
		err := c.Get(ctx, types.NamespacedName{Namespace: ns, Name: "raw"}, u)
		if err == nil {
			t.Fatal("the Backend still exists")
		}
	})
}
