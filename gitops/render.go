package gitops

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/sink"
)

// lastApplied is kubectl's client-side apply annotation: a full copy of the
// object (Secret values included), never wanted in Git.
const lastApplied = "kubectl.kubernetes.io/last-applied-configuration"

// serverFields are the metadata fields the API server sets. They are
// meaningless (or harmful, like a stale resourceVersion) in a desired-state
// file, and would make two renderings of the same intent differ.
var serverFields = []string{
	"uid", "resourceVersion", "generation", "creationTimestamp", "managedFields",
	"selfLink", "deletionTimestamp", "deletionGracePeriodSeconds", "ownerReferences",
}

// Render returns the desired-state YAML of one object: map keys sorted
// (sigs.k8s.io/yaml marshals through encoding/json, which sorts them), no
// status, no server-set metadata (uid, resourceVersion, generation,
// creationTimestamp, managedFields, ...) and no kubectl last-applied
// annotation. Two objects with the same intent render to the same bytes.
//
// Render does not encrypt: a Secret comes out with its values in clear.
// The Sink passes Secrets through SOPS before anything is written.
func Render(obj *unstructured.Unstructured) ([]byte, error) {
	ref := sink.RefOf(obj)
	if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
		return nil, fmt.Errorf("%s render failed: apiVersion and kind are required", ref)
	}
	if obj.GetName() == "" {
		return nil, &PathError{Object: ref, Reason: "the object has no name"}
	}
	o := clean(obj)
	out, err := yaml.Marshal(o.Object)
	if err != nil {
		return nil, fmt.Errorf("%s render failed: %w", ref, err)
	}
	return out, nil
}

// clean returns a copy of obj without status and server-set fields.
func clean(obj *unstructured.Unstructured) *unstructured.Unstructured {
	o := obj.DeepCopy()
	delete(o.Object, "status")
	md, ok := o.Object["metadata"].(map[string]any)
	if !ok {
		return o
	}
	for _, f := range serverFields {
		delete(md, f)
	}
	delete(md, "generateName")
	if ann, ok := md["annotations"].(map[string]any); ok {
		delete(ann, lastApplied)
		if len(ann) == 0 {
			delete(md, "annotations")
		}
	}
	if labels, ok := md["labels"].(map[string]any); ok && len(labels) == 0 {
		delete(md, "labels")
	}
	return o
}

// renderKustomization returns a kustomization.yaml listing resources
// (sorted). Fields a person added to an existing file (patches, labels,
// ...) are kept; only resources is owned by the sink.
func renderKustomization(existing []byte, resources []string) ([]byte, error) {
	k := map[string]any{}
	if len(existing) > 0 {
		if err := yaml.Unmarshal(existing, &k); err != nil {
			return nil, fmt.Errorf("existing %s is not valid YAML: %w", KustomizationFile, err)
		}
		if k == nil {
			k = map[string]any{}
		}
	}
	if _, ok := k["apiVersion"]; !ok {
		k["apiVersion"] = "kustomize.config.k8s.io/v1beta1"
	}
	if _, ok := k["kind"]; !ok {
		k["kind"] = "Kustomization"
	}
	sorted := append([]string(nil), resources...)
	sort.Strings(sorted)
	list := make([]any, 0, len(sorted))
	for _, r := range sorted {
		list = append(list, r)
	}
	k["resources"] = list
	return yaml.Marshal(k)
}
