package policy

import (
	"fmt"
	"maps"
)

// Input is the document policies see as `input`. Its JSON form is documented
// in the package overview and in README.md.
type Input struct {
	// Operation is "create", "update" or "delete".
	Operation string `json:"operation"`
	// Kind is the console resource the request is about: "provider", "route"
	// or "resource".
	Kind string `json:"kind"`
	// User is the authenticated caller.
	User User `json:"user"`
	// Namespace is the namespace of the request; rendered objects that leave
	// metadata.namespace empty are in it.
	Namespace string `json:"namespace"`
	// Objects are the rendered Kubernetes objects of the change set, as
	// unstructured JSON maps. Evaluate removes Secret values itself.
	Objects []map[string]any `json:"objects"`
	// Live are related objects already in the cluster, e.g. the current
	// version of changed objects or the Secret a policy references.
	Live []map[string]any `json:"live"`
	// DryRun is true when the caller asked for a dry run.
	DryRun bool `json:"dryRun"`
}

// User identifies the caller of a request.
type User struct {
	// Name is the user name as authenticated.
	Name string `json:"name"`
	// Groups are the user's groups.
	Groups []string `json:"groups"`
}

// describe names the request in errors: `provider create in "team-a"`.
func (in Input) describe() string {
	return fmt.Sprintf("%s %s in %q", in.Kind, in.Operation, in.Namespace)
}

// document builds the input document as the plain maps and slices that OPA
// converts without a JSON round trip. Nil slices become empty arrays so
// policies can iterate them without guards.
func (in Input) document() map[string]any {
	groups := in.User.Groups
	if groups == nil {
		groups = []string{}
	}
	return map[string]any{
		"operation": in.Operation,
		"kind":      in.Kind,
		"user":      map[string]any{"name": in.User.Name, "groups": groups},
		"namespace": in.Namespace,
		"objects":   redacted(in.Objects),
		"live":      redacted(in.Live),
		"dryRun":    in.DryRun,
	}
}

// redacted returns objs as []any with the values of every Secret's data and
// stringData replaced by "". Keys stay so policies can check them. The values
// must never reach a policy: a policy message is returned to the client and a
// team policy could copy a value into it. The caller's maps are not modified.
func redacted(objs []map[string]any) []any {
	out := make([]any, len(objs))
	for i, obj := range objs {
		if obj["kind"] != "Secret" {
			out[i] = obj
			continue
		}
		secret := maps.Clone(obj)
		for _, key := range [...]string{"data", "stringData"} {
			if values, ok := obj[key]; ok {
				secret[key] = keysOnly(values)
			}
		}
		out[i] = secret
	}
	return out
}

// keysOnly maps every key of a Secret's data to "". A value of any other type
// becomes an empty map, so nothing unexpected slips through.
func keysOnly(values any) map[string]any {
	keys := map[string]any{}
	switch m := values.(type) {
	case map[string]any:
		for k := range m {
			keys[k] = ""
		}
	case map[string]string:
		for k := range m {
			keys[k] = ""
		}
	case map[string][]byte:
		for k := range m {
			keys[k] = ""
		}
	}
	return keys
}
