// Package crds ships the CustomResourceDefinitions of the Envoy AI Gateway
// kinds the console models (AIGatewayRoute, AIServiceBackend and
// BackendSecurityPolicy at aigateway.envoyproxy.io/v1beta1).
//
// The YAML files are generated from the Go types in ../v1beta1 by
// controller-gen (`go generate ./app/apis/...`) and must not be edited by
// hand; a test in this package fails when they are stale. Tests install them
// into a real API server, and the Helm chart can render them as they are.
package crds

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
)

// FS holds every generated CRD file, one CustomResourceDefinition per file,
// named <group>_<plural>.yaml.
//
//go:embed *.yaml
var FS embed.FS

// All returns the bytes of each CRD file, sorted by file name.
func All() ([][]byte, error) {
	names, err := fs.Glob(FS, "*.yaml")
	if err != nil {
		return nil, fmt.Errorf("list embedded CRDs: %w", err)
	}
	slices.Sort(names)
	out := make([][]byte, 0, len(names))
	for _, name := range names {
		b, err := FS.ReadFile(name)
		if err != nil {
			return nil, fmt.Errorf("read embedded CRD %s: %w", name, err)
		}
		out = append(out, b)
	}
	return out, nil
}
