package cluster

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Kind describes one resource kind the console reads and writes.
type Kind struct {
	// Name is the kind's plural resource name, used in URLs
	// (/api/v1/resources/{name}).
	Name string
	// GVK is the group, version and kind the console reads and writes.
	GVK schema.GroupVersionKind
}

// GVR returns the kind's group, version and resource.
func (k Kind) GVR() schema.GroupVersionResource {
	return k.GVK.GroupVersion().WithResource(k.Name)
}

// The managed kinds. Secrets are read reduced (see the package doc).
var (
	AIGatewayRoute        = Kind{Name: "aigatewayroutes", GVK: schema.GroupVersionKind{Group: "aigateway.envoyproxy.io", Version: "v1beta1", Kind: "AIGatewayRoute"}}
	AIServiceBackend      = Kind{Name: "aiservicebackends", GVK: schema.GroupVersionKind{Group: "aigateway.envoyproxy.io", Version: "v1beta1", Kind: "AIServiceBackend"}}
	BackendSecurityPolicy = Kind{Name: "backendsecuritypolicies", GVK: schema.GroupVersionKind{Group: "aigateway.envoyproxy.io", Version: "v1beta1", Kind: "BackendSecurityPolicy"}}
	Backend               = Kind{Name: "backends", GVK: schema.GroupVersionKind{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Kind: "Backend"}}
	BackendTLSPolicy      = Kind{Name: "backendtlspolicies", GVK: schema.GroupVersionKind{Group: "gateway.networking.k8s.io", Version: "v1", Kind: "BackendTLSPolicy"}}
	Secret                = Kind{Name: "secrets", GVK: schema.GroupVersionKind{Version: "v1", Kind: "Secret"}}
)

// Kinds returns every kind the cache watches, in a fixed order.
func Kinds() []Kind {
	return []Kind{AIGatewayRoute, AIServiceBackend, BackendSecurityPolicy, Backend, BackendTLSPolicy, Secret}
}

// KindByName returns the kind with the given plural resource name.
func KindByName(name string) (Kind, bool) {
	for _, k := range Kinds() {
		if k.Name == name {
			return k, true
		}
	}
	return Kind{}, false
}

// KindOf returns the managed kind for a group/kind, ignoring the version.
func KindOf(gk schema.GroupKind) (Kind, bool) {
	for _, k := range Kinds() {
		if k.GVK.GroupKind() == gk {
			return k, true
		}
	}
	return Kind{}, false
}
