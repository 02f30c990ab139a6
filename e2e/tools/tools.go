//go:build tools

// Package tools pins the test servers that the e2e suite and `make run` build
// from the Go module proxy: kube-apiserver and kubectl from k8s.io/kubernetes,
// and etcd (see ./etcd). They live in this separate module so that their
// dependency trees stay out of the product's go.mod.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
