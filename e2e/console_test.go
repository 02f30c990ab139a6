package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/cluster"
)

// getJSON GETs url and decodes the JSON body into out (when not nil).
func getJSON(t *testing.T, url string, out any) response {
	t.Helper()
	r := call(t, "GET", url, nil)
	if out != nil {
		r.decode(t, out)
	}
	return r
}

type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Causes []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
	} `json:"causes"`
}

func TestConsoleServesResourcesFromTheCache(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	con := startConsole(t)

	t.Run("health and version answer", func(t *testing.T) {
		for _, path := range []string{"/healthz", "/readyz"} {
			if resp := getJSON(t, con.URL+path, nil); resp.Status != http.StatusOK {
				t.Errorf("GET %s: status %d, want 200", path, resp.Status)
			}
		}
		var v struct{ Version string }
		getJSON(t, con.URL+"/api/v1/version", &v)
		if v.Version != "e2e" {
			t.Errorf("version: got %q, want e2e", v.Version)
		}
	})

	t.Run("an object created in the cluster is listed and served with its ETag", func(t *testing.T) {
		asb := &unstructured.Unstructured{}
		asb.SetGroupVersionKind(cluster.AIServiceBackend.GVK)
		asb.SetNamespace(ns)
		asb.SetName("by-hand")
		asb.Object["spec"] = map[string]any{
			"schema":     map[string]any{"name": "OpenAI"},
			"backendRef": map[string]any{"name": "by-hand", "group": "gateway.envoyproxy.io", "kind": "Backend"},
		}
		if err := adminClient(t).Create(ctx, asb); err != nil {
			t.Fatal(err)
		}
		var list struct {
			Kind  string
			Items []unstructured.Unstructured
		}
		waitFor(t, 10*time.Second, "the cache to list the object", func() bool {
			getJSON(t, con.URL+"/api/v1/resources/aiservicebackends?namespace="+ns, &list)
			return len(list.Items) == 1
		})
		if list.Kind != "AIServiceBackendList" || list.Items[0].GetName() != "by-hand" {
			t.Fatalf("list: got kind %q with %v", list.Kind, list.Items)
		}
		if mf := list.Items[0].GetManagedFields(); len(mf) != 0 {
			t.Errorf("managedFields should be stripped from the cache, got %d entries", len(mf))
		}
		var got unstructured.Unstructured
		resp := getJSON(t, con.URL+"/api/v1/resources/aiservicebackends/by-hand?namespace="+ns, &got.Object)
		if resp.Status != http.StatusOK {
			t.Fatalf("get: status %d", resp.Status)
		}
		if want := `"` + asb.GetResourceVersion() + `"`; resp.Header.Get("ETag") != want {
			t.Errorf("ETag: got %q, want %q", resp.Header.Get("ETag"), want)
		}
	})

	t.Run("mistakes get a problem document", func(t *testing.T) {
		cases := []struct {
			path       string
			status     int
			code, text string
		}{
			{"/api/v1/resources/pods", 404, "UnknownKind", `unknown resource kind "pods"`},
			{"/api/v1/resources/aiservicebackends/missing?namespace=" + ns, 404, "NotFound", `"missing" not found`},
			{"/api/v1/resources/aiservicebackends?namespace=Bad_NS", 400, "InvalidNamespace", "invalid namespace"},
			{"/api/v1/resources/aiservicebackends?labelSelector=a%3D%3D%3Db", 400, "InvalidLabelSelector", "invalid labelSelector"},
			{"/api/v1/resources/aiservicebackends/UPPER", 400, "InvalidName", "invalid name"},
			{"/api/v1/nothing", 404, "RouteNotFound", "no route GET /api/v1/nothing"},
		}
		for _, tc := range cases {
			var p problem
			resp := getJSON(t, con.URL+tc.path, &p)
			if resp.Status != tc.status || p.Status != tc.status || p.Code != tc.code || !strings.Contains(p.Detail, tc.text) {
				t.Errorf("GET %s: got %d %+v, want %d %s containing %q", tc.path, resp.Status, p, tc.status, tc.code, tc.text)
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("GET %s: Content-Type %q", tc.path, ct)
			}
		}
	})
}
