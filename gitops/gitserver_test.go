package gitops

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// gitHTTPBackend is git's own smart-HTTP server (Debian's git package).
const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

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
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		fmt.Fprintf(os.Stderr, "gitops tests need a real Git server: %s is missing (apt-get install git)\n", gitHTTPBackend)
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

// gitServer is a real Git server: git-http-backend behind Go's CGI
// handler, serving one bare repository over smart HTTP on 127.0.0.1.
type gitServer struct {
	URL  string // clone URL of the repository
	Dir  string // the bare repository
	srv  *httptest.Server
	down atomic.Bool // answer 503 to everything
	// downPush answers 503 to pushes only.
	downPush atomic.Bool
	// user and password, when set, are required (basic auth).
	user, password string
	// pushes counts receive-pack requests.
	pushes atomic.Int64
	// beforePush, when set, runs before a receive-pack request is served
	// (once: it is cleared when taken).
	beforePush atomic.Pointer[func()]
}

func newGitServer(t testing.TB) *gitServer {
	t.Helper()
	return startGitServer(t, "", "")
}

func startGitServer(t testing.TB, user, password string) *gitServer {
	t.Helper()
	root := newDir(t, "remote-"+t.Name())
	g := &gitServer{Dir: filepath.Join(root, "repo.git"), user: user, password: password}
	run(t, root, "git", "init", "--quiet", "--bare", "--initial-branch=main", g.Dir)
	run(t, g.Dir, "git", "config", "http.receivepack", "true")
	backend := &cgi.Handler{
		Path: gitHTTPBackend,
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"},
		// git prints "cannot lock ref" for every refused race; the tests
		// count outcomes instead.
		Stderr: io.Discard,
	}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		push := strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
		if g.down.Load() || (push && g.downPush.Load()) {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		if g.user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != g.user || p != g.password {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		if push && r.Method == http.MethodPost {
			g.pushes.Add(1)
			if f := g.beforePush.Swap(nil); f != nil {
				(*f)()
			}
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(g.srv.Close)
	g.URL = g.srv.URL + "/repo.git"
	return g
}

// git runs git in the bare repository and returns its output.
func (g *gitServer) git(t testing.TB, args ...string) string {
	t.Helper()
	return run(t, g.Dir, "git", args...)
}

// head returns the SHA of main ("" when the branch does not exist).
func (g *gitServer) head(t testing.TB) string {
	t.Helper()
	out, err := exec.Command("git", "-C", g.Dir, "rev-parse", "--verify", "--quiet", "refs/heads/main").Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// files lists the files of main.
func (g *gitServer) files(t testing.TB) []string {
	t.Helper()
	if g.head(t) == "" {
		return nil
	}
	return strings.Fields(g.git(t, "ls-tree", "-r", "--name-only", "main"))
}

// show returns a file of main.
func (g *gitServer) show(t testing.TB, path string) string {
	t.Helper()
	return g.git(t, "show", "main:"+path)
}

// commits counts the first-parent history of main.
func (g *gitServer) commits(t testing.TB) int {
	t.Helper()
	if g.head(t) == "" {
		return 0
	}
	return len(strings.Fields(g.git(t, "rev-list", "--first-parent", "main")))
}

// checkout clones main with the git CLI into a new work tree.
func (g *gitServer) checkout(t testing.TB) string {
	t.Helper()
	dir := newDir(t, "checkout-"+t.Name())
	run(t, dir, "git", "clone", "--quiet", "--branch", "main", g.URL, "wt")
	return filepath.Join(dir, "wt")
}

func run(t testing.TB, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v: %s", name, strings.Join(args, " "), err, stderr.String())
	}
	return string(out)
}

// scanForCanary reads every object of every Git repository under dir
// (reachable or not: failed attempts leave objects behind too) and fails
// if one holds the canary, in clear or base64.
func scanForCanary(dir string) (repos, objects int, err error) {
	needles := [][]byte{[]byte(canary), []byte(base64.StdEncoding.EncodeToString([]byte(canary)))}
	var mu sync.Mutex
	walkErr := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		if _, err := os.Stat(filepath.Join(p, "objects")); err != nil {
			return nil
		}
		if _, err := os.Stat(filepath.Join(p, "HEAD")); err != nil {
			return nil
		}
		out, err := exec.Command("git", "-C", p, "cat-file", "--batch-all-objects", "--batch").Output()
		if err != nil {
			return fmt.Errorf("%s: git cat-file: %w", p, err)
		}
		mu.Lock()
		defer mu.Unlock()
		repos++
		objects += bytes.Count(out, []byte("\n")) // a rough count, for the report
		for _, n := range needles {
			if bytes.Contains(out, n) {
				return fmt.Errorf("%s: a Secret value is in a Git object", p)
			}
		}
		return filepath.SkipDir
	})
	return repos, objects, walkErr
}
