package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/e2e/controlplane"
	"github.com/aigw-console/aigw-console/e2e/harness"
)

// benchProviders is how many providers BenchmarkListProviders lists.
const benchProviders = 1000

// openAISpec is an OpenAI provider with a placeholder key.
func openAISpec(name string) provider.Spec {
	return provider.Spec{
		Name:     name,
		Template: "openai",
		Auth:     provider.Auth{Type: provider.AuthType("APIKey"), APIKey: provider.Credential("sk-bench-placeholder")},
	}
}

// renderProvider renders spec the way the console does.
func renderProvider(tb testing.TB, ns string, spec provider.Spec) []*unstructured.Unstructured {
	tb.Helper()
	spec, errs := provider.ExpandTemplate(spec)
	if len(errs) > 0 {
		tb.Fatal(errs)
	}
	r, err := provider.Render(ns, spec)
	if err != nil {
		tb.Fatal(err)
	}
	return r.Objects
}

// BenchmarkListProviders compares GET /api/v1/providers for 1,000 providers
// (5,000 objects) served from the console's informer cache with the same
// list built straight from the API server (five LISTs, then the same
// grouping and JSON encoding). Run with `make bench`.
func BenchmarkListProviders(b *testing.B) {
	ctx := context.Background()
	ns := env.Namespace(b)
	objs := make(chan *unstructured.Unstructured, 64)
	var wg sync.WaitGroup
	var failed atomic.Value
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for o := range objs {
				if err := controlplane.Apply(ctx, env.Admin, o); err != nil {
					failed.Store(err)
				}
			}
		}()
	}
	for i := 0; i < benchProviders; i++ {
		for _, o := range renderProvider(b, ns, openAISpec(fmt.Sprintf("p%04d", i))) {
			objs <- o
		}
	}
	close(objs)
	wg.Wait()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	con := startConsole(b)
	url := con.URL + "/api/v1/providers?namespace=" + ns
	count := func(body []byte) int {
		var l struct{ Items []json.RawMessage }
		if err := json.Unmarshal(body, &l); err != nil {
			b.Fatal(err)
		}
		return len(l.Items)
	}
	waitFor(b, 60*time.Second, "the cache to hold every provider", func() bool {
		return count(call(b, "GET", url, nil).Body) == benchProviders
	})

	b.Run("from the informer cache through the console", func(b *testing.B) {
		for b.Loop() {
			r := call(b, "GET", url, nil)
			if r.Status != 200 || len(r.Body) == 0 {
				b.Fatalf("status %d", r.Status)
			}
		}
	})
	// With authentication on every request is authorized: the admin's
	// above too. alice's lists are filtered by her RBAC (SubjectAccessReviews,
	// cached for the TTL); across namespaces each namespace is decided once.
	if alice, ok := env.UserToken("alice"); ok {
		grantTeamRole(b, ns, "alice")
		for _, u := range []struct{ name, url string }{{"in the namespace", url}, {"across namespaces", con.URL + "/api/v1/providers"}} {
			b.Run("from the cache as a user with a Role, "+u.name, func(b *testing.B) {
				for b.Loop() {
					r := call(b, "GET", u.url, nil, "Authorization", "Bearer "+alice)
					if r.Status != 200 || count(r.Body) < benchProviders {
						b.Fatalf("status %d, %d items", r.Status, count(r.Body))
					}
				}
			})
		}
	}
	b.Run("straight from the API server", func(b *testing.B) {
		dyn, err := dynamic.NewForConfig(env.Admin)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			var all []*unstructured.Unstructured
			for _, k := range providerKindsForBench() {
				l, err := dyn.Resource(k).Namespace(ns).List(ctx, metav1.ListOptions{LabelSelector: provider.LabelProvider})
				if err != nil {
					b.Fatal(err)
				}
				for i := range l.Items {
					all = append(all, &l.Items[i])
				}
			}
			items := provider.ListFromObjects(all)
			body, err := json.Marshal(map[string]any{"items": items})
			if err != nil || len(items) != benchProviders {
				b.Fatalf("%d items, %v", len(items), err)
			}
			_ = body
		}
	})
}

// BenchmarkCreateProvider compares creating one OpenAI provider through the
// console (decode, template, Go validation, Rego, server-side dry-run, then
// server-side apply of the five objects) with `kubectl apply
// --server-side` of the same five objects. Run with `make bench`.
func BenchmarkCreateProvider(b *testing.B) {
	ns := env.Namespace(b)
	con := startConsole(b)
	var n atomic.Int64
	b.Run("console POST /api/v1/providers", func(b *testing.B) {
		for b.Loop() {
			spec := openAISpec(fmt.Sprintf("c%06d", n.Add(1)))
			r := call(b, "POST", con.URL+"/api/v1/providers?namespace="+ns, spec)
			if r.Status != 201 {
				b.Fatalf("status %d: %s", r.Status, r.Body)
			}
		}
	})
	b.Run("kubectl apply --server-side", func(b *testing.B) {
		kubectl, kubeconfig := kubectlFor(b)
		for b.Loop() {
			b.StopTimer()
			var buf bytes.Buffer
			for _, o := range renderProvider(b, ns, openAISpec(fmt.Sprintf("k%06d", n.Add(1)))) {
				y, err := yaml.Marshal(o.Object)
				if err != nil {
					b.Fatal(err)
				}
				buf.WriteString("---\n")
				buf.Write(y)
			}
			cmd := exec.Command(kubectl, "--kubeconfig", kubeconfig, "apply", "--server-side", "--field-manager", "bench", "-f", "-")
			cmd.Stdin = &buf
			b.StartTimer()
			if out, err := cmd.CombinedOutput(); err != nil {
				b.Fatalf("kubectl: %v\n%s", err, out)
			}
		}
	})
}

func providerKindsForBench() []schema.GroupVersionResource {
	return []schema.GroupVersionResource{
		{Version: "v1", Resource: "secrets"},
		{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Resource: "backends"},
		{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "backendtlspolicies"},
		{Group: "aigateway.envoyproxy.io", Version: "v1beta1", Resource: "aiservicebackends"},
		{Group: "aigateway.envoyproxy.io", Version: "v1beta1", Resource: "backendsecuritypolicies"},
	}
}

// kubectlFor returns the kubectl binary and a kubeconfig for the admin.
func kubectlFor(b *testing.B) (string, string) {
	b.Helper()
	if kc := os.Getenv("E2E_KUBECONFIG"); kc != "" {
		path, err := exec.LookPath("kubectl")
		if err != nil {
			b.Skip("kubectl not on PATH")
		}
		return path, kc
	}
	root, err := harness.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	kubeconfig := filepath.Join(b.TempDir(), "kubeconfig")
	if err := env.ControlPlane.WriteKubeconfig(kubeconfig, controlplane.AdminUser); err != nil {
		b.Fatal(err)
	}
	return filepath.Join(root, ".local", "bin", "kubectl"), kubeconfig
}

// BenchmarkMe measures GET /api/v1/me for a user over 10 namespaces that
// hold objects: 36 SubjectAccessReviews per namespace (6 kinds × 6 verbs;
// the provider kinds' answers are reused) when the cache is cold, none
// when it is warm. The first, cold call is logged.
func BenchmarkMe(b *testing.B) {
	alice, ok := env.UserToken("alice")
	if !ok {
		b.Skip("needs the local control plane's token-file users")
	}
	var nss []string
	for range 10 {
		ns := env.Namespace(b)
		nss = append(nss, ns)
		if err := controlplane.Apply(context.Background(), env.Admin, renderProvider(b, ns, openAISpec("p"))...); err != nil {
			b.Fatal(err)
		}
	}
	grantTeamRole(b, nss[0], "alice")
	con := startConsole(b, func(cfg *app.Config) { cfg.Namespaces = nss })
	start := time.Now()
	r := call(b, "GET", con.URL+"/api/v1/me", nil, "Authorization", "Bearer "+alice)
	if r.Status != 200 {
		b.Fatalf("status %d: %s", r.Status, r.Body)
	}
	b.Logf("cold GET /api/v1/me over %d namespaces: %s", len(nss), time.Since(start).Round(time.Millisecond))
	b.ResetTimer()
	for b.Loop() {
		if r := call(b, "GET", con.URL+"/api/v1/me", nil, "Authorization", "Bearer "+alice); r.Status != 200 {
			b.Fatalf("status %d", r.Status)
		}
	}
}
