//go:generate go run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0 object crd:crdVersions=v1 paths=./ output:crd:artifacts:config=../crds

// Package v1beta1 holds the Go types of the Envoy AI Gateway API group
// aigateway.envoyproxy.io at version v1beta1, the stable API of Envoy AI
// Gateway v1.x. The console reads and writes these kinds and nothing else of
// the group; other packages import it as aigv1b1.
//
// # Kinds
//
//   - AIGatewayRoute attaches to Gateways and routes requests, usually by the
//     x-ai-eg-model header, to AIServiceBackends or to one InferencePool. The
//     upstream controller turns it into an HTTPRoute of the same name.
//   - AIServiceBackend binds a provider wire format (its schema) to an Envoy
//     Gateway Backend that holds the network endpoint.
//   - BackendSecurityPolicy says how the gateway authenticates to the provider
//     behind the AIServiceBackends or InferencePools it targets.
//
// GatewayConfig, MCPRoute and QuotaPolicy exist upstream but are not modelled
// here.
//
// # Fidelity
//
// The types mirror upstream Envoy AI Gateway v1.1.0 field for field: JSON
// names, pointer versus value fields, omitempty on every optional field (so
// that API-server defaults such as weight 1 or profile "default" are never
// overwritten with zero values), enums, defaults, limits and every CEL rule
// with the API server's exact message. The upstream Go module cannot be
// fetched here, so the CRDs in ../crds are generated from these types with
// controller-gen; a test in ../crds fails when they are stale, and the e2e
// suite checks every CEL rule against a real kube-apiserver.
//
// Status is owned by the upstream controller, which replaces
// status.conditions with a single Accepted or NotAccepted condition on every
// reconcile. Read it; never write it.
//
// # Regenerating
//
// After changing a type, run `go generate ./app/apis/...` (or make generate)
// to rewrite zz_generated.deepcopy.go and the CRD YAML files.
//
// +kubebuilder:object:generate=true
// +groupName=aigateway.envoyproxy.io
package v1beta1
