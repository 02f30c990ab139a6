package syncstatus

import (
	"context"
	"fmt"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
)

// KustomizationGVR is Flux's Kustomization (kustomize.toolkit.fluxcd.io/v1).
var KustomizationGVR = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}

// Flux reads status.lastAppliedRevision of one Flux Kustomization. The
// console needs get on exactly that object.
type Flux struct {
	Client          dynamic.Interface
	Namespace, Name string
}

// ParseKustomization splits "namespace/name" (the --sync-flux-kustomization
// value).
func ParseKustomization(s string) (namespace, name string, err error) {
	ns, n, ok := strings.Cut(s, "/")
	if !ok || ns == "" || n == "" || strings.Contains(n, "/") {
		return "", "", fmt.Errorf("want namespace/name, got %q", s)
	}
	return ns, n, nil
}

// Applied implements AppliedRevision.
func (f *Flux) Applied(ctx context.Context) (Applier, error) {
	a := Applier{Type: "FluxKustomization", Namespace: f.Namespace, Name: f.Name}
	u, err := f.Client.Resource(KustomizationGVR).Namespace(f.Namespace).Get(ctx, f.Name, metav1.GetOptions{})
	if err != nil {
		return a, fmt.Errorf("read Kustomization %s/%s: %w", f.Namespace, f.Name, err)
	}
	a.LastAppliedRevision, _, _ = unstructured.NestedString(u.Object, "status", "lastAppliedRevision")
	a.LastAppliedCommit = RevisionCommit(a.LastAppliedRevision)
	return a, nil
}

// RevisionCommit returns the commit SHA of a Flux revision: "main@sha1:<SHA>"
// (Flux v2.1 and later), "main/<SHA>" (earlier), or a bare SHA; "" when
// there is none.
func RevisionCommit(rev string) string {
	s := rev
	if i := strings.LastIndexAny(s, ":/@"); i >= 0 {
		s = s[i+1:]
	}
	if len(s) != 40 {
		return ""
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return ""
		}
	}
	return s
}
