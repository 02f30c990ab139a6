package gitops

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

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
//
// An object holding a character that sigs.k8s.io/yaml cannot carry (see
// yamlUnsafe) is written as indented JSON, which is YAML too, with those
// characters escaped, so that the file reads back as exactly the object.
// An object with a map key too long for YAML is refused (ErrKeyTooLong).
func Render(obj *unstructured.Unstructured) ([]byte, error) {
	ref := sink.RefOf(obj)
	if obj.GetAPIVersion() == "" || obj.GetKind() == "" {
		return nil, fmt.Errorf("%s render failed: apiVersion and kind are required", ref)
	}
	if obj.GetName() == "" {
		return nil, &PathError{Object: ref, Reason: "the object has no name"}
	}
	o := clean(obj)
	unsafe, err := scan(o.Object)
	if err != nil {
		return nil, fmt.Errorf("%s render failed: %w", ref, err)
	}
	if unsafe {
		out, err := escapedJSON(o.Object)
		if err != nil {
			return nil, fmt.Errorf("%s render failed: %w", ref, err)
		}
		return out, nil
	}
	out, err := yaml.Marshal(o.Object)
	if err != nil {
		return nil, fmt.Errorf("%s render failed: %w", ref, err)
	}
	return out, nil
}

// yamlUnsafe reports a character that sigs.k8s.io/yaml cannot write: it
// marshals through JSON and re-reads that JSON as YAML 1.1, which refuses
// DEL and the C1 controls, and reads a raw NEL (U+0085) as a line break
// (the value would come back with a space). U+FFFE and U+FFFF are not
// printable in YAML either.
func yamlUnsafe(r rune) bool {
	return r == 0x7f || (r >= 0x80 && r <= 0x9f) || r == 0xfffe || r == 0xffff
}

// ErrKeyTooLong reports a map key longer than YAML can hold: YAML 1.1
// parsers (sigs.k8s.io/yaml's among them) refuse an implicit key longer
// than 1024 characters. No Kubernetes field, label or annotation key comes
// near it.
var ErrKeyTooLong = errors.New("a map key is longer than the 1024 characters YAML allows a key")

// maxKeyLength is the longest key, JSON-escaped, that Render writes.
const maxKeyLength = 1000

// scan reports whether any key or string of v holds a yamlUnsafe character,
// and ErrKeyTooLong for a key longer than maxKeyLength once JSON-escaped.
func scan(v any) (bool, error) {
	unsafe := false
	switch t := v.(type) {
	case string:
		return strings.ContainsFunc(t, yamlUnsafe), nil
	case map[string]any:
		for k, e := range t {
			// An escape is at most 6 bytes, so only long keys need a look.
			if len(k) > maxKeyLength/6 {
				if q, _ := json.Marshal(k); len(q) > maxKeyLength {
					return false, ErrKeyTooLong
				}
			}
			u, err := scan(e)
			if err != nil {
				return false, err
			}
			unsafe = unsafe || u || strings.ContainsFunc(k, yamlUnsafe)
		}
	case []any:
		for _, e := range t {
			u, err := scan(e)
			if err != nil {
				return false, err
			}
			unsafe = unsafe || u
		}
	}
	return unsafe, nil
}

// escapedJSON writes v as indented JSON (sorted keys, as yaml.Marshal
// sorts them) with every yamlUnsafe character as a \uXXXX escape, which
// YAML's double-quoted strings read back as the character.
func escapedJSON(v any) ([]byte, error) {
	raw, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.Grow(len(raw) + 64)
	for _, r := range string(raw) {
		if yamlUnsafe(r) {
			fmt.Fprintf(&b, `\u%04x`, r)
			continue
		}
		b.WriteRune(r)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
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
