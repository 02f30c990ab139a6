package gitops

import (
	"bytes"
	"encoding/json"
	"errors"
	"path"
	"reflect"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/sink"
)

// FuzzRender renders objects built from a fuzzed JSON document plus fuzzed
// name, label, annotation and spec strings, and checks that rendering is
// deterministic, that the YAML reads back as the same object, and that no
// server-set field or status survives. Seeds: testdata/fuzz/FuzzRender.
func FuzzRender(f *testing.F) {
	f.Fuzz(func(t *testing.T, doc []byte, name, label, value string) {
		o := fuzzObject(doc, name, label, value)
		if o == nil {
			return
		}
		in := o.DeepCopy()
		out, err := Render(o)
		if err != nil {
			// Render refuses only an object without identity or with a key
			// too long for YAML, and names it.
			if o.GetAPIVersion() != "" && o.GetKind() != "" && o.GetName() != "" && !errors.Is(err, ErrKeyTooLong) {
				t.Fatalf("Render refused an object with apiVersion, kind and name: %v", err)
			}
			if !strings.Contains(err.Error(), o.GetKind()+"/") {
				t.Fatalf("Render error does not name the object: %v", err)
			}
			return
		}
		if !reflect.DeepEqual(in.Object, o.Object) {
			t.Fatal("Render changed its input")
		}
		again, err := Render(o.DeepCopy())
		if err != nil || !bytes.Equal(out, again) {
			t.Fatalf("Render is not deterministic: %v\n%s\n---\n%s", err, out, again)
		}
		if !utf8.Valid(out) {
			t.Fatalf("Render wrote invalid UTF-8:\n%q", out)
		}
		var back map[string]any
		if err := yaml.Unmarshal(out, &back); err != nil {
			t.Fatalf("the rendered YAML does not parse: %v\n%s", err, out)
		}
		if got, want := jsonValue(t, back), jsonValue(t, clean(o).Object); !reflect.DeepEqual(got, want) {
			t.Fatalf("the rendered YAML reads back as another object:\n got %#v\nwant %#v\nyaml:\n%s", got, want, out)
		}
		// Flux's kustomize-controller and Argo CD read the files with
		// yaml.v3 (kyaml); they must see the same object.
		var back3 map[string]any
		if err := yamlv3.Unmarshal(out, &back3); err != nil {
			t.Fatalf("the rendered YAML does not parse with yaml.v3: %v\n%s", err, out)
		}
		if got, want := jsonValue(t, back3), jsonValue(t, clean(o).Object); !reflect.DeepEqual(got, want) {
			t.Fatalf("the rendered YAML reads back as another object with yaml.v3:\n got %#v\nwant %#v\nyaml:\n%s", got, want, out)
		}
		if _, ok := back["status"]; ok {
			t.Fatalf("status survived:\n%s", out)
		}
		md, _ := back["metadata"].(map[string]any)
		for _, f := range append(append([]string(nil), serverFields...), "generateName") {
			if _, ok := md[f]; ok {
				t.Fatalf("metadata.%s survived:\n%s", f, out)
			}
		}
		if ann, ok := md["annotations"].(map[string]any); ok {
			if _, ok := ann[lastApplied]; ok {
				t.Fatalf("the last-applied annotation survived:\n%s", out)
			}
		}
	})
}

// fuzzObject builds the object FuzzRender renders: doc when it is a JSON
// object (numbers kept as json.Number, as the API decodes them), otherwise
// a Backend; then name, a label value, an annotation and a spec field set
// from the fuzzed strings, and some server-set fields to be dropped.
func fuzzObject(doc []byte, name, label, value string) *unstructured.Unstructured {
	content := map[string]any{}
	if len(doc) > 0 {
		// A number out of float64's range never gets this far: the API
		// decodes every object into its Go type first, which refuses it.
		var check any
		var typ *json.UnmarshalTypeError
		if err := json.Unmarshal(doc, &check); errors.As(err, &typ) {
			return nil
		}
		dec := json.NewDecoder(bytes.NewReader(doc))
		dec.UseNumber()
		if err := dec.Decode(&content); err != nil || content == nil {
			content = map[string]any{}
		}
	}
	o := &unstructured.Unstructured{Object: content}
	if _, ok := content["apiVersion"].(string); !ok {
		o.SetAPIVersion("gateway.envoyproxy.io/v1alpha1")
	}
	if _, ok := content["kind"].(string); !ok {
		o.SetKind("Backend")
	}
	if _, ok := content["metadata"].(map[string]any); !ok {
		content["metadata"] = map[string]any{}
	}
	md := content["metadata"].(map[string]any)
	md["name"] = name
	md["resourceVersion"] = "42"
	md["uid"] = "0b9c-uid"
	md["managedFields"] = []any{map[string]any{"manager": "kubectl"}}
	md["annotations"] = map[string]any{"note": value, lastApplied: "{}"}
	md["labels"] = map[string]any{"fuzz": label}
	content["status"] = map[string]any{"phase": value}
	spec, ok := content["spec"].(map[string]any)
	if !ok {
		spec = map[string]any{}
		content["spec"] = spec
	}
	spec["fuzzed"] = value
	spec[value] = label
	return o
}

// jsonValue normalises an object through JSON, so that int64, float64 and
// json.Number compare by value.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	return out
}

// FuzzObjectPath builds repository paths from fuzzed roots, namespaces,
// kinds and names. What CleanRoot and ObjectPath accept is a clean relative
// path below the root with no traversal, no control characters and no
// component a file system cannot hold; what they refuse is a *PathError.
// Seeds: testdata/fuzz/FuzzObjectPath.
func FuzzObjectPath(f *testing.F) {
	f.Fuzz(func(t *testing.T, root, ns, kind, name string) {
		r, err := CleanRoot(root)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("CleanRoot(%q) error %T %v, want a *PathError", root, err, err)
			}
			return
		}
		checkRepoPath(t, r)
		if r != strings.Trim(root, "/") {
			t.Fatalf("CleanRoot(%q) = %q: changed more than the outer slashes", root, r)
		}
		ref := sink.Ref{GVK: schema.GroupVersionKind{Group: "example.io", Version: "v1", Kind: kind}, Namespace: ns, Name: name}
		p, err := ObjectPath(r, ref)
		if err != nil {
			var pe *PathError
			if !errors.As(err, &pe) {
				t.Fatalf("ObjectPath(%q, %v) error %T %v, want a *PathError", r, ref, err, err)
			}
			return
		}
		checkRepoPath(t, p)
		if !strings.HasPrefix(p, r+"/") || !strings.HasSuffix(p, ".yaml") {
			t.Fatalf("ObjectPath(%q, %v) = %q: not a .yaml file below the root", r, ref, p)
		}
		rest := strings.Split(strings.TrimPrefix(p, r+"/"), "/")
		scope := ns
		if ns == "" {
			scope = ClusterScope
		}
		if len(rest) != 3 || rest[0] != scope || rest[1] != strings.ToLower(kind) || rest[2] != name+".yaml" {
			t.Fatalf("ObjectPath(%q, %v) = %q: want <root>/%s/%s/%s.yaml", r, ref, p, scope, strings.ToLower(kind), name)
		}
	})
}

// checkRepoPath fails unless p is a clean, relative, slash-separated path
// whose components are neither ".", ".." nor ".git" (Git refuses such a
// path in a checkout, in any case), hold no control character or
// backslash, and fit in a file name (255 bytes).
func checkRepoPath(t *testing.T, p string) {
	t.Helper()
	if p == "" || path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "../") {
		t.Fatalf("path %q is not clean and relative", p)
	}
	if !utf8.ValidString(p) {
		t.Fatalf("path %q is not UTF-8", p)
	}
	for _, c := range strings.Split(p, "/") {
		if c == "" || c == "." || c == ".." || strings.EqualFold(c, ".git") {
			t.Fatalf("path %q has the component %q", p, c)
		}
		if len(c) > 255 {
			t.Fatalf("path %q has a component of %d bytes; file systems hold 255", p, len(c))
		}
		for _, r := range c {
			if unicode.IsControl(r) || r == '\\' || !unicode.IsPrint(r) {
				t.Fatalf("path %q has the character %U", p, r)
			}
		}
	}
}
