package gitops

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/aigw-console/aigw-console/app/sink"
)

func TestApply(t *testing.T) {
	ctx := WithPolicyResult(WithUser(context.Background(), "alice@example.com"), "passed (3 rules)")
	provider := []*unstructured.Unstructured{
		backend("team-a", "openai", "api.openai.com"),
		aiBackend("team-a", "openai", "OpenAI"),
	}

	t.Run("a create makes one commit with the files and their kustomizations", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		res, err := s.Apply(ctx, sink.ChangeSet{Apply: provider, Summary: "create provider team-a/openai"})
		if err != nil {
			t.Fatal(err)
		}
		if got := g.commits(t); got != 1 {
			t.Fatalf("commits = %d, want 1", got)
		}
		head := g.head(t)
		want := []sink.Entry{
			withRV(sink.NewEntry(sink.RefOf(provider[0]), sink.Created), head),
			withRV(sink.NewEntry(sink.RefOf(provider[1]), sink.Created), head),
		}
		if diff := cmp.Diff(want, res.Entries); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		if CommitOf(res) != head {
			t.Errorf("CommitOf = %q, want the remote head %q", CommitOf(res), head)
		}
		wantFiles := []string{
			"clusters/default/kustomization.yaml",
			"clusters/default/team-a/aiservicebackend/kustomization.yaml",
			"clusters/default/team-a/aiservicebackend/openai.yaml",
			"clusters/default/team-a/backend/kustomization.yaml",
			"clusters/default/team-a/backend/openai.yaml",
			"clusters/default/team-a/kustomization.yaml",
		}
		if diff := cmp.Diff(wantFiles, g.files(t)); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
		rendered, _ := Render(provider[0])
		if got := g.show(t, "clusters/default/team-a/backend/openai.yaml"); got != string(rendered) {
			t.Errorf("the committed file is not the rendering:\n%s", got)
		}
		if got := g.show(t, "clusters/default/team-a/kustomization.yaml"); !strings.Contains(got, "- aiservicebackend\n- backend\n") {
			t.Errorf("namespace kustomization:\n%s", got)
		}

		author := g.git(t, "log", "-1", "--format=%an <%ae>|%cn <%ce>")
		if strings.TrimSpace(author) != "aigw-console <aigw-console@localhost>|aigw-console <aigw-console@localhost>" {
			t.Errorf("author|committer = %q", author)
		}
		msg := g.git(t, "log", "-1", "--format=%B")
		for _, line := range []string{
			"create provider team-a/openai\n",
			"created Backend/team-a/openai (clusters/default/team-a/backend/openai.yaml)\n",
			"created AIServiceBackend/team-a/openai (clusters/default/team-a/aiservicebackend/openai.yaml)\n",
		} {
			if !strings.Contains(msg, line) {
				t.Errorf("commit message lacks %q:\n%s", line, msg)
			}
		}
		// git itself must read the trailers.
		trailers := g.git(t, "log", "-1", "--format=%(trailers:only,unfold)")
		if diff := cmp.Diff("Policy: passed (3 rules)\nActing-User: alice@example.com\n", strings.TrimRight(trailers, "\n")+"\n"); diff != "" {
			t.Errorf("trailers (-want +got):\n%s", diff)
		}
	})

	t.Run("the same change again makes no commit", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		apply(t, s, sink.ChangeSet{Apply: provider})
		head := g.head(t)
		res := apply(t, s, sink.ChangeSet{Apply: provider})
		if got := g.commits(t); got != 1 {
			t.Fatalf("commits = %d, want 1", got)
		}
		for _, e := range res.Entries {
			if e.Action != sink.Unchanged || e.ResourceVersion != VersionPrefix+head {
				t.Errorf("entry %s: %s %s; want unchanged at git:%s", e.Ref, e.Action, e.ResourceVersion, head)
			}
		}
		// A second replica sees the same: nothing to do.
		if res := apply(t, newSink(t, g), sink.ChangeSet{Apply: provider}); res.Entries[0].Action != sink.Unchanged {
			t.Errorf("second replica: %s", res.Entries[0].Action)
		}
		if g.srv.Pushes() != 1 {
			t.Errorf("pushes = %d, want 1", g.srv.Pushes())
		}
	})

	t.Run("an update configures the object and a dry run shows the patch first", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		apply(t, s, sink.ChangeSet{Apply: provider})
		changed := backend("team-a", "openai", "eu.api.openai.com")
		dry := apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{changed}, DryRun: true})
		want := sink.Result{DryRun: true, Entries: []sink.Entry{sink.NewEntry(sink.RefOf(changed), sink.Configured)}}
		want.Entries[0].Changes = []sink.Change{{Op: "replace", Path: "/spec/endpoints/0/fqdn/hostname", Value: "eu.api.openai.com"}}
		if diff := cmp.Diff(want, dry); diff != "" {
			t.Errorf("dry run (-want +got):\n%s", diff)
		}
		if got := g.commits(t); got != 1 {
			t.Fatalf("the dry run committed: %d commits", got)
		}
		res := apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{changed}})
		if res.Entries[0].Action != sink.Configured || g.commits(t) != 2 {
			t.Errorf("update: %s, %d commits", res.Entries[0].Action, g.commits(t))
		}
		if got := g.show(t, "clusters/default/team-a/backend/openai.yaml"); !strings.Contains(got, "eu.api.openai.com") {
			t.Errorf("file not updated:\n%s", got)
		}
	})

	t.Run("an empty change set makes no commit, even on an empty remote", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		res := apply(t, s, sink.ChangeSet{Delete: []sink.Ref{sink.RefOf(provider[0])}})
		if len(res.Entries) != 0 || g.head(t) != "" {
			t.Errorf("result %+v, head %q", res, g.head(t))
		}
	})

	t.Run("a dry run of a create commits nothing", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		res := apply(t, s, sink.ChangeSet{Apply: provider, DryRun: true})
		if !res.DryRun || res.Entries[0].Action != sink.Created || res.Entries[0].ResourceVersion != "" {
			t.Errorf("dry run: %+v", res)
		}
		if g.head(t) != "" || g.srv.Pushes() != 0 {
			t.Error("the dry run pushed")
		}
	})

	t.Run("a delete removes the files and updates the kustomizations", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		other := backend("team-b", "mistral", "api.mistral.ai")
		apply(t, s, sink.ChangeSet{Apply: append(slices.Clone(provider), other)})

		res := apply(t, s, sink.ChangeSet{Delete: []sink.Ref{sink.RefOf(provider[1])}, Summary: "delete"})
		if diff := cmp.Diff([]sink.Entry{withRV(sink.NewEntry(sink.RefOf(provider[1]), sink.Deleted), g.head(t))}, res.Entries); diff != "" {
			t.Errorf("entries (-want +got):\n%s", diff)
		}
		if got := g.show(t, "clusters/default/team-a/kustomization.yaml"); strings.Contains(got, "aiservicebackend") {
			t.Errorf("the namespace still lists the removed folder:\n%s", got)
		}
		if slices.Contains(g.files(t), "clusters/default/team-a/aiservicebackend/kustomization.yaml") {
			t.Error("the emptied folder kept its kustomization")
		}

		// Deleting the last object of a namespace removes the namespace folder.
		apply(t, s, sink.ChangeSet{Delete: []sink.Ref{sink.RefOf(provider[0])}})
		for _, f := range g.files(t) {
			if strings.HasPrefix(f, "clusters/default/team-a/") {
				t.Errorf("left behind: %s", f)
			}
		}
		if got := g.show(t, "clusters/default/kustomization.yaml"); strings.Contains(got, "team-a") || !strings.Contains(got, "- team-b") {
			t.Errorf("root kustomization:\n%s", got)
		}

		// Deleting everything keeps an empty root kustomization, so Flux
		// prunes instead of failing on a missing path.
		apply(t, s, sink.ChangeSet{Delete: []sink.Ref{sink.RefOf(other)}})
		if diff := cmp.Diff([]string{"clusters/default/kustomization.yaml"}, g.files(t)); diff != "" {
			t.Errorf("files (-want +got):\n%s", diff)
		}
		if got := g.show(t, "clusters/default/kustomization.yaml"); !strings.Contains(got, "resources: []") {
			t.Errorf("root kustomization:\n%s", got)
		}

		// Deleting what is not there is a no-op.
		before := g.commits(t)
		if res := apply(t, s, sink.ChangeSet{Delete: []sink.Ref{sink.RefOf(other)}}); len(res.Entries) != 0 || g.commits(t) != before {
			t.Errorf("a delete of nothing: %+v, %d commits", res, g.commits(t))
		}
	})

	t.Run("files outside the root and fields people add to a kustomization are kept", func(t *testing.T) {
		g := newGitServer(t)
		wt := g.checkoutEmpty(t)
		mkdir(t, wt, "clusters/default")
		write(t, wt, "README.md", "hello\n")
		write(t, wt, "clusters/default/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\ncommonLabels:\n  env: prod\nresources: []\n")
		run(t, wt, "git", "add", "-A")
		run(t, wt, "git", "commit", "--quiet", "-m", "by hand")
		run(t, wt, "git", "push", "--quiet", "origin", "main")

		apply(t, newSink(t, g), sink.ChangeSet{Apply: provider})
		if g.show(t, "README.md") != "hello\n" {
			t.Error("README.md changed")
		}
		if got := g.show(t, "clusters/default/kustomization.yaml"); !strings.Contains(got, "commonLabels:\n  env: prod\n") || !strings.Contains(got, "- team-a\n") {
			t.Errorf("root kustomization:\n%s", got)
		}
		if got := g.git(t, "rev-list", "--count", "main"); strings.TrimSpace(got) != "2" {
			t.Errorf("commits = %s, want 2 (the sink builds on the existing history)", got)
		}
	})

	t.Run("the tree builds with kustomize as Flux runs it", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		apply(t, s, sink.ChangeSet{Apply: append(slices.Clone(provider), readObjects(t, "testdata/tree.in.yaml")...)})
		wt := g.checkout(t)
		k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		resMap, err := k.Run(filesys.MakeFsOnDisk(), filepath.Join(wt, "clusters/default"))
		if err != nil {
			t.Fatalf("kustomize build: %v", err)
		}
		var got []string
		for _, r := range resMap.Resources() {
			got = append(got, r.GetKind()+"/"+r.GetNamespace()+"/"+r.GetName())
		}
		slices.Sort(got)
		want := []string{
			"AIGatewayRoute/team-b/chat", "AIServiceBackend/team-a/openai", "Backend/team-a/mistral",
			"Backend/team-a/openai", "Backend/team-b/anthropic", "Backend/team-b/openai",
			"Namespace//team-b", "Secret/team-a/placeholder",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("kustomize build (-want +got):\n%s", diff)
		}
	})

	t.Run("a git precondition fails once the object moved on", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		first := CommitOf(apply(t, s, sink.ChangeSet{Apply: provider}))
		apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "openai", "eu.api.openai.com")}})
		pin := []sink.Precondition{{Ref: sink.RefOf(provider[0]), ResourceVersion: VersionPrefix + first}}
		_, err := s.Apply(context.Background(), sink.ChangeSet{Apply: provider[:1], Preconditions: pin})
		var pe *sink.PreconditionError
		if !errors.As(err, &pe) || pe.Have != VersionPrefix+g.head(t) {
			t.Fatalf("Apply = %v; want a PreconditionError at the head", err)
		}
		// Pinned to the object's own commit, an unrelated later commit does
		// not matter; a cluster resourceVersion is not checked in Git.
		apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-b", "x", "x.example.com")}})
		pin = []sink.Precondition{
			{Ref: sink.RefOf(provider[1]), ResourceVersion: VersionPrefix + first},
			{Ref: sink.RefOf(provider[0]), ResourceVersion: "4711"},
		}
		apply(t, s, sink.ChangeSet{Apply: provider[1:], Preconditions: pin})
	})

	t.Run("an object of another group with the same kind and name is not overwritten", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		apply(t, s, sink.ChangeSet{Apply: provider[:1]})
		impostor := backend("team-a", "openai", "evil.example.com")
		impostor.SetAPIVersion("example.com/v1")
		_, err := s.Apply(context.Background(), sink.ChangeSet{Apply: []*unstructured.Unstructured{impostor}})
		var pe *PathError
		if !errors.As(err, &pe) {
			t.Fatalf("Apply = %v; want a PathError", err)
		}
	})
}

func TestRemoteDown(t *testing.T) {
	objs := []*unstructured.Unstructured{backend("team-a", "openai", "api.openai.com")}
	next := []*unstructured.Unstructured{backend("team-a", "openai", "eu.api.openai.com")}

	for _, tc := range []struct {
		name string
		down func(g *gitServer)
		up   func(g *gitServer)
	}{
		{"the remote answers 503", func(g *gitServer) { g.srv.SetDown(true) }, func(g *gitServer) { g.srv.SetDown(false) }},
		{"fetch works but the push fails", func(g *gitServer) { g.srv.SetPushDown(true) }, func(g *gitServer) { g.srv.SetPushDown(false) }},
	} {
		t.Run(tc.name+" is ErrUnavailable and nothing is half-written", func(t *testing.T) {
			g := newGitServer(t)
			s := newSink(t, g)
			apply(t, s, sink.ChangeSet{Apply: objs})
			head := g.head(t)
			tracking := localHead(t, s)

			tc.down(g)
			_, err := s.Apply(context.Background(), sink.ChangeSet{Apply: next})
			if !errors.Is(err, ErrUnavailable) {
				t.Fatalf("Apply = %v; want ErrUnavailable", err)
			}
			if g.head(t) != head {
				t.Error("the remote moved")
			}
			if got := localHead(t, s); got != tracking {
				t.Errorf("the local clone moved from %s to %s", tracking, got)
			}
			tc.up(g)
			res := apply(t, s, sink.ChangeSet{Apply: next})
			if res.Entries[0].Action != sink.Configured || g.commits(t) != 2 {
				t.Errorf("after recovery: %s, %d commits", res.Entries[0].Action, g.commits(t))
			}
		})
	}

	t.Run("a closed server is ErrUnavailable", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		g.srv.Stop()
		_, err := s.Apply(context.Background(), sink.ChangeSet{Apply: objs})
		if !errors.Is(err, ErrUnavailable) {
			t.Fatalf("Apply = %v; want ErrUnavailable", err)
		}
		if strings.Contains(err.Error(), "\n") {
			t.Errorf("multi-line error: %q", err)
		}
	})
}

func TestAuth(t *testing.T) {
	g := startGitServer(t, "console", "s3cret-token")
	file := filepath.Join(newDir(t, "creds"), "password")
	if err := os.WriteFile(file, []byte("s3cret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := newSink(t, g, func(o *Options) { o.Auth = Auth{Username: "console", PasswordFile: file} })
	apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "openai", "api.openai.com")}})
	if g.commits(t) != 1 {
		t.Fatal("no commit with basic auth")
	}

	_, err := New(context.Background(), Options{URL: g.URL, CacheDir: newDir(t, "cache"), Auth: Auth{Username: "console", Password: "wrong"}})
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("New with a wrong password = %v; want ErrUnavailable", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("the error shows the password: %v", err)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:tok@git.example.com/org/repo.git": "https://git.example.com/org/repo.git",
		"https://tok@git.example.com/org/repo.git":      "https://git.example.com/org/repo.git",
		"ssh://git:pw@git.example.com/org/repo.git":     "ssh://git@git.example.com/org/repo.git",
		"git@github.com:org/repo.git":                   "git@github.com:org/repo.git",
		"https://git.example.com/org/repo.git":          "https://git.example.com/org/repo.git",
	} {
		if got := redact(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func withRV(e sink.Entry, sha string) sink.Entry {
	e.ResourceVersion = VersionPrefix + sha
	return e
}

// localHead returns where the replica's clone thinks the branch is.
func localHead(t testing.TB, s *Sink) string {
	t.Helper()
	ref, err := s.repo.git.Storer.Reference(s.repo.tracking)
	if err != nil {
		t.Fatal(err)
	}
	return ref.Hash().String()
}
