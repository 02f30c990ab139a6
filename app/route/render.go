package route

import (
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// Labels on every AIGatewayRoute the console renders.
const (
	// LabelManagedBy is the Kubernetes recommended label naming the tool
	// that manages an object; its value is ManagedBy.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is the value of LabelManagedBy on the console's objects.
	ManagedBy = "aigw-console"
	// LabelRoute carries the route's name, so the console can select its
	// routes (and a GitOps repository can be searched) by label.
	LabelRoute = "aigw-console.io/route"
)

// gatewayKind is the only parentRef kind an AIGatewayRoute supports.
const gatewayKind = "Gateway"

// Render turns a Spec into the AIGatewayRoute (aigateway.envoyproxy.io/v1beta1)
// in namespace, ready for server-side apply: it holds only the fields the
// console owns, with no status, creationTimestamp or other server-set
// metadata, and the same Spec always renders the same object.
//
// Each model of a rule becomes one match of the x-ai-eg-model header
// (Exact), followed by the rule's extra headers; a modelPattern becomes one
// RegularExpression match instead. Backends name the provider's
// AIServiceBackend, without group or kind, and with a namespace only when it
// differs from the route's. Gateways become parentRefs with the group and
// kind written out. Unset weights and priorities are left to the API server's
// defaults (1 and 0).
//
// Render validates s first; when Validate reports errors, Render returns
// them as an Invalid StatusError (apierrors.IsInvalid) for the route.
func Render(namespace string, s Spec) (*unstructured.Unstructured, error) {
	if errs := Validate(namespace, s); len(errs) > 0 {
		return nil, apierrors.NewInvalid(cluster.AIGatewayRoute.GVK.GroupKind(), s.Name, errs)
	}
	obj := &aigv1b1.AIGatewayRoute{
		TypeMeta: metav1.TypeMeta{
			APIVersion: cluster.AIGatewayRoute.GVK.GroupVersion().String(),
			Kind:       cluster.AIGatewayRoute.GVK.Kind,
		},
		ObjectMeta: metav1.ObjectMeta{
			Name:      s.Name,
			Namespace: namespace,
			Labels:    map[string]string{LabelManagedBy: ManagedBy, LabelRoute: s.Name},
		},
		Spec: routeSpec(namespace, s),
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("AIGatewayRoute/%s/%s: convert to unstructured: %w", namespace, s.Name, err)
	}
	// The typed object carries an empty status and a null
	// creationTimestamp; neither belongs in an apply intent.
	unstructured.RemoveNestedField(m, "metadata", "creationTimestamp")
	delete(m, "status")
	return &unstructured.Unstructured{Object: m}, nil
}

// routeSpec builds the AIGatewayRoute spec of a Spec. It shares no memory
// with s.
func routeSpec(namespace string, s Spec) aigv1b1.AIGatewayRouteSpec {
	var out aigv1b1.AIGatewayRouteSpec
	for _, g := range s.Gateways {
		ref := gwapiv1.ParentReference{
			Group: ptr(gwapiv1.Group(gwapiv1.GroupName)),
			Kind:  ptr(gwapiv1.Kind(gatewayKind)),
			Name:  gwapiv1.ObjectName(g.Name),
		}
		if g.Namespace != "" {
			ref.Namespace = ptr(gwapiv1.Namespace(g.Namespace))
		}
		if g.SectionName != "" {
			ref.SectionName = ptr(gwapiv1.SectionName(g.SectionName))
		}
		out.ParentRefs = append(out.ParentRefs, ref)
	}
	for _, h := range s.Hostnames {
		out.Hostnames = append(out.Hostnames, gwapiv1.Hostname(h))
	}
	out.Rules = make([]aigv1b1.AIGatewayRouteRule, 0, len(s.Rules))
	for _, r := range s.Rules {
		out.Rules = append(out.Rules, routeRule(namespace, r))
	}
	for _, c := range s.LLMRequestCosts {
		cost := aigv1b1.LLMRequestCost{MetadataKey: c.MetadataKey, Type: c.Type}
		if c.CEL != "" {
			cost.CEL = ptr(c.CEL)
		}
		out.LLMRequestCosts = append(out.LLMRequestCosts, cost)
	}
	return out
}

func routeRule(namespace string, r Rule) aigv1b1.AIGatewayRouteRule {
	var out aigv1b1.AIGatewayRouteRule
	if r.Name != "" {
		out.Name = ptr(gwapiv1.SectionName(r.Name))
	}
	out.Matches = routeMatches(r)
	for _, b := range r.Backends {
		ref := aigv1b1.AIGatewayRouteRuleBackendRef{Name: b.Provider, ModelNameOverride: b.ModelNameOverride}
		if b.Namespace != "" && b.Namespace != namespace {
			ref.Namespace = ptr(gwapiv1.Namespace(b.Namespace))
		}
		if b.Weight != nil {
			ref.Weight = ptr(*b.Weight)
		}
		if b.Priority != nil {
			ref.Priority = ptr(*b.Priority)
		}
		out.BackendRefs = append(out.BackendRefs, ref)
	}
	if r.Timeouts != nil {
		out.Timeouts = &gwapiv1.HTTPRouteTimeouts{
			Request:        duration(r.Timeouts.Request),
			BackendRequest: duration(r.Timeouts.BackendRequest),
		}
	}
	out.StreamIdleTimeout = duration(r.StreamIdleTimeout)
	return out
}

// routeMatches returns one match per model, or one for the pattern, each
// starting with the model header and followed by the extra headers. The
// match type is always written, so that the stored object (where the API
// server writes the default) and the rendered one agree.
func routeMatches(r Rule) []aigv1b1.AIGatewayRouteRuleMatch {
	match := func(t gwapiv1.HeaderMatchType, model string) aigv1b1.AIGatewayRouteRuleMatch {
		headers := make([]gwapiv1.HTTPHeaderMatch, 0, 1+len(r.Headers))
		headers = append(headers, gwapiv1.HTTPHeaderMatch{Type: ptr(t), Name: aigv1b1.ModelNameHeader, Value: model})
		for _, h := range r.Headers {
			headers = append(headers, gwapiv1.HTTPHeaderMatch{
				Type:  ptr(headerType(h.Type)),
				Name:  gwapiv1.HTTPHeaderName(h.Name),
				Value: h.Value,
			})
		}
		return aigv1b1.AIGatewayRouteRuleMatch{Headers: headers}
	}
	if r.ModelPattern != "" {
		return []aigv1b1.AIGatewayRouteRuleMatch{match(gwapiv1.HeaderMatchRegularExpression, r.ModelPattern)}
	}
	out := make([]aigv1b1.AIGatewayRouteRuleMatch, 0, len(r.Models))
	for _, m := range r.Models {
		out = append(out, match(gwapiv1.HeaderMatchExact, m))
	}
	return out
}

// duration returns nil for an unset duration.
func duration(s string) *gwapiv1.Duration {
	if s == "" {
		return nil
	}
	return ptr(gwapiv1.Duration(s))
}

func ptr[T any](v T) *T { return &v }
