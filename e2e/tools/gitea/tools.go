//go:build tools

// Package tools pins Gitea v1.26.0, the forge the pull-request e2e tests
// (e2e/gitea) run as a local process. `make tools` builds it into .local/bin
// with cgo and the sqlite tags. This is a separate module so that Gitea's
// dependency tree stays out of the product's go.mod.
package tools

import _ "code.gitea.io/gitea"
