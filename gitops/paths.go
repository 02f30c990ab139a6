package gitops

import (
	"fmt"
	"path"
	"regexp"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aigw-console/aigw-console/app/sink"
)

// ClusterScope is the folder under the root that holds cluster-scoped
// objects (those without a namespace). It cannot collide with a namespace:
// "_" is not allowed in a DNS-1123 label.
const ClusterScope = "_cluster"

// MaxNameLength is the longest object name ObjectPath accepts: the file
// <name>.yaml must fit in the 255 bytes a file name holds on Linux (and in
// the checkouts of Flux and Argo CD), while Kubernetes allows 253.
const MaxNameLength = 255 - len(".yaml")

// KustomizationFile is the file kept up to date in every folder of the tree.
const KustomizationFile = "kustomization.yaml"

// kindPattern is what a kind may look like before it becomes a folder
// name: Kubernetes kinds are CamelCase identifiers.
var kindPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{0,62}$`)

// rootComponent is what one component of the configured root may look like.
var rootComponent = regexp.MustCompile(`^[A-Za-z0-9._-]{1,255}$`)

// ObjectPath returns the repository path of an object:
// <root>/<namespace>/<kind-lowercase>/<name>.yaml, or
// <root>/_cluster/<kind-lowercase>/<name>.yaml for a cluster-scoped object.
// Every name is validated before it becomes part of a path: the namespace
// must be a DNS-1123 label and the name a DNS-1123 subdomain, so "..",
// absolute paths, separators and control characters never get through.
// The root must already be clean (see CleanRoot).
func ObjectPath(root string, ref sink.Ref) (string, error) {
	if ref.Name == "" {
		return "", &PathError{Object: ref, Path: ref.Name, Reason: "the object has no name"}
	}
	if errs := validation.IsDNS1123Subdomain(ref.Name); len(errs) > 0 {
		return "", &PathError{Object: ref, Path: ref.Name, Reason: "the name is not a DNS-1123 subdomain: " + strings.Join(errs, "; ")}
	}
	if len(ref.Name) > MaxNameLength {
		return "", &PathError{Object: ref, Path: ref.Name, Reason: fmt.Sprintf("the name is longer than %d characters: <name>.yaml must fit in a file name (255 bytes)", MaxNameLength)}
	}
	scope := ClusterScope
	if ref.Namespace != "" {
		if errs := validation.IsDNS1123Label(ref.Namespace); len(errs) > 0 {
			return "", &PathError{Object: ref, Path: ref.Namespace, Reason: "the namespace is not a DNS-1123 label: " + strings.Join(errs, "; ")}
		}
		scope = ref.Namespace
	}
	if !kindPattern.MatchString(ref.GVK.Kind) {
		return "", &PathError{Object: ref, Path: ref.GVK.Kind, Reason: "the kind is not an identifier"}
	}
	return path.Join(root, scope, strings.ToLower(ref.GVK.Kind), ref.Name+".yaml"), nil
}

// CleanRoot validates the configured root folder and returns it in the
// form ObjectPath expects: relative, slash-separated, without "." or ".."
// components. An empty root is refused: the sink never writes at the top of
// a repository it shares with people.
func CleanRoot(root string) (string, error) {
	r := strings.Trim(root, "/")
	if r == "" || strings.HasPrefix(root, "/") || strings.Contains(root, `\`) {
		return "", &PathError{Path: root, Reason: "the root must be a relative folder such as clusters/default"}
	}
	for _, c := range strings.Split(r, "/") {
		// Git refuses a .git component (in any case) in a tree it checks out.
		if c == "." || c == ".." || strings.EqualFold(c, ".git") || !rootComponent.MatchString(c) {
			return "", &PathError{Path: root, Reason: fmt.Sprintf("the root has an unsafe component %q", c)}
		}
	}
	return r, nil
}

// splitPath splits a clean repository path into its components.
func splitPath(p string) []string {
	if p == "" || p == "." {
		return nil
	}
	return strings.Split(p, "/")
}
