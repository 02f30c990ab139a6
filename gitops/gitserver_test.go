package gitops

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/aigw-console/aigw-console/e2e/gitserver"
)

var (
	// testRoot holds every bare repository and every local clone the tests
	// of this package make, so that TestMain can scan them all.
	testRoot string
	// canary is the Secret value the tests commit; it must never appear in
	// any Git object, in clear or base64.
	canary = func() string {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		return "canary-sk-" + hex.EncodeToString(b)
	}()
	dirSeq atomic.Int64
)

func TestMain(m *testing.M) {
	flag.Parse()
	if err := gitserver.Available(); err != nil {
		fmt.Fprintln(os.Stderr, "gitops tests need a real Git server:", err)
		os.Exit(1)
	}
	dir, err := os.MkdirTemp("", "gitops-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	testRoot = dir
	code := m.Run()
	if code == 0 {
		repos, objects, err := scanForCanary(dir)
		if err != nil {
			fmt.Fprintln(os.Stderr, "FAIL: history scan:", err)
			code = 1
		} else if testing.Verbose() {
			fmt.Printf("history scan: %d repositories, %d objects, no Secret value found\n", repos, objects)
		}
	}
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// newDir returns a fresh folder under testRoot.
func newDir(t testing.TB, name string) string {
	t.Helper()
	d := filepath.Join(testRoot, fmt.Sprintf("%s-%d", strings.NewReplacer("/", "_", " ", "_").Replace(name), dirSeq.Add(1)))
	if err := os.MkdirAll(d, 0o700); err != nil {
		t.Fatal(err)
	}
	return d
}

// gitServer is one empty bare repository on a real Git server
// (e2e/gitserver: git-http-backend over smart HTTP on 127.0.0.1), under
// testRoot so that TestMain scans it.
type gitServer struct {
	*gitserver.Repo
	srv *gitserver.Server
}

func newGitServer(t testing.TB) *gitServer {
	t.Helper()
	return startGitServer(t, "", "")
}

func startGitServer(t testing.TB, user, password string) *gitServer {
	t.Helper()
	srv := gitserver.Start(t, gitserver.Options{Root: newDir(t, "remote-"+t.Name()), User: user, Password: password})
	return &gitServer{Repo: srv.NewRepo(t, "repo.git"), srv: srv}
}

// git runs git in the bare repository and returns its output.
func (g *gitServer) git(t testing.TB, args ...string) string { t.Helper(); return g.Git(t, args...) }

// head returns the SHA of main ("" when the branch does not exist).
func (g *gitServer) head(t testing.TB) string { t.Helper(); return g.Head(t, "main") }

// files lists the files of main.
func (g *gitServer) files(t testing.TB) []string { t.Helper(); return g.Files(t, "main") }

// show returns a file of main.
func (g *gitServer) show(t testing.TB, path string) string {
	t.Helper()
	return g.Show(t, "main", path)
}

// commits counts the first-parent history of main.
func (g *gitServer) commits(t testing.TB) int { t.Helper(); return g.Commits(t, "main") }

// checkout clones main with the git CLI into a new work tree under testRoot.
func (g *gitServer) checkout(t testing.TB) string {
	t.Helper()
	dir := newDir(t, "checkout-"+t.Name())
	run(t, dir, "git", "clone", "--quiet", "--branch", "main", g.URLWithAuth(), "wt")
	return filepath.Join(dir, "wt")
}

func run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	if name != "git" {
		t.Fatalf("run: only git is supported, not %s", name)
	}
	return gitserver.Git(t, dir, args...)
}

// scanForCanary reads every object of every Git repository under dir
// (reachable or not: failed attempts leave objects behind too) and fails
// if one holds the canary, in clear or base64.
func scanForCanary(dir string) (repos, objects int, err error) {
	scan, err := gitserver.ScanHistory(dir, canary, base64.StdEncoding.EncodeToString([]byte(canary)))
	if err == nil {
		err = scan.Err()
	}
	return scan.Repos, scan.Objects, err
}
