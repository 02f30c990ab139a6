package gitops

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/sink"
)

// TestConcurrentReplicas runs 20 changes at once through two Sinks with
// their own clones (two replicas) against one remote. All of them write to
// the same folders, so nearly every push races another one and the
// kustomization.yaml of that folder changes in every commit. Every change
// must land, each in its own commit, in a linear history.
func TestConcurrentReplicas(t *testing.T) {
	const n = 20
	g := newGitServer(t)
	// The remote already has a history (and the first commit is not one of
	// the racers).
	seed := newSink(t, g)
	apply(t, seed, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "seed", "seed.example.com")}})

	replicas := []*Sink{newSink(t, g), newSink(t, g)}
	var wg sync.WaitGroup
	errs := make([]error, n)
	results := make([]sink.Result, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx := WithUser(context.Background(), fmt.Sprintf("user-%d", i))
			objs := []*unstructured.Unstructured{backend("team-a", fmt.Sprintf("b-%02d", i), fmt.Sprintf("h%d.example.com", i))}
			results[i], errs[i] = replicas[i%2].Apply(ctx, sink.ChangeSet{Apply: objs, Summary: fmt.Sprintf("change %d", i)})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("change %d: %v", i, err)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	if got := g.commits(t); got != n+1 {
		t.Errorf("first-parent commits = %d, want %d", got, n+1)
	}
	if all := strings.TrimSpace(g.git(t, "rev-list", "--count", "main")); all != fmt.Sprint(n+1) {
		t.Errorf("all commits = %s, want %d (a linear history)", all, n+1)
	}
	if merges := strings.TrimSpace(g.git(t, "rev-list", "--merges", "main")); merges != "" {
		t.Errorf("merge commits: %s", merges)
	}
	files := strings.Join(g.files(t), "\n")
	k := g.show(t, "clusters/default/team-a/backend/kustomization.yaml")
	shas := map[string]bool{}
	for i := range n {
		name := fmt.Sprintf("b-%02d.yaml", i)
		if !strings.Contains(files, "clusters/default/team-a/backend/"+name) {
			t.Errorf("lost: %s", name)
		}
		if !strings.Contains(k, "- "+name+"\n") {
			t.Errorf("the kustomization lost %s", name)
		}
		sha := CommitOf(results[i])
		if shas[sha] {
			t.Errorf("two changes report commit %s", sha)
		}
		shas[sha] = true
		if msg := g.git(t, "log", "-1", "--format=%B", sha); !strings.Contains(msg, fmt.Sprintf("Acting-User: user-%d\n", i)) {
			t.Errorf("commit %s of change %d:\n%s", sha, i, msg)
		}
	}
	g.git(t, "fsck", "--strict", "--no-dangling")
	t.Logf("%d changes from 2 replicas: %d pushes accepted or refused by the server", n, g.srv.Pushes())
}

// TestRaceLostAtTheServer makes another writer push between the sink's
// check of the branch and its update, so that git receive-pack itself
// refuses the compare-and-swap; the sink must fetch, lay its change onto
// the other commit and push again, keeping both changes.
func TestRaceLostAtTheServer(t *testing.T) {
	g := newGitServer(t)
	s := newSink(t, g)
	apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "first", "first.example.com")}})

	wt := g.checkout(t)
	other := func() {
		write(t, wt, "README.md", "written by someone else\n")
		run(t, wt, "git", "add", "README.md")
		run(t, wt, "git", "commit", "--quiet", "-m", "someone else")
		run(t, wt, "git", "push", "--quiet", g.Dir, "HEAD:main")
	}
	g.srv.BeforeNextPush(other)

	res := apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "second", "second.example.com")}})
	if g.srv.BeforePushPending() {
		t.Fatal("the other writer never ran")
	}
	if got := g.srv.Pushes(); got != 3 {
		t.Errorf("receive-pack requests = %d, want 3 (seed, refused, retried)", got)
	}
	if got := g.git(t, "log", "--first-parent", "--format=%s", "main"); got != "aigw-console: change 1 object(s)\nsomeone else\naigw-console: change 1 object(s)\n" {
		t.Errorf("history:\n%s", got)
	}
	if g.show(t, "README.md") != "written by someone else\n" {
		t.Error("the other writer's change was lost")
	}
	if parent := strings.TrimSpace(g.git(t, "rev-parse", CommitOf(res)+"^")); g.git(t, "log", "-1", "--format=%s", parent) != "someone else\n" {
		t.Error("the retried commit is not on top of the other writer's commit")
	}
	if !strings.Contains(strings.Join(g.files(t), " "), "clusters/default/team-a/backend/second.yaml") {
		t.Error("the sink's change was lost")
	}
}
