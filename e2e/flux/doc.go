// Package flux runs real Flux — source-controller and kustomize-controller
// v1.9.6, built from the Go module proxy by `make flux-tools` into
// .local/bin — against a test API server, so that GitOps tests see a commit
// become objects in the cluster exactly as in production.
//
// # Controllers
//
// InstallCRDs installs Flux's CustomResourceDefinitions, read from
// config/crd/bases of both controllers' modules in the Go module cache
// (located with `go mod download -json` in e2e/tools/flux; nothing is
// copied into this repository). Start runs both controllers as local child
// processes (there is no kubelet): RUNTIME_NAMESPACE=flux-system, a
// kubeconfig for the given rest.Config, no leader election, loopback
// metrics and health ports, and source-controller's artifact storage in a
// folder served on a loopback port. Stop kills their process groups.
//
// # Objects
//
// CreateGitRepository and CreateKustomization create (or update) the Flux
// objects with short intervals: basic auth from a Secret, prune, an
// optional target namespace and SOPS decryption with an age identity (a
// Secret with the key identity.agekey). Reconcile asks both to reconcile
// now (annotation reconcile.fluxcd.io/requestedAt) and WaitApplied waits
// until the Kustomization's status.lastAppliedRevision is a given commit
// (Revision builds "main@sha1:<sha>"), reporting the objects' Ready
// conditions and the controllers' logs when it times out.
//
// Tests call localtool.Require first: without the binaries they skip, or
// fail when $CI is set.
package flux
