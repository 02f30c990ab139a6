package gitops

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/aigw-console/aigw-console/app/sink"
)

func TestObjectPath(t *testing.T) {
	backendGVK := schema.GroupVersionKind{Group: "gateway.envoyproxy.io", Version: "v1alpha1", Kind: "Backend"}
	ref := func(ns, name string) sink.Ref { return sink.Ref{GVK: backendGVK, Namespace: ns, Name: name} }
	tests := []struct {
		name string
		ref  sink.Ref
		want string // "" means refused
	}{
		{"a namespaced object goes to namespace/kind/name.yaml", ref("team-a", "openai"), "clusters/default/team-a/backend/openai.yaml"},
		{"a dotted name is a valid subdomain", ref("team-a", "api.openai.com"), "clusters/default/team-a/backend/api.openai.com.yaml"},
		{"a cluster-scoped object goes under _cluster", sink.Ref{GVK: schema.GroupVersionKind{Version: "v1", Kind: "Namespace"}, Name: "team-a"}, "clusters/default/_cluster/namespace/team-a.yaml"},
		{"a parent-folder name is refused", ref("team-a", ".."), ""},
		{"a traversal in the name is refused", ref("team-a", "../../etc/passwd"), ""},
		{"a traversal in the namespace is refused", ref("..", "openai"), ""},
		{"a dot-dot namespace inside a path is refused", ref("a/../..", "openai"), ""},
		{"an absolute name is refused", ref("team-a", "/etc/passwd"), ""},
		{"a slash in the name is refused", ref("team-a", "a/b"), ""},
		{"a backslash in the name is refused", ref("team-a", `a\b`), ""},
		{"a NUL in the name is refused", ref("team-a", "a\x00b"), ""},
		{"a newline in the name is refused", ref("team-a", "a\nb"), ""},
		{"an upper-case name is refused", ref("team-a", "OpenAI"), ""},
		{"a name starting with a dot is refused", ref("team-a", ".hidden"), ""},
		{"an empty name is refused", ref("team-a", ""), ""},
		{"a dotted namespace is refused (not a label)", ref("team.a", "openai"), ""},
		{"a kind with a slash is refused", sink.Ref{GVK: schema.GroupVersionKind{Kind: "a/b"}, Namespace: "team-a", Name: "x"}, ""},
		{"a kind with dots is refused", sink.Ref{GVK: schema.GroupVersionKind{Kind: ".."}, Namespace: "team-a", Name: "x"}, ""},
		{"an empty kind is refused", sink.Ref{Namespace: "team-a", Name: "x"}, ""},
		{"a name longer than 253 characters is refused", ref("team-a", string(make([]byte, 254))), ""},
		{"a 250-character name fits in a file name", ref("team-a", strings.Repeat("a", 250)), "clusters/default/team-a/backend/" + strings.Repeat("a", 250) + ".yaml"},
		{"a 251-character name is refused: its file name would exceed 255 bytes", ref("team-a", strings.Repeat("a", 251)), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ObjectPath("clusters/default", tt.ref)
			if tt.want == "" {
				var pe *PathError
				if !errors.As(err, &pe) {
					t.Fatalf("ObjectPath = %q, %v; want a PathError", got, err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("ObjectPath = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestCleanRoot(t *testing.T) {
	tests := []struct{ root, want string }{
		{"clusters/default", "clusters/default"},
		{"clusters/default/", "clusters/default"},
		{"apps", "apps"},
		{"", ""},
		{"/", ""},
		{"/etc", ""},
		{"../outside", ""},
		{"clusters/../..", ""},
		{"clusters/./default", ""},
		{"clusters//default", ""},
		{`clusters\default`, ""},
		{"clusters/de fault", ""},
		{".git/hooks", ""},
		{"clusters/.GIT", ""},
	}
	for _, tt := range tests {
		got, err := CleanRoot(tt.root)
		if tt.want == "" {
			if err == nil {
				t.Errorf("CleanRoot(%q) = %q; want refused", tt.root, got)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanRoot(%q) = %q, %v; want %q", tt.root, got, err, tt.want)
		}
	}
}

// TestSymlinksInTheRepositoryAreRefused commits symlinks (and a file where
// a folder belongs) with the git CLI at every component of a target path,
// then checks that the sink refuses to write through them and pushes
// nothing.
func TestSymlinksInTheRepositoryAreRefused(t *testing.T) {
	tests := []struct {
		name   string
		setup  func(wt string) // makes the trap in a work tree of main
		reason string
	}{
		{"the root is a symlink", func(wt string) {
			mkdir(t, wt, "elsewhere")
			symlink(t, wt, "../elsewhere", "clusters/default")
		}, "symlink"},
		{"a namespace folder is a symlink", func(wt string) {
			mkdir(t, wt, "clusters/default")
			symlink(t, wt, "/etc", "clusters/default/team-a")
		}, "symlink"},
		{"a kind folder is a symlink", func(wt string) {
			mkdir(t, wt, "clusters/default/team-a")
			symlink(t, wt, "../../../..", "clusters/default/team-a/backend")
		}, "symlink"},
		{"the object file is a symlink", func(wt string) {
			mkdir(t, wt, "clusters/default/team-a/backend")
			symlink(t, wt, "/etc/passwd", "clusters/default/team-a/backend/openai.yaml")
		}, "symlink"},
		{"a namespace folder is a file", func(wt string) {
			mkdir(t, wt, "clusters/default")
			write(t, wt, "clusters/default/team-a", "not a folder\n")
		}, "file where a folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := newGitServer(t)
			wt := g.checkoutEmpty(t)
			tt.setup(wt)
			run(t, wt, "git", "add", "-A")
			run(t, wt, "git", "commit", "--quiet", "-m", "trap")
			run(t, wt, "git", "push", "--quiet", "origin", "main")
			head := g.head(t)

			s := newSink(t, g)
			for _, cs := range []sink.ChangeSet{
				{Apply: []*unstructured.Unstructured{backend("team-a", "openai", "api.openai.com")}},
				{Delete: []sink.Ref{sink.RefOf(backend("team-a", "openai", ""))}},
			} {
				_, err := s.Apply(context.Background(), cs)
				var pe *PathError
				if !errors.As(err, &pe) || !strings.Contains(pe.Reason, tt.reason) {
					t.Fatalf("Apply = %v; want a PathError that says %q", err, tt.reason)
				}
				t.Log(err)
			}
			if got := g.head(t); got != head {
				t.Errorf("the remote moved from %s to %s", head, got)
			}
		})
	}
}

// checkoutEmpty makes a work tree for the empty repository.
func (g *gitServer) checkoutEmpty(t testing.TB) string {
	t.Helper()
	dir := newDir(t, "checkout-"+t.Name())
	run(t, dir, "git", "clone", "--quiet", g.URL, "wt")
	wt := filepath.Join(dir, "wt")
	run(t, wt, "git", "checkout", "--quiet", "-B", "main")
	return wt
}

func mkdir(t testing.TB, wt, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(wt, p), 0o755); err != nil {
		t.Fatal(err)
	}
	write(t, wt, filepath.Join(p, ".keep"), "")
}

func symlink(t testing.TB, wt, target, p string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(wt, p)), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(wt, p)); err != nil {
		t.Fatal(err)
	}
}

func write(t testing.TB, wt, p, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(wt, p), []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}
