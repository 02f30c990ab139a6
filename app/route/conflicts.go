package route

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// objectKey names one namespaced object of a known kind.
type objectKey struct{ namespace, name string }

// gatewayKey names one Gateway.
type gatewayKey = objectKey

func (k objectKey) String() string { return k.namespace + "/" + k.name }

// resolveGateway names the Gateway a GatewayRef points at; an empty
// namespace means the route's.
func resolveGateway(routeNamespace string, g GatewayRef) gatewayKey {
	if g.Namespace == "" {
		return gatewayKey{routeNamespace, g.Name}
	}
	return gatewayKey{g.Namespace, g.Name}
}

// CheckBackends checks that every backend of s names a provider that exists:
// an AIServiceBackend of that name in the backend's namespace (the route's
// when unset) among backends, the live AIServiceBackends from the informer
// cache. A provider that is being deleted counts as missing. Objects of
// other kinds in backends are ignored; they are only read.
//
// It runs in one pass over backends and one over the Spec's backends.
func CheckBackends(namespace string, s Spec, backends []*unstructured.Unstructured) field.ErrorList {
	asbKind := cluster.AIServiceBackend.GVK.GroupKind()
	deleting := make(map[objectKey]bool, len(backends))
	for _, b := range backends {
		if b == nil || (b.GetKind() != "" && b.GroupVersionKind().GroupKind() != asbKind) {
			continue
		}
		deleting[objectKey{b.GetNamespace(), b.GetName()}] = b.GetDeletionTimestamp() != nil
	}
	var errs field.ErrorList
	for i, r := range s.Rules {
		for j, b := range r.Backends {
			if b.Provider == "" {
				continue // Validate reports it.
			}
			key := objectKey{b.Namespace, b.Provider}
			if key.namespace == "" {
				key.namespace = namespace
			}
			p := field.NewPath("rules").Index(i).Child("backends").Index(j).Child("provider")
			gone, found := deleting[key]
			switch {
			case !found:
				e := field.NotFound(p, b.Provider)
				e.Detail = fmt.Sprintf("provider %q does not exist: there is no AIServiceBackend %s", b.Provider, key)
				errs = append(errs, e)
			case gone:
				errs = append(errs, field.Invalid(p, b.Provider,
					fmt.Sprintf("provider %q is being deleted (AIServiceBackend %s)", b.Provider, key)))
			}
		}
	}
	return errs
}

// CheckModelCollisions checks that no model of s is already routed, on one
// of the Gateways s attaches to, by another route among routes, the live
// AIGatewayRoutes from the informer cache. Two routes that match the same
// x-ai-eg-model value on one Gateway compete for its requests, and the
// Gateway API settles that by age, not by intent.
//
// Only Exact x-ai-eg-model matches are compared (the models of a Spec);
// extra header matches and listeners (sectionName) are not, so two routes on
// different listeners of one Gateway still collide. Routes whose hostnames
// cannot overlap (both set, none in common, wildcards included) do not
// collide. The route being updated (namespace and s.Name) and routes being
// deleted are skipped; fields of an unexpected type read as absent. A
// parentRef without a namespace points into its own route's namespace.
//
// It reads each route once, without decoding it, and looks every model up
// in a map, so it runs in time linear in the size of routes and s.
func CheckModelCollisions(namespace string, s Spec, routes []*unstructured.Unstructured) field.ErrorList {
	gateways := make(map[gatewayKey]bool, len(s.Gateways))
	for _, g := range s.Gateways {
		gateways[resolveGateway(namespace, g)] = true
	}
	type position struct{ rule, model int }
	models := make(map[string][]position)
	for i, r := range s.Rules {
		for j, m := range r.Models {
			models[m] = append(models[m], position{i, j})
		}
	}
	if len(gateways) == 0 || len(models) == 0 {
		return nil
	}

	var errs field.ErrorList
	for _, u := range routes {
		if u == nil || u.GetDeletionTimestamp() != nil || (u.GetNamespace() == namespace && u.GetName() == s.Name) {
			continue
		}
		spec, _ := u.Object["spec"].(map[string]any)
		gateway, shared := sharedGateway(u.GetNamespace(), spec, gateways)
		if !shared || !hostnamesOverlap(s.Hostnames, spec) {
			continue
		}
		// One error per model of s and other route, however often the
		// other route matches the model.
		reported := make(map[position]bool)
		rules, _ := spec["rules"].([]any)
		for k, r := range rules {
			rule, _ := r.(map[string]any)
			for _, model := range exactModels(rule) {
				for _, pos := range models[model] {
					if reported[pos] {
						continue
					}
					reported[pos] = true
					e := field.Duplicate(field.NewPath("rules").Index(pos.rule).Child("models").Index(pos.model), model)
					e.Detail = fmt.Sprintf("model %q is already routed on Gateway %s by AIGatewayRoute %s/%s, %s; a model can be routed by only one route per Gateway",
						model, gateway, u.GetNamespace(), u.GetName(), ruleName(k, rule))
					errs = append(errs, e)
				}
			}
		}
	}
	return errs
}

// The helpers below read other routes straight from their unstructured
// form: the cache may hold thousands, and decoding each into the typed
// struct would cost more than the whole check. A value of the wrong type
// reads as absent.

// str returns m[key] when it is a string.
func str(m map[string]any, key string) (string, bool) {
	v, ok := m[key].(string)
	return v, ok
}

// maps returns the objects of the list m[key].
func maps(m map[string]any, key string) []map[string]any {
	l, _ := m[key].([]any)
	out := make([]map[string]any, 0, len(l))
	for _, v := range l {
		if item, ok := v.(map[string]any); ok {
			out = append(out, item)
		}
	}
	return out
}

// sharedGateway returns the first Gateway among the parentRefs of a route
// in routeNamespace that is also in gateways. Group and kind default to a
// Gateway's, as in the CRD.
func sharedGateway(routeNamespace string, spec map[string]any, gateways map[gatewayKey]bool) (gatewayKey, bool) {
	for _, p := range maps(spec, "parentRefs") {
		if group, ok := str(p, "group"); ok && group != gwapiv1.GroupName {
			continue
		}
		if kind, ok := str(p, "kind"); ok && kind != gatewayKind {
			continue
		}
		name, _ := str(p, "name")
		key := gatewayKey{routeNamespace, name}
		if ns, _ := str(p, "namespace"); ns != "" {
			key.namespace = ns
		}
		if gateways[key] {
			return key, true
		}
	}
	return gatewayKey{}, false
}

// exactModels returns the values of a rule's Exact x-ai-eg-model matches.
func exactModels(rule map[string]any) []string {
	var out []string
	for _, m := range maps(rule, "matches") {
		for _, h := range maps(m, "headers") {
			name, _ := str(h, "name")
			value, ok := str(h, "value")
			t, _ := str(h, "type")
			if ok && strings.EqualFold(name, aigv1b1.ModelNameHeader) && headerType(gwapiv1.HeaderMatchType(t)) == gwapiv1.HeaderMatchExact {
				out = append(out, value)
			}
		}
	}
	return out
}

// hostnamesOverlap reports whether some request Host could match both the
// hostnames a and those of spec. No hostnames means every host.
func hostnamesOverlap(a []string, spec map[string]any) bool {
	b, _ := spec["hostnames"].([]any)
	if len(a) == 0 || len(b) == 0 {
		return true
	}
	for _, x := range a {
		for _, y := range b {
			if h, ok := y.(string); ok && hostOverlap(x, h) {
				return true
			}
		}
	}
	return false
}

// hostOverlap reports whether two Gateway API host names match a common
// host. "*.example.com" matches every host below example.com, so it
// overlaps "a.example.com" and "*.a.example.com" but not "example.com".
func hostOverlap(x, y string) bool {
	wildcardCovers := func(w, h string) bool {
		return strings.HasPrefix(w, "*.") && strings.HasSuffix(h, w[1:])
	}
	return x == y || wildcardCovers(x, y) || wildcardCovers(y, x)
}

// ruleName names a rule of another route in a message.
func ruleName(i int, rule map[string]any) string {
	if name, ok := str(rule, "name"); ok {
		return fmt.Sprintf("rules[%d] (%q)", i, name)
	}
	return fmt.Sprintf("rules[%d]", i)
}
