package gitserver_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aigw-console/aigw-console/e2e/gitserver"
)

func TestCloneCommitPush(t *testing.T) {
	s := gitserver.Start(t, gitserver.Options{User: "console", Password: "p@ss:word"})
	r := s.CreateRepo(t, "fleet.git", map[string]string{"apps/a.yaml": "a: 1\n"})
	first := r.Head(t, "main")
	if len(first) != 40 {
		t.Fatalf("Head = %q, want a SHA", first)
	}
	if got := r.Files(t, "main"); !slices.Equal(got, []string{"apps/a.yaml"}) {
		t.Fatalf("Files = %v", got)
	}

	// A clone over HTTP with the credentials, a commit and a push.
	wt := r.Checkout(t, "main")
	if err := os.WriteFile(filepath.Join(wt, "b.yaml"), []byte("b: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitserver.Git(t, wt, "add", "b.yaml")
	gitserver.Git(t, wt, "commit", "--quiet", "-m", "add b")
	gitserver.Git(t, wt, "push", "--quiet", "origin", "main")
	if got := r.Show(t, "main", "b.yaml"); got != "b: 2\n" {
		t.Errorf("Show = %q", got)
	}
	if got := r.Commits(t, "main"); got != 2 {
		t.Errorf("Commits = %d, want 2", got)
	}
	if s.Pushes() != 1 {
		t.Errorf("Pushes = %d, want 1", s.Pushes())
	}
	if err := r.Linear(t, "main"); err != nil {
		t.Error(err)
	}

	// Without credentials the server refuses.
	if _, err := gitserver.RunGit(t.TempDir(), "clone", "--quiet", r.URL, "x"); err == nil {
		t.Error("clone without credentials succeeded")
	}
	if r.Head(t, "nope") != "" || r.Files(t, "nope") != nil || r.Commits(t, "nope") != 0 {
		t.Error("a missing branch has a head, files or commits")
	}
}

func TestFaults(t *testing.T) {
	s := gitserver.Start(t, gitserver.Options{})
	r := s.CreateRepo(t, "repo.git", nil)
	lsRemote := func() error {
		_, err := gitserver.RunGit(t.TempDir(), "ls-remote", r.URL)
		return err
	}
	if err := lsRemote(); err != nil {
		t.Fatal(err)
	}

	s.SetDown(true)
	if err := lsRemote(); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("ls-remote while down: %v, want a 503", err)
	}
	s.SetDown(false)

	s.SetPushDown(true)
	wt := r.Checkout(t, "main")
	gitserver.Git(t, wt, "commit", "--quiet", "--allow-empty", "-m", "x")
	if _, err := gitserver.RunGit(wt, "push", "--quiet", "origin", "main"); err == nil {
		t.Error("push succeeded while pushes are down")
	}
	s.SetPushDown(false)

	ran := false
	s.BeforeNextPush(func() { ran = true })
	if !s.BeforePushPending() {
		t.Error("BeforePushPending = false before the push")
	}
	gitserver.Git(t, wt, "push", "--quiet", "origin", "main")
	if !ran || s.BeforePushPending() {
		t.Errorf("BeforeNextPush ran=%v pending=%v", ran, s.BeforePushPending())
	}

	addr := s.Addr()
	s.Stop()
	if s.Running() {
		t.Error("Running after Stop")
	}
	if err := lsRemote(); err == nil || !strings.Contains(err.Error(), "connect") {
		t.Errorf("ls-remote after Stop: %v, want connection refused", err)
	}
	if err := s.Restart(); err != nil {
		t.Fatal(err)
	}
	if s.Addr() != addr {
		t.Errorf("Restart moved from %s to %s", addr, s.Addr())
	}
	if err := lsRemote(); err != nil {
		t.Errorf("ls-remote after Restart: %v", err)
	}
}

func TestLinear(t *testing.T) {
	s := gitserver.Start(t, gitserver.Options{})
	r := s.CreateRepo(t, "repo.git", nil)
	r.Commit(t, "feature", "feature", map[string]string{"f": "1"}, nil)
	r.Commit(t, "main", "main", map[string]string{"m": "1"}, nil)
	if err := r.Linear(t, "main"); err != nil {
		t.Fatal(err)
	}
	wt := r.Checkout(t, "main")
	gitserver.Git(t, wt, "fetch", "--quiet", "origin", "feature")
	gitserver.Git(t, wt, "merge", "--quiet", "--no-ff", "-m", "merge", "FETCH_HEAD")
	gitserver.Git(t, wt, "push", "--quiet", "origin", "main")
	if err := r.Linear(t, "main"); err == nil {
		t.Error("Linear accepted a merge commit")
	} else {
		t.Log(err)
	}
	if got := r.Commits(t, "main"); got != 3 { // initial, main, merge
		t.Errorf("first-parent Commits = %d, want 3", got)
	}
}

func TestScanHistory(t *testing.T) {
	const needle = "canary-sk-0123456789abcdef"
	b64 := base64.StdEncoding.EncodeToString([]byte(needle))
	s := gitserver.Start(t, gitserver.Options{})
	clean := s.CreateRepo(t, "clean.git", map[string]string{"a": "nothing here\n"})
	_ = clean

	scan, err := s.ScanHistory(needle, b64)
	if err != nil {
		t.Fatal(err)
	}
	if scan.Repos != 1 || scan.Objects != 3 || scan.Err() != nil { // blob, tree, commit
		t.Fatalf("clean scan = %+v", scan)
	}

	// The needle (base64) lands on a branch that is then deleted: the
	// objects are unreachable but still in the repository, and packed.
	dirty := s.CreateRepo(t, "dirty.git", nil)
	dirty.Commit(t, "leak", "leak", map[string]string{"secret.yaml": "apiKey: " + b64 + "\n"}, nil)
	dirty.Git(t, "branch", "-D", "leak")
	dirty.Git(t, "repack", "-a", "-q")
	scan, err = s.ScanHistory(needle, b64)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scan: %d repositories, %d objects, %d bytes, found %v", scan.Repos, scan.Objects, scan.Bytes, scan.Found)
	if scan.Repos != 2 || len(scan.Found) != 1 || scan.Found[0].Needle != 1 || scan.Found[0].Type != "blob" ||
		scan.Found[0].Repo != dirty.Dir {
		t.Fatalf("scan = %+v, want the base64 needle in one blob of dirty.git", scan)
	}
	if err := scan.Err(); err == nil || strings.Contains(err.Error(), needle) || strings.Contains(err.Error(), b64) {
		t.Errorf("Err() = %v: want an error that does not echo the needle", err)
	}
}
