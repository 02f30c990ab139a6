package gitops

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/go-git/go-git/v5/plumbing"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/sink"
)

// TestHistory follows one branch on a real Git server through commits of
// two replicas, a merged pull request made with the git CLI and a delete,
// and checks that the incremental answers equal a cold walk's.
func TestHistory(t *testing.T) {
	ctx := context.Background()
	g := newGitServer(t)
	a := newSink(t, g)
	b := newSink(t, g)
	h, err := a.History(HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const (
		bePath = "clusters/default/team-a/backend/openai.yaml"
		aiPath = "clusters/default/team-a/aiservicebackend/openai.yaml"
	)

	s0, err := h.Read(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if !s0.Head.IsZero() || len(s0.Files) != 0 {
		t.Fatalf("empty remote: head %s, %d files", s0.Head, len(s0.Files))
	}

	c1 := commitOf(t, apply(t, a, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "openai", "api.openai.com"), aiBackend("team-a", "openai", "OpenAI")}}))
	s1, err := h.Read(ctx, false) // the sink's own commit is in the clone already
	if err != nil {
		t.Fatal(err)
	}
	if s1.Head != c1 || len(s1.Files) != 2 {
		t.Fatalf("after the first commit: head %s (want %s), files %v", s1.Head, c1, keys(s1.Files))
	}
	for _, p := range []string{bePath, aiPath} {
		if f := s1.Files[p]; f.Commit != c1 || f.Namespace != "team-a" || f.Name != "openai" || f.Truncated {
			t.Errorf("%s: %+v, want commit %s", p, f, c1)
		}
	}
	if f := s1.Files[aiPath]; f.Kind != "aiservicebackend" {
		t.Errorf("kind folder %q", f.Kind)
	}
	if again, _ := h.Read(ctx, false); again != s1 {
		t.Error("an unchanged head did not return the same snapshot")
	}

	// Another replica changes the Backend; this one sees it after a fetch.
	c2 := commitOf(t, apply(t, b, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "openai", "eu.api.openai.com")}}))
	if s, _ := h.Read(ctx, false); s.Head != c1 {
		t.Fatalf("without a fetch the head moved to %s", s.Head)
	}
	s2, err := h.Read(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if s2.Head != c2 || s2.Files[bePath].Commit != c2 || s2.Files[aiPath].Commit != c1 {
		t.Fatalf("after the other replica's commit: head %s, backend at %s, aiservicebackend at %s (want %s, %s, %s)",
			s2.Head, s2.Files[bePath].Commit, s2.Files[aiPath].Commit, c2, c2, c1)
	}
	if !s2.Includes(c2, c1) || !s2.Includes(c1, c1) || s2.Includes(c1, c2) || s2.Includes(plumbing.NewHash(strings.Repeat("ab", 20)), c1) {
		t.Error("Includes does not follow the chain")
	}

	// A pull request merged with --no-ff by a person: the file's desired
	// commit is the merge commit, the one on the branch's first-parent chain.
	wt := g.checkout(t)
	run(t, wt, "git", "checkout", "--quiet", "-b", "change")
	file := filepath.Join(wt, aiPath)
	body, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte(strings.Replace(string(body), "OpenAI", "AzureOpenAI", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	gitc := []string{"-c", "user.name=Dana", "-c", "user.email=dana@example.com"}
	run(t, wt, "git", append(gitc, "commit", "--quiet", "-am", "switch schema")...)
	run(t, wt, "git", "checkout", "--quiet", "main")
	run(t, wt, "git", append(gitc, "merge", "--quiet", "--no-ff", "-m", "Merge pull request #1", "change")...)
	run(t, wt, "git", "push", "--quiet", "origin", "main")
	merge := plumbing.NewHash(g.head(t))
	s3, err := h.Read(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	if s3.Files[aiPath].Commit != merge || s3.Files[bePath].Commit != c2 {
		t.Fatalf("after the merge: aiservicebackend at %s (want the merge %s), backend at %s", s3.Files[aiPath].Commit, merge, s3.Files[bePath].Commit)
	}
	desired, err := h.Object(s3.Files[aiPath].Blob)
	if err != nil {
		t.Fatal(err)
	}
	if got, _, _ := unstructured.NestedString(desired.Object, "spec", "schema", "name"); got != "AzureOpenAI" {
		t.Errorf("desired schema %q", got)
	}

	// Delete the Backend: it leaves Files for Deleted, at the delete commit.
	c4 := commitOf(t, apply(t, a, sink.ChangeSet{Delete: []sink.Ref{sink.RefOf(backend("team-a", "openai", ""))}}))
	s4, err := h.Read(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := s4.Files[bePath]; ok {
		t.Fatal("the deleted file is still listed")
	}
	if d, ok := s4.Deleted[bePath]; !ok || d.Commit != c4 {
		t.Fatalf("deleted: %+v, want commit %s", d, c4)
	}

	// A cold walk over the same clone answers the same.
	cold, err := a.History(HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s5, err := cold.Read(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if s5.Head != s4.Head || !sameFiles(s5.Files, s4.Files) || !sameFiles(s5.Deleted, s4.Deleted) || s5.Truncated {
		t.Fatalf("cold walk differs:\n%+v\n%+v\nincremental:\n%+v\n%+v", s5.Files, s5.Deleted, s4.Files, s4.Deleted)
	}

	// A walk bounded at one commit (the delete) cannot tell when the
	// AIServiceBackend last changed: it is flagged, not guessed.
	short, err := a.History(HistoryOptions{Depth: 1})
	if err != nil {
		t.Fatal(err)
	}
	s6, err := short.Read(ctx, false)
	if err != nil {
		t.Fatal(err)
	}
	if f := s6.Files[aiPath]; !f.Truncated || !f.Commit.IsZero() || !s6.Truncated {
		t.Fatalf("depth 1: %+v, truncated %v", f, s6.Truncated)
	}
	if d := s6.Deleted[bePath]; d.Commit != c4 {
		t.Fatalf("depth 1 misses the delete in the head commit: %+v", d)
	}
}

// TestHistorySecretKeysOnly: a SOPS-encrypted Secret reads back with its
// key names and empty values, and without the sops metadata.
func TestHistorySecretKeysOnly(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	g := newGitServer(t)
	s := newSink(t, g, func(o *Options) { o.Recipients = []string{id.Recipient().String()} })
	const canary = "sk-history-canary-4711"
	apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{secret("team-a", "openai-key", canary)}})
	h, err := s.History(HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	snap, err := h.Read(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	f, ok := snap.Files["clusters/default/team-a/secret/openai-key.yaml"]
	if !ok {
		t.Fatalf("files: %v", keys(snap.Files))
	}
	if raw := g.show(t, f.Path); !strings.Contains(raw, "ENC[AES256_GCM,") {
		t.Fatalf("the committed Secret is not SOPS-encrypted:\n%s", raw)
	}
	obj, err := h.Object(f.Blob)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := obj.Object["sops"]; ok {
		t.Error("sops metadata kept")
	}
	data, _, _ := unstructured.NestedMap(obj.Object, "data")
	if len(data) != 1 || data["apiKey"] != "" {
		t.Errorf("data %v, want the key apiKey with an empty value", data)
	}
}

func commitOf(t testing.TB, res sink.Result) plumbing.Hash {
	t.Helper()
	sha := CommitOf(res)
	if sha == "" {
		t.Fatalf("no commit in %+v", res)
	}
	return plumbing.NewHash(sha)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sameFiles(a, b map[string]File) bool {
	if len(a) != len(b) {
		return false
	}
	for p, fa := range a {
		fb, ok := b[p]
		if !ok || fa.Commit != fb.Commit || fa.Blob != fb.Blob || fa.Truncated != fb.Truncated || !fa.When.Equal(fb.When) {
			return false
		}
	}
	return true
}
