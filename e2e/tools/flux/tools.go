//go:build tools

// Package tools pins Flux's source-controller and kustomize-controller v1.9.6,
// which the GitOps e2e tests (e2e/flux) run as local processes against the
// test API server. `make tools` builds them into .local/bin. This is a
// separate module so that Flux's dependency tree stays out of the product's
// go.mod; see the Makefile for the build commands.
package tools

import (
	_ "github.com/fluxcd/kustomize-controller"
	_ "github.com/fluxcd/source-controller"
)
