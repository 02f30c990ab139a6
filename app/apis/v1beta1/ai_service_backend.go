package v1beta1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// AIServiceBackend binds a provider wire format to an Envoy Gateway Backend
// that holds the provider's network endpoint. AIGatewayRoute rules route to
// it by name, and a BackendSecurityPolicy attaches to it through its
// targetRefs to supply the provider credential.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[-1:].type`
// +kubebuilder:storageversion
type AIServiceBackend struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the AIServiceBackend.
	Spec AIServiceBackendSpec `json:"spec,omitempty"`
	// Status is written by the upstream controller.
	Status AIServiceBackendStatus `json:"status,omitempty"`
}

// AIServiceBackendList is a list of AIServiceBackends.
//
// +kubebuilder:object:root=true
type AIServiceBackendList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the AIServiceBackends in the list.
	Items []AIServiceBackend `json:"items"`
}

// AIServiceBackendSpec is the desired state of an AIServiceBackend.
type AIServiceBackendSpec struct {
	// APISchema is the wire format the backend speaks. The gateway translates
	// each request from the client's format to it. Its JSON name is "schema".
	//
	// +kubebuilder:validation:Required
	APISchema VersionedAPISchema `json:"schema"`

	// BackendRef points at the Envoy Gateway Backend (group
	// gateway.envoyproxy.io, kind Backend) that holds the endpoint. Because
	// group and kind default to "" and Service, both must be written out;
	// Kubernetes Services are not accepted.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:XValidation:rule="has(self.kind) && self.kind == 'Backend' && has(self.group) && self.group == 'gateway.envoyproxy.io'",message="BackendRef must be a Backend resource of Envoy Gateway. See https://github.com/envoyproxy/ai-gateway/issues/902 for more details."
	BackendRef gwapiv1.BackendObjectReference `json:"backendRef"`

	// HeaderMutation edits request headers before requests go to this
	// backend.
	//
	// +optional
	HeaderMutation *HTTPHeaderMutation `json:"headerMutation,omitempty"`

	// BodyMutation edits top-level JSON request body fields before requests go
	// to this backend.
	//
	// +optional
	BodyMutation *HTTPBodyMutation `json:"bodyMutation,omitempty"`
}

// AIServiceBackendStatus is the observed state of an AIServiceBackend.
type AIServiceBackendStatus struct {
	// Conditions holds the single Accepted or NotAccepted condition of the
	// last reconcile.
	//
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
