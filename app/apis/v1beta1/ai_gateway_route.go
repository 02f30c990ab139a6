package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// InferencePool reference: the only group and kind an
// AIGatewayRouteRuleBackendRef or a BackendSecurityPolicy target may name
// besides an AIServiceBackend.
const (
	// InferencePoolGroup is the API group of the Gateway API Inference
	// Extension's InferencePool.
	InferencePoolGroup = "inference.networking.k8s.io"
	// InferencePoolKind is the kind of the Gateway API Inference Extension's
	// InferencePool.
	InferencePoolKind = "InferencePool"
)

// AIGatewayRoute attaches to Gateways and holds rules that route requests,
// usually by the x-ai-eg-model header, to AIServiceBackends or to one
// InferencePool.
//
// The upstream controller generates, in the route's namespace and owned by
// it, an HTTPRoute with the route's name (plus a catch-all rule named
// route-not-found) and the HTTPRouteFilters ai-eg-host-rewrite-<name> and
// ai-eg-route-not-found-response-<name>.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[-1:].type`
// +kubebuilder:storageversion
type AIGatewayRoute struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the AIGatewayRoute.
	Spec AIGatewayRouteSpec `json:"spec,omitempty"`
	// Status is written by the upstream controller.
	Status AIGatewayRouteStatus `json:"status,omitempty"`
}

// AIGatewayRouteList is a list of AIGatewayRoutes.
//
// +kubebuilder:object:root=true
type AIGatewayRouteList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the AIGatewayRoutes in the list.
	Items []AIGatewayRoute `json:"items"`
}

// AIGatewayRouteSpec is the desired state of an AIGatewayRoute.
type AIGatewayRouteSpec struct {
	// ParentRefs are the Gateways the route attaches to. Kind defaults to
	// Gateway, and no other kind is supported.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(ref, ref.kind == 'Gateway')",message="only Gateway is supported"
	ParentRefs []gwapiv1.ParentReference `json:"parentRefs,omitempty"`

	// Hostnames are matched against the Host header, as in an HTTPRoute; the
	// controller copies them to the generated HTTPRoute.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=16
	Hostnames []gwapiv1.Hostname `json:"hostnames,omitempty"`

	// Rules are the routing rules, matched as HTTPRoute rules are. At most 15
	// are allowed because the generated HTTPRoute needs one more slot (of the
	// Gateway API's 16) for the controller's route-not-found rule. Names,
	// where given, must be unique.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MaxItems=15
	// +kubebuilder:validation:XValidation:rule="self.all(r, !has(r.name) || self.filter(o, has(o.name) && o.name == r.name).size() == 1)",message="rule name must be unique within the route"
	Rules []AIGatewayRouteRule `json:"rules"`

	// LLMRequestCosts lists the token counts or costs to capture per request
	// into dynamic metadata. An entry overrides a GatewayConfig global entry
	// with the same metadataKey.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=36
	LLMRequestCosts []LLMRequestCost `json:"llmRequestCosts,omitempty"`
}

// AIGatewayRouteRule routes the requests that match it to its backends.
// Its backendRefs either all name AIServiceBackends (no group or kind) or
// name exactly one InferencePool.
//
// +kubebuilder:validation:XValidation:rule="!has(self.name) || self.name != 'route-not-found'",message="rule name route-not-found is reserved"
// +kubebuilder:validation:XValidation:rule="!has(self.backendRefs) || self.backendRefs.all(ref, !has(ref.group) && !has(ref.kind)) || self.backendRefs.all(ref, has(ref.group) && has(ref.kind))",message="cannot mix InferencePool and AIServiceBackend references in the same rule"
// +kubebuilder:validation:XValidation:rule="!has(self.backendRefs) || !self.backendRefs.exists(ref, has(ref.group) && has(ref.kind)) || size(self.backendRefs) == 1",message="only one InferencePool backend is allowed per rule"
type AIGatewayRouteRule struct {
	// Name is copied to the generated HTTPRoute rule. It must be unique
	// within the route and must not be route-not-found.
	//
	// +optional
	Name *gwapiv1.SectionName `json:"name,omitempty"`

	// BackendRefs are the weighted targets of the rule. A namespace other
	// than the route's needs a ReferenceGrant in the target namespace.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=128
	BackendRefs []AIGatewayRouteRuleBackendRef `json:"backendRefs,omitempty"`

	// Matches select requests by header, a subset of HTTPRouteMatch. The
	// controller adds a path-prefix match on the gateway's root prefix.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=128
	Matches []AIGatewayRouteRuleMatch `json:"matches,omitempty"`

	// Timeouts bound the request and each backend request. When Timeouts or
	// its request timeout is unset, the controller uses a 60s request timeout
	// (Envoy Gateway's own default is 15s), which long streaming responses
	// may need to exceed.
	//
	// +optional
	Timeouts *gwapiv1.HTTPRouteTimeouts `json:"timeouts,omitempty"`

	// StreamIdleTimeout is the longest the gateway waits without receiving a
	// byte from the upstream. Before the first byte it lets a retry policy
	// fail over to the next backend; after it the client gets a 504. Unset
	// means no idle timeout.
	//
	// +optional
	StreamIdleTimeout *gwapiv1.Duration `json:"streamIdleTimeout,omitempty"`

	// ModelsOwnedBy is the owned_by value /v1/models reports for the models
	// this rule matches through the x-ai-eg-model header.
	//
	// +optional
	// +kubebuilder:default="Envoy AI Gateway"
	ModelsOwnedBy *string `json:"modelsOwnedBy,omitempty"`

	// ModelsCreatedAt is the created value /v1/models reports for the models
	// this rule matches, in RFC 3339. The controller uses the route's
	// creationTimestamp when it is unset.
	//
	// +optional
	// +kubebuilder:validation:Format=date-time
	ModelsCreatedAt *metav1.Time `json:"modelsCreatedAt,omitempty"`
}

// AIGatewayRouteRuleBackendRef is a weighted reference to an AIServiceBackend
// (group and kind left out) or to an InferencePool (group
// inference.networking.k8s.io, kind InferencePool).
//
// +kubebuilder:validation:XValidation:rule="has(self.group) == has(self.kind)",message="group and kind must be specified together"
// +kubebuilder:validation:XValidation:rule="!has(self.group) || (self.group == 'inference.networking.k8s.io' && has(self.kind) && self.kind == 'InferencePool')",message="only InferencePool from inference.networking.k8s.io group is supported"
type AIGatewayRouteRuleBackendRef struct {
	// Name is the name of the AIServiceBackend, or of the InferencePool when
	// group and kind are set.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Name string `json:"name"`

	// Namespace is the target's namespace; unset or empty means the route's.
	//
	// +optional
	Namespace *gwapiv1.Namespace `json:"namespace,omitempty"`

	// Group is left out for an AIServiceBackend; the only other value allowed
	// is inference.networking.k8s.io.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^$|^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Group *string `json:"group,omitempty"`

	// Kind is left out for an AIServiceBackend; the only other value allowed
	// is InferencePool.
	//
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^$|^[a-zA-Z]([-a-zA-Z0-9]*[a-zA-Z0-9])?$`
	Kind *string `json:"kind,omitempty"`

	// ModelNameOverride replaces the model name sent upstream. Ignored for an
	// InferencePool.
	//
	// +optional
	ModelNameOverride string `json:"modelNameOverride,omitempty"`

	// HeaderMutation edits request headers for this backend; route-level
	// edits win on conflict. Ignored for an InferencePool.
	//
	// +optional
	HeaderMutation *HTTPHeaderMutation `json:"headerMutation,omitempty"`

	// BodyMutation edits top-level JSON body fields for this backend;
	// route-level edits win on conflict. Ignored for an InferencePool.
	//
	// +optional
	BodyMutation *HTTPBodyMutation `json:"bodyMutation,omitempty"`

	// Weight is the share of traffic, as in a Gateway API BackendRef.
	//
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=1
	Weight *int32 `json:"weight,omitempty"`

	// Priority is the Envoy endpoint priority used for failover tiers (0 is
	// tried first). It overrides the Envoy Gateway Backend's fallback flag.
	// Ignored for an InferencePool.
	//
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:default=0
	Priority *uint32 `json:"priority,omitempty"`
}

// IsInferencePool reports whether the reference names an InferencePool. Any
// other reference names an AIServiceBackend.
func (r *AIGatewayRouteRuleBackendRef) IsInferencePool() bool {
	return r.Group != nil && *r.Group == InferencePoolGroup &&
		r.Kind != nil && *r.Kind == InferencePoolKind
}

// AIGatewayRouteRuleMatch selects requests by header.
type AIGatewayRouteRuleMatch struct {
	// Headers must all match; header names are unique within one match.
	//
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Headers []gwapiv1.HTTPHeaderMatch `json:"headers,omitempty"`
}

// AIGatewayRouteStatus is the observed state of an AIGatewayRoute.
type AIGatewayRouteStatus struct {
	// Conditions holds the single Accepted or NotAccepted condition of the
	// last reconcile.
	//
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
