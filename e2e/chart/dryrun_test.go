package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/e2e/controlplane"
)

func runtimeConvert(u *unstructured.Unstructured, out any) error {
	return runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, out)
}

// warnings collects the API server's Warning headers.
type warnings struct {
	mu   sync.Mutex
	list []string
}

// HandleWarningHeader implements rest.WarningHandler.
func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// dryRunner server-side-applies objects with dryRun=All as the admin and
// reports the API server's warnings.
type dryRunner struct {
	dyn    dynamic.Interface
	mapper meta.RESTMapper
	warn   *warnings
}

func newDryRunner(t *testing.T) *dryRunner {
	t.Helper()
	w := &warnings{}
	cfg := rest.CopyConfig(env.Admin)
	cfg.WarningHandler = w
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &dryRunner{dyn: dyn, mapper: restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc)), warn: w}
}

// apply dry-runs one object and returns the API server's warnings.
func (d *dryRunner) apply(ctx context.Context, o *unstructured.Unstructured) ([]string, error) {
	gvk := o.GroupVersionKind()
	m, err := d.mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		return nil, fmt.Errorf("%s/%s: %w", gvk.Kind, o.GetName(), err)
	}
	body, err := json.Marshal(o.Object)
	if err != nil {
		return nil, err
	}
	var ri dynamic.ResourceInterface = d.dyn.Resource(m.Resource)
	if m.Scope.Name() == meta.RESTScopeNameNamespace {
		if o.GetNamespace() == "" {
			return nil, fmt.Errorf("%s/%s: a namespaced object without metadata.namespace", gvk.Kind, o.GetName())
		}
		ri = d.dyn.Resource(m.Resource).Namespace(o.GetNamespace())
	}
	d.warn.take()
	force := true
	_, err = ri.Patch(ctx, o.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{
		FieldManager: "aigw-console-chart-test", Force: &force, DryRun: []string{metav1.DryRunAll},
	})
	if err != nil {
		return nil, fmt.Errorf("%s/%s dry-run failed: %w", gvk.Kind, o.GetName(), err)
	}
	return d.warn.take(), nil
}

// restrictedNamespace creates a namespace that enforces (and warns about)
// the Pod Security Standard "restricted".
func restrictedNamespace(t *testing.T) string {
	t.Helper()
	ns := env.Namespace(t)
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	patch := []byte(`{"metadata":{"labels":{"pod-security.kubernetes.io/enforce":"restricted","pod-security.kubernetes.io/warn":"restricted"}}}`)
	if _, err := cs.CoreV1().Namespaces().Patch(context.Background(), ns, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	return ns
}

// valuesFor returns the value set in file with watchNamespaces (if any)
// replaced by as many fresh namespaces, so namespaced objects land in
// namespaces that exist.
func valuesFor(t *testing.T, file string) string {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var values map[string]any
	if err := yaml.Unmarshal(raw, &values); err != nil {
		t.Fatal(err)
	}
	if values == nil {
		values = map[string]any{}
	}
	if nss, ok := values["watchNamespaces"].([]any); ok {
		for i := range nss {
			nss[i] = env.Namespace(t)
		}
	}
	out, err := yaml.Marshal(values)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestEveryRenderedObjectPassesServerSideDryRun: for every value set, each
// object the chart renders is accepted by a server-side dry-run apply on the
// real API server (schemas, CRDs, admission, Pod Security), with no warning.
func TestEveryRenderedObjectPassesServerSideDryRun(t *testing.T) {
	t.Parallel()
	for name, file := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ns := restrictedNamespace(t)
			objs := render(t, renderOptions{namespace: ns, valuesFiles: []string{valuesFor(t, file)}})
			d := newDryRunner(t)
			kinds := map[string]bool{}
			for _, o := range objs {
				w, err := d.apply(context.Background(), o)
				if err != nil {
					t.Errorf("%v", err)
					continue
				}
				if len(w) > 0 {
					t.Errorf("%s/%s: API server warnings: %s", o.GetKind(), o.GetName(), strings.Join(w, "; "))
				}
				kinds[o.GetKind()] = true
			}
			t.Logf("dry-run applied %d objects: %v", len(objs), keys(kinds))
		})
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestPodTemplateMeetsRestrictedPodSecurity creates (dry-run) a Pod from the
// Deployment's template in a namespace that enforces "restricted", after
// showing that the namespace does refuse a privileged Pod.
func TestPodTemplateMeetsRestrictedPodSecurity(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	ns := restrictedNamespace(t)
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	dry := metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}
	for name, file := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			objs := render(t, renderOptions{namespace: ns, valuesFiles: []string{valuesFor(t, file)}})
			// The ServiceAccount must exist for clusters that run the
			// ServiceAccount admission plugin.
			if sas := find(objs, "ServiceAccount"); len(sas) == 1 {
				if err := controlplane.Apply(ctx, env.Admin, sas[0]); err != nil {
					t.Fatal(err)
				}
			}
			var tmpl corev1.PodTemplateSpec
			dep := one(t, objs, "Deployment")
			raw, _, _ := unstructured.NestedMap(dep.Object, "spec", "template")
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(raw, &tmpl); err != nil {
				t.Fatal(err)
			}
			pod := &corev1.Pod{ObjectMeta: tmpl.ObjectMeta, Spec: tmpl.Spec}
			pod.Name, pod.Namespace = "console", ns
			if _, err := cs.CoreV1().Pods(ns).Create(ctx, pod, dry); err != nil {
				t.Fatalf("the console Pod is refused in a restricted namespace: %v", err)
			}
		})
	}
	t.Run("the namespace does enforce restricted", func(t *testing.T) {
		// Root by default, privilege escalation allowed, capabilities kept.
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "unrestricted", Namespace: ns},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "example"}}},
		}
		_, err := cs.CoreV1().Pods(ns).Create(ctx, pod, dry)
		if err == nil || !strings.Contains(err.Error(), `violates PodSecurity "restricted`) {
			t.Fatalf("a Pod without a security context: got %v, want a PodSecurity refusal", err)
		}
	})
}
