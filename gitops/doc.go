// Package gitops will hold the GitOps sink: it renders a change set to
// deterministic YAML files, commits them with go-git and pushes them (or
// opens a pull request) for Flux or Argo CD to apply.
//
// Not built yet: the console refuses --mode=gitops at start-up until this
// package implements sink.Sink.
package gitops
