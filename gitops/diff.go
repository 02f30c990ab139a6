package gitops

import (
	"github.com/wI2L/jsondiff"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/sink"
)

// The masks that stand for Secret values in a dry-run diff. A value in Git
// is SOPS-encrypted and cannot be compared without the age identity, so a
// Secret that is written again shows each value as replaced.
const (
	maskNew = "***"
	maskOld = "*** (encrypted)"
)

// view returns the object as a dry-run diff shows it: cleaned, Secret
// values masked.
func view(obj *unstructured.Unstructured, secret bool) map[string]any {
	o := clean(obj).Object
	if secret {
		mask(o, maskNew)
	}
	return o
}

// mask replaces every value under data and stringData.
func mask(o map[string]any, with string) {
	for _, f := range []string{"data", "stringData"} {
		if m, ok := o[f].(map[string]any); ok {
			for k := range m {
				m[k] = with
			}
		}
	}
}

// patch returns the JSON Patch (RFC 6902) from the file in Git to the new
// rendering, with Secret values masked on both sides.
func patch(old []byte, target map[string]any, secret bool) ([]sink.Change, error) {
	source := map[string]any{}
	if err := yaml.Unmarshal(old, &source); err != nil {
		return nil, err
	}
	delete(source, "sops")
	if secret || isSecret(source) {
		mask(source, maskOld)
	}
	ops, err := jsondiff.Compare(source, target)
	if err != nil {
		return nil, err
	}
	out := make([]sink.Change, 0, len(ops))
	for _, op := range ops {
		out = append(out, sink.Change{Op: op.Type, Path: op.Path, Value: op.Value})
	}
	return out, nil
}

func isSecret(o map[string]any) bool {
	return o["kind"] == "Secret" && o["apiVersion"] == "v1"
}
