package cluster

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"k8s.io/apimachinery/pkg/runtime"
	utilruntime "k8s.io/apimachinery/pkg/util/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// NewScheme returns a new scheme that knows the core kinds, the AI Gateway
// v1beta1 kinds, Envoy Gateway's Backend and Gateway API's BackendTLSPolicy.
func NewScheme() *runtime.Scheme {
	s := runtime.NewScheme()
	utilruntime.Must(clientgoscheme.AddToScheme(s))
	utilruntime.Must(aigv1b1.AddToScheme(s))
	utilruntime.Must(egv1a1.AddToScheme(s))
	utilruntime.Must(gwapiv1.Install(s))
	return s
}
