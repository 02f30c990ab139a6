package syncstatus

import (
	"fmt"
	"reflect"
	"sort"
	"strconv"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/cluster"
)

// Diff returns the field paths (sorted, e.g. "spec.endpoints[0].fqdn.hostname")
// where live does not hold what desired asks for, with server-side apply
// semantics: only the fields desired sets count, so defaults, status and
// what the API server adds are no drift. Of metadata, only labels and
// annotations are compared. Secrets are compared by key names (data and
// stringData) and type, never by value: live may be the cache's reduced
// form (cluster.SecretKeysField) or a full Secret.
func Diff(desired, live *unstructured.Unstructured) []string {
	var out []string
	if desired.GetKind() == "Secret" && desired.GetAPIVersion() == "v1" {
		out = secretDiff(desired, live)
	} else {
		for k, v := range desired.Object {
			switch k {
			case "apiVersion", "kind", "status":
			case "metadata":
				dm, _ := v.(map[string]any)
				lm, _ := live.Object["metadata"].(map[string]any)
				for _, f := range []string{"labels", "annotations"} {
					if dv, ok := dm[f]; ok {
						subset(dv, lm[f], "metadata."+f, &out)
					}
				}
			default:
				subset(v, live.Object[k], k, &out)
			}
		}
	}
	sort.Strings(out)
	return out
}

// subset appends the paths below p where have lacks or differs from want.
func subset(want, have any, p string, out *[]string) {
	switch w := want.(type) {
	case map[string]any:
		h, ok := have.(map[string]any)
		if !ok {
			*out = append(*out, p)
			return
		}
		for k, wv := range w {
			subset(wv, h[k], p+"."+k, out)
		}
	case []any:
		h, ok := have.([]any)
		if !ok || len(h) != len(w) {
			*out = append(*out, p)
			return
		}
		for i := range w {
			subset(w[i], h[i], p+"["+strconv.Itoa(i)+"]", out)
		}
	case nil:
		if have != nil {
			*out = append(*out, p)
		}
	default:
		if !scalarEqual(want, have) {
			*out = append(*out, p)
		}
	}
}

// scalarEqual compares JSON scalars, numbers by value (YAML and JSON
// decoders differ in int64/float64).
func scalarEqual(a, b any) bool {
	if fa, ok := number(a); ok {
		fb, ok := number(b)
		return ok && fa == fb
	}
	return reflect.DeepEqual(a, b)
}

func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int64:
		return float64(n), true
	case int:
		return float64(n), true
	case int32:
		return float64(n), true
	case float64:
		return n, true
	case float32:
		return float64(n), true
	}
	return 0, false
}

func secretDiff(desired, live *unstructured.Unstructured) []string {
	var out []string
	want := map[string]bool{}
	for _, f := range []string{"data", "stringData"} {
		if m, ok := desired.Object[f].(map[string]any); ok {
			for k := range m {
				want[k] = true
			}
		}
	}
	have := map[string]bool{}
	if m, ok := live.Object[cluster.SecretKeysField].(map[string]any); ok {
		for k := range m {
			have[k] = true
		}
	} else if m, ok := live.Object["data"].(map[string]any); ok {
		for k := range m {
			have[k] = true
		}
	}
	for k := range want {
		if !have[k] {
			out = append(out, fmt.Sprintf("data.%s", k))
		}
	}
	for k := range have {
		if !want[k] {
			out = append(out, fmt.Sprintf("data.%s", k))
		}
	}
	if t, ok := desired.Object["type"]; ok && !scalarEqual(t, live.Object["type"]) {
		out = append(out, "type")
	}
	if dm, ok := desired.Object["metadata"].(map[string]any); ok {
		lm, _ := live.Object["metadata"].(map[string]any)
		for _, f := range []string{"labels", "annotations"} {
			if dv, ok := dm[f]; ok {
				subset(dv, lm[f], "metadata."+f, &out)
			}
		}
	}
	return out
}
