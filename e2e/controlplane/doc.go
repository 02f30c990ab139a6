// Package controlplane runs a real, local Kubernetes control plane — etcd and
// kube-apiserver built from the Go module proxy by e2e/tools — for the e2e
// suite and for `make run`.
//
// # What it gives you
//
// Start launches etcd and kube-apiserver as child processes on free loopback
// ports, with a private CA, a service-account signing key and a static token
// file. Every user in the token file is a real user to the API server: RBAC,
// impersonation, TokenReview, SubjectAccessReview and TokenRequest all behave
// as in a production cluster. Config returns the admin's rest.Config
// (group system:masters) and UserConfig an ordinary user's, who can do nothing
// until a test grants it RBAC.
//
// # Processes
//
// The children run in their own process group and receive SIGKILL when the
// process that started them dies (Linux parent-death signal), so neither an
// interrupted test nor a killed `make run` leaves etcd or kube-apiserver
// behind. StopAPIServer and StartAPIServer restart kube-apiserver alone while
// etcd keeps its data, which is how the watch-resume tests simulate an API
// server outage.
//
// # CRDs
//
// InstallCRDs applies CustomResourceDefinitions with server-side apply and
// waits until they are Established. UpstreamCRDs reads the Gateway API and
// Envoy Gateway CRDs from those projects' own modules in the Go module cache
// (fetched with `go mod download`), so no copy of them lives in this
// repository.
package controlplane
