package route

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// Route is the API's view of one AIGatewayRoute (GET /api/v1/routes and
// /api/v1/routes/{name}, and the answer to a write): the route in Spec terms
// plus what the cluster says about it.
//
// Any AIGatewayRoute can be shown, including ones written by hand or taken
// from the upstream examples. What Spec cannot express (InferencePool
// backends, header or body mutations, matches on other headers, ports on
// parentRefs, ...) is kept in the Raw field of the rule concerned, and the
// route is marked Editable false with the Reason: a PUT of its Spec would
// lose those parts.
//
// Objects read from the cluster carry the API server's defaults, so a route
// created without weights or priorities is shown with weight 1 and
// priority 0, which mean the same.
type Route struct {
	// Name is the route's name.
	Name string `json:"name"`
	// Namespace is the route's namespace.
	Namespace string `json:"namespace"`
	// Gateways are the Gateways the route attaches to.
	Gateways []GatewayRef `json:"gateways"`
	// Hostnames are the host names the route is limited to, if any.
	Hostnames []string `json:"hostnames,omitempty"`
	// Rules are the route's rules, in order.
	Rules []RuleView `json:"rules"`
	// LLMRequestCosts are the costs the gateway records per request.
	LLMRequestCosts []LLMRequestCost `json:"llmRequestCosts,omitempty"`
	// ResourceVersion is the object's resourceVersion, to send back as a
	// precondition (If-Match) with an update.
	ResourceVersion string `json:"resourceVersion"`
	// Managed is true when the console rendered the route (it carries the
	// LabelManagedBy label with ManagedBy).
	Managed bool `json:"managed"`
	// Editable is true when the route's Spec (see the Spec method) holds all
	// of the object's spec, so that a PUT of it loses nothing.
	Editable bool `json:"editable"`
	// Reason says why the route is not editable; empty when it is.
	Reason string `json:"reason,omitempty"`
	// Status is what the AI Gateway controller reports.
	Status Status `json:"status"`
}

// RuleView is one rule of a Route.
type RuleView struct {
	Rule
	// Raw is the rule exactly as stored, set only when Rule cannot express
	// all of it; the rest of the view then shows what it can.
	Raw map[string]any `json:"raw,omitempty"`
	// Reason says what Rule cannot express; empty when Raw is unset.
	Reason string `json:"reason,omitempty"`
}

// Status is the controller's view of a route.
type Status struct {
	// Accepted is true when the controller's last reconcile succeeded (an
	// Accepted condition with status True).
	Accepted bool `json:"accepted"`
	// Conditions are the status conditions as stored. The controller keeps
	// exactly one: Accepted, or NotAccepted with its error as the message.
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// Deleting is true once the route has been deleted but still exists:
	// the controller's finalizer (aigateway.envoyproxy.io/finalizer) keeps
	// it until the generated HTTPRoute has been cleaned up.
	Deleting bool `json:"deleting"`
}

// Spec returns the route in the terms of a request body, the input of Render.
// For an editable route, Render(r.Namespace, r.Spec()) gives back the
// object's spec (up to the API server's defaults).
func (r Route) Spec() Spec {
	s := Spec{
		Name:            r.Name,
		Gateways:        slices.Clone(r.Gateways),
		Hostnames:       slices.Clone(r.Hostnames),
		LLMRequestCosts: slices.Clone(r.LLMRequestCosts),
		Rules:           make([]Rule, 0, len(r.Rules)),
	}
	for _, rv := range r.Rules {
		s.Rules = append(s.Rules, rv.Rule)
	}
	return s
}

// FromObject returns the view of an AIGatewayRoute, typically one from the
// informer cache, which it does not modify. It fails only when u is not an
// AIGatewayRoute or its spec or status does not decode into the v1beta1
// types; anything that decodes but that Spec cannot express makes the route
// non-editable instead.
func FromObject(u *unstructured.Unstructured) (Route, error) {
	if u == nil {
		return Route{}, errors.New("no AIGatewayRoute given")
	}
	ref := fmt.Sprintf("AIGatewayRoute/%s/%s", u.GetNamespace(), u.GetName())
	if gvk := u.GroupVersionKind(); gvk.Kind != "" && gvk.GroupKind() != cluster.AIGatewayRoute.GVK.GroupKind() {
		return Route{}, fmt.Errorf("%s/%s/%s is not an AIGatewayRoute", gvk.Kind, u.GetNamespace(), u.GetName())
	}
	namespace := u.GetNamespace()
	var why []string

	var spec aigv1b1.AIGatewayRouteSpec
	specMap, _ := u.Object["spec"].(map[string]any)
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(specMap, &spec); err != nil {
		return Route{}, fmt.Errorf("%s: decode spec: %w", ref, err)
	}
	// Fields of a newer CRD than the console's types are shown (in the raw
	// rule when they are in a rule) but a PUT would drop them. Rules are
	// checked one by one below.
	top := make(map[string]any, len(specMap))
	for k, v := range specMap {
		if k != "rules" {
			top[k] = v
		}
	}
	if unknown := unknownFields(top, &aigv1b1.AIGatewayRouteSpec{}); unknown != "" {
		why = append(why, "the console does not know "+unknown)
	}
	var status aigv1b1.AIGatewayRouteStatus
	if m, ok := u.Object["status"].(map[string]any); ok {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &status); err != nil {
			return Route{}, fmt.Errorf("%s: decode status: %w", ref, err)
		}
	}

	r := Route{
		Name:            u.GetName(),
		Namespace:       namespace,
		ResourceVersion: u.GetResourceVersion(),
		Managed:         u.GetLabels()[LabelManagedBy] == ManagedBy,
		Status: Status{
			Accepted:   meta.IsStatusConditionTrue(status.Conditions, aigv1b1.ConditionTypeAccepted),
			Conditions: status.Conditions,
			Deleting:   u.GetDeletionTimestamp() != nil,
		},
	}
	var gwWhy []string
	r.Gateways, gwWhy = gatewaysFromAPI(spec.ParentRefs)
	why = append(why, gwWhy...)
	for _, h := range spec.Hostnames {
		r.Hostnames = append(r.Hostnames, string(h))
	}
	// spec.rules decoded, so it is a list of objects as long as spec.Rules.
	rawRules, _ := specMap["rules"].([]any)
	r.Rules = make([]RuleView, 0, len(spec.Rules))
	for i, in := range spec.Rules {
		raw, _ := rawRules[i].(map[string]any)
		rule, ruleWhy := ruleFromAPI(namespace, in)
		if unknown := unknownFields(raw, &aigv1b1.AIGatewayRouteRule{}); unknown != "" {
			ruleWhy = append(ruleWhy, "the console does not know "+unknown)
		}
		rv := RuleView{Rule: rule}
		if len(ruleWhy) > 0 {
			rv.Reason = strings.Join(ruleWhy, "; ")
			rv.Raw = runtime.DeepCopyJSON(raw)
			why = append(why, fmt.Sprintf("rules[%d]: %s", i, rv.Reason))
		}
		r.Rules = append(r.Rules, rv)
	}
	for _, c := range spec.LLMRequestCosts {
		cost := LLMRequestCost{MetadataKey: c.MetadataKey, Type: c.Type}
		if c.CEL != nil {
			cost.CEL = *c.CEL
		}
		r.LLMRequestCosts = append(r.LLMRequestCosts, cost)
	}

	// The checks above name what Spec cannot express. This one makes sure
	// nothing slipped through them: rendering the Spec again must give the
	// stored spec back, up to the API server's defaults.
	if len(why) == 0 && !equality.Semantic.DeepEqual(defaulted(namespace, spec), defaulted(namespace, routeSpec(namespace, r.Spec()))) {
		why = append(why, "the console cannot represent its spec exactly")
	}
	r.Editable = len(why) == 0
	r.Reason = strings.Join(why, "; ")
	return r, nil
}

// unknownFields names the fields of m that into (a pointer to a type of the
// console's) lacks, such as `field "retryPolicy"`, or returns "".
func unknownFields(m map[string]any, into any) string {
	err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(m, into, true)
	strict, ok := runtime.AsStrictDecodingError(err)
	if !ok {
		return ""
	}
	names := make([]string, 0, len(strict.Errors()))
	for _, e := range strict.Errors() {
		names = append(names, strings.TrimPrefix(e.Error(), "unknown field "))
	}
	if len(names) == 1 {
		return "field " + names[0]
	}
	return "fields " + strings.Join(names, ", ")
}

func gatewaysFromAPI(refs []gwapiv1.ParentReference) ([]GatewayRef, []string) {
	var why []string
	out := make([]GatewayRef, 0, len(refs))
	for i, p := range refs {
		if !isGateway(p) {
			why = append(why, fmt.Sprintf("parentRefs[%d] is not a Gateway", i))
			continue
		}
		if p.Port != nil {
			why = append(why, fmt.Sprintf("parentRefs[%d] sets a port", i))
		}
		g := GatewayRef{Name: string(p.Name)}
		if p.Namespace != nil {
			g.Namespace = string(*p.Namespace)
		}
		if p.SectionName != nil {
			g.SectionName = string(*p.SectionName)
		}
		out = append(out, g)
	}
	return out, why
}

// isGateway reports whether a parentRef names a Gateway, taking the CRD's
// defaults for an unset group and kind.
func isGateway(p gwapiv1.ParentReference) bool {
	return (p.Group == nil || *p.Group == gwapiv1.GroupName) && (p.Kind == nil || *p.Kind == gatewayKind)
}

func ruleFromAPI(namespace string, in aigv1b1.AIGatewayRouteRule) (Rule, []string) {
	var why []string
	out := Rule{Backends: make([]Backend, 0, len(in.BackendRefs))}
	if in.Name != nil {
		out.Name = string(*in.Name)
	}
	for j, ref := range in.BackendRefs {
		if ref.Group != nil || ref.Kind != nil {
			kind := "a " + ptrString(ref.Kind)
			if ref.IsInferencePool() {
				kind = "InferencePool"
			}
			why = append(why, fmt.Sprintf("backendRefs[%d] is %s %q, not a provider", j, kind, ref.Name))
			continue
		}
		if ref.HeaderMutation != nil {
			why = append(why, fmt.Sprintf("backendRefs[%d] has a headerMutation", j))
		}
		if ref.BodyMutation != nil {
			why = append(why, fmt.Sprintf("backendRefs[%d] has a bodyMutation", j))
		}
		b := Backend{Provider: ref.Name, ModelNameOverride: ref.ModelNameOverride}
		if ref.Namespace != nil && string(*ref.Namespace) != namespace {
			b.Namespace = string(*ref.Namespace)
		}
		if ref.Weight != nil {
			b.Weight = ptr(*ref.Weight)
		}
		if ref.Priority != nil {
			b.Priority = ptr(*ref.Priority)
		}
		out.Backends = append(out.Backends, b)
	}
	if msg := matchesFromAPI(in.Matches, &out); msg != "" {
		why = append(why, msg)
	}
	if in.Timeouts != nil {
		out.Timeouts = &Timeouts{Request: ptrString(in.Timeouts.Request), BackendRequest: ptrString(in.Timeouts.BackendRequest)}
	}
	out.StreamIdleTimeout = ptrString(in.StreamIdleTimeout)
	if in.ModelsOwnedBy != nil && *in.ModelsOwnedBy != defaultModelsOwnedBy {
		why = append(why, "it sets modelsOwnedBy")
	}
	if in.ModelsCreatedAt != nil {
		why = append(why, "it sets modelsCreatedAt")
	}
	return out, why
}

// matchesFromAPI sets the models, model pattern and extra headers of out from
// a rule's matches, or says why they cannot be expressed that way (and then
// leaves out alone). Spec terms need every match to select on x-ai-eg-model
// and to carry the same other headers, and a RegularExpression model match
// to be the rule's only match.
func matchesFromAPI(matches []aigv1b1.AIGatewayRouteRuleMatch, out *Rule) string {
	if len(matches) == 0 {
		return `it has no matches, so it takes every request (modelPattern ".*" says the same)`
	}
	var (
		models  []string
		pattern string
		first   []HeaderMatch
	)
	for i, m := range matches {
		var model *gwapiv1.HTTPHeaderMatch
		extra := []HeaderMatch{}
		for k := range m.Headers {
			h := m.Headers[k]
			if !strings.EqualFold(string(h.Name), aigv1b1.ModelNameHeader) {
				extra = append(extra, headerFromAPI(h))
				continue
			}
			if model != nil {
				return fmt.Sprintf("matches[%d] matches %s twice", i, aigv1b1.ModelNameHeader)
			}
			model = &h
		}
		switch {
		case model == nil:
			return fmt.Sprintf("matches[%d] does not match on %s", i, aigv1b1.ModelNameHeader)
		case i == 0:
			first = extra
		case !sameHeaders(first, extra):
			return fmt.Sprintf("matches[%d] has other headers than matches[0]", i)
		}
		if model.Type != nil && *model.Type == gwapiv1.HeaderMatchRegularExpression {
			if len(matches) > 1 {
				return fmt.Sprintf("matches[%d] is a RegularExpression model match next to other matches", i)
			}
			pattern = model.Value
			continue
		}
		models = append(models, model.Value)
	}
	out.Models, out.ModelPattern = models, pattern
	if len(first) > 0 {
		out.Headers = first
	}
	return ""
}

// sameHeaders reports whether two lists hold the same header matches in any
// order: the headers of a match must all match, so their order means nothing.
func sameHeaders(a, b []HeaderMatch) bool {
	return len(a) == len(b) && headersKey(a) == headersKey(b)
}

// headerFromAPI leaves out the default match type, as a request would.
func headerFromAPI(h gwapiv1.HTTPHeaderMatch) HeaderMatch {
	out := HeaderMatch{Name: string(h.Name), Value: h.Value}
	if h.Type != nil && *h.Type != gwapiv1.HeaderMatchExact {
		out.Type = *h.Type
	}
	return out
}

// defaulted returns a copy of spec with the API server's defaults filled in
// and equivalent spellings made equal, so that a stored spec and a rendered
// one compare equal when they mean the same.
func defaulted(namespace string, spec aigv1b1.AIGatewayRouteSpec) *aigv1b1.AIGatewayRouteSpec {
	out := spec.DeepCopy()
	for i := range out.ParentRefs {
		p := &out.ParentRefs[i]
		if p.Group == nil {
			p.Group = ptr(gwapiv1.Group(gwapiv1.GroupName))
		}
		if p.Kind == nil {
			p.Kind = ptr(gwapiv1.Kind(gatewayKind))
		}
	}
	for i := range out.Rules {
		r := &out.Rules[i]
		for j := range r.Matches {
			headers := r.Matches[j].Headers
			for k := range headers {
				h := &headers[k]
				h.Type = ptr(headerType(ptrValue(h.Type)))
				if strings.EqualFold(string(h.Name), aigv1b1.ModelNameHeader) {
					h.Name = aigv1b1.ModelNameHeader
				}
			}
			// The headers of a match must all match; their order means nothing.
			slices.SortStableFunc(headers, func(a, b gwapiv1.HTTPHeaderMatch) int {
				return strings.Compare(strings.ToLower(string(a.Name)), strings.ToLower(string(b.Name)))
			})
		}
		for j := range r.BackendRefs {
			b := &r.BackendRefs[j]
			if b.Namespace != nil && (*b.Namespace == "" || string(*b.Namespace) == namespace) {
				b.Namespace = nil
			}
			if b.Weight == nil {
				b.Weight = ptr(int32(1))
			}
			if b.Priority == nil {
				b.Priority = ptr(uint32(0))
			}
		}
		if r.ModelsOwnedBy == nil {
			r.ModelsOwnedBy = ptr(defaultModelsOwnedBy)
		}
	}
	for i := range out.LLMRequestCosts {
		if c := &out.LLMRequestCosts[i]; c.CEL != nil && *c.CEL == "" {
			c.CEL = nil
		}
	}
	return out
}

// ptrString returns the string behind p, or "" for nil.
func ptrString[T ~string](p *T) string {
	return string(ptrValue(p))
}

// ptrValue returns the value behind p, or the zero value for nil.
func ptrValue[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}
