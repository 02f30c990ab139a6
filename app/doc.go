// Package app is the console's composition root: Run turns a Config into
// running components and starts them in a written-down order.
//
// The packages below it form two paths:
//
//	request → api (decode) → validate + policy → sink (direct SSA | gitops) → cluster / Git
//	cluster → watch → hub → stream (WebSocket)
//
// State lives only in Kubernetes and Git. Nothing in this tree keeps
// package-level state, so any replica can die at any moment and nothing is
// lost.
package app
