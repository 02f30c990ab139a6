package gitops

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/sink"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestRenderGolden renders each testdata/*.in.yaml into a fresh tree and
// compares every file of that tree (objects and kustomizations) with
// testdata/*.out.yaml. Run with -update to rewrite the goldens.
func TestRenderGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/*.in.yaml")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			got := renderTree(t, "clusters/default", readObjects(t, in))
			out := strings.TrimSuffix(in, ".in.yaml") + ".out.yaml"
			if *update {
				if err := os.WriteFile(out, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), got); diff != "" {
				t.Errorf("rendered tree differs from %s (-want +got):\n%s", out, diff)
			}
		})
	}
}

// renderTree lays objects into an empty in-memory tree (go-git memory
// storage, the same code the Sink runs on its clone) and prints every file.
func renderTree(t testing.TB, root string, objs []*unstructured.Unstructured) string {
	t.Helper()
	store := memory.NewStorage()
	tr := newTree(store, plumbing.ZeroHash)
	l := newLayout(root, tr, nil)
	for _, o := range objs {
		p, err := ObjectPath(root, sink.RefOf(o))
		if err != nil {
			t.Fatal(err)
		}
		data, err := Render(o)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := l.apply(staged{ref: sink.RefOf(o), path: p, data: data, view: view(o, false)}, false); err != nil {
			t.Fatal(err)
		}
	}
	if err := l.kustomize(); err != nil {
		t.Fatal(err)
	}
	h, err := tr.write()
	if err != nil {
		t.Fatal(err)
	}
	return dumpTree(t, store, h)
}

func dumpTree(t testing.TB, store *memory.Storage, h plumbing.Hash) string {
	t.Helper()
	root, err := object.GetTree(store, h)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	if err := root.Files().ForEach(func(f *object.File) error {
		c, err := f.Contents()
		files[f.Name] = c
		return err
	}); err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "# %s\n%s---\n", n, files[n])
	}
	return b.String()
}

func TestRenderIsDeterministic(t *testing.T) {
	a := backend("team-a", "openai", "api.openai.com")
	// The same intent built in another order, with server-set fields.
	b := &unstructured.Unstructured{Object: map[string]any{
		"status": map[string]any{"conditions": []any{}},
		"spec":   a.Object["spec"],
		"metadata": map[string]any{
			"labels":          map[string]any{"app.kubernetes.io/managed-by": "aigw-console"},
			"namespace":       "team-a",
			"resourceVersion": "12",
			"uid":             "x",
			"name":            "openai",
			"managedFields":   []any{map[string]any{"manager": "kubectl"}},
		},
		"kind":       "Backend",
		"apiVersion": "gateway.envoyproxy.io/v1alpha1",
	}}
	ra, err := Render(a)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		rb, err := Render(b)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(string(ra), string(rb)); diff != "" {
			t.Fatalf("two renderings of one intent differ (-want +got):\n%s", diff)
		}
	}
	if _, ok := b.Object["status"]; !ok {
		t.Error("Render changed its input")
	}
}

func TestRenderRefusesObjectsWithoutIdentity(t *testing.T) {
	for name, o := range map[string]*unstructured.Unstructured{
		"no kind": {Object: map[string]any{"apiVersion": "v1", "metadata": map[string]any{"name": "x"}}},
		"no name": {Object: map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"generateName": "x-"}}},
	} {
		if _, err := Render(o); err == nil {
			t.Errorf("%s: Render accepted it", name)
		}
	}
}

// TestRenderKeepsControlCharacters renders values sigs.k8s.io/yaml cannot
// carry (it refused DEL and C1, and wrote NEL raw, which YAML reads as a
// space) and checks that the file reads back as the same value.
func TestRenderKeepsControlCharacters(t *testing.T) {
	for _, v := range []string{"a\x7fb", "before\u0085after", "\u0080\u009f", "\uffff", "plain"} {
		o := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap",
			"metadata": map[string]any{"name": "x", "namespace": "team-a", "annotations": map[string]any{"note": v}},
			"data":     map[string]any{v: v},
		}}
		out, err := Render(o)
		if err != nil {
			t.Fatalf("%q: %v", v, err)
		}
		var back map[string]any
		if err := yaml.Unmarshal(out, &back); err != nil {
			t.Fatalf("%q: the file does not parse: %v\n%s", v, err, out)
		}
		if diff := cmp.Diff(map[string]any{v: v}, back["data"]); diff != "" {
			t.Errorf("%q read back differently (-want +got):\n%s\n%s", v, diff, out)
		}
	}
}

// TestRenderRefusesKeysTooLongForYAML: YAML 1.1 parsers refuse a key of
// more than 1024 characters, so Render refuses it rather than write a file
// that does not parse (found by FuzzRender, with a DEL in the key).
func TestRenderRefusesKeysTooLongForYAML(t *testing.T) {
	for _, k := range []string{strings.Repeat("k", 1100), strings.Repeat("k", 1100) + "\x7f", strings.Repeat("<", 200)} {
		o := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}, "data": map[string]any{k: "v"},
		}}
		if out, err := Render(o); !errors.Is(err, ErrKeyTooLong) {
			t.Errorf("key of %d bytes: Render = %d bytes, %v; want ErrKeyTooLong", len(k), len(out), err)
		}
	}
}
