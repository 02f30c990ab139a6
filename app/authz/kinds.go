package authz

import (
	"context"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/aigw-console/aigw-console/app/cluster"
)

// API kinds that are not a cluster kind of their own (package watch uses
// the same names for its events).
const (
	KindProviders = "providers"
	KindRoutes    = "routes"
)

// ProviderKinds are the five kinds a provider is made of. A provider is
// visible, and writable, only with the verb on all of them.
func ProviderKinds() []cluster.Kind {
	return []cluster.Kind{cluster.AIServiceBackend, cluster.Backend, cluster.BackendSecurityPolicy, cluster.BackendTLSPolicy, cluster.Secret}
}

// KindsOf returns the cluster kinds behind an API kind: the five provider
// kinds for "providers", AIGatewayRoute for "routes", the kind itself for
// a raw kind (its plural resource name). ok is false for an unknown kind.
func KindsOf(apiKind string) (kinds []cluster.Kind, ok bool) {
	switch apiKind {
	case KindProviders:
		return ProviderKinds(), true
	case KindRoutes:
		return []cluster.Kind{cluster.AIGatewayRoute}, true
	}
	k, ok := cluster.KindByName(apiKind)
	if !ok {
		return nil, false
	}
	return []cluster.Kind{k}, true
}

// AllowedAPIKind reports whether the caller in ctx may verb every cluster
// kind behind apiKind in ns. An unknown kind is not allowed.
func (a *Authorizer) AllowedAPIKind(ctx context.Context, verb, apiKind, ns string) (bool, error) {
	kinds, ok := KindsOf(apiKind)
	if !ok {
		return false, nil
	}
	for _, k := range kinds {
		allowed, err := a.AllowedKind(ctx, verb, k, ns)
		if err != nil || !allowed {
			return false, err
		}
	}
	return true, nil
}

// Lister is the part of the shared cache Namespaces reads.
type Lister interface {
	List(k cluster.Kind, ns string, sel labels.Selector) []*unstructured.Unstructured
}

// Namespaces returns fixed (the console's --namespaces) when it is not
// empty, else the namespaces that hold at least one cached object, sorted.
// The console watches only its kinds, not Namespace objects, so a
// namespace without any of them has nothing to show or filter.
func Namespaces(r Lister, fixed []string) []string {
	if len(fixed) > 0 {
		out := append([]string(nil), fixed...)
		sort.Strings(out)
		return out
	}
	seen := map[string]bool{}
	for _, k := range cluster.Kinds() {
		for _, o := range r.List(k, "", nil) {
			seen[o.GetNamespace()] = true
		}
	}
	out := make([]string, 0, len(seen))
	for ns := range seen {
		if ns != "" {
			out = append(out, ns)
		}
	}
	sort.Strings(out)
	return out
}
