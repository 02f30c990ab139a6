package syncstatus

import (
	"io"
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aigw-console/aigw-console/e2e/harness"
)

// env is the real API server (local control plane) of this package.
var env *harness.Env

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &env)) }

// gitServer serves a fresh bare repository with git's own smart-HTTP server
// (git-http-backend) on 127.0.0.1 and returns its URL.
func gitServer(t testing.TB) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "repo.git")
	for _, args := range [][]string{{"init", "--quiet", "--bare", "--initial-branch=main", dir}, {"-C", dir, "config", "http.receivepack", "true"}} {
		if out, err := exec.Command("git", args...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	backend := &cgi.Handler{Path: "/usr/lib/git-core/git-http-backend", Env: []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1"}, Stderr: io.Discard}
	srv := httptest.NewServer(http.Handler(backend))
	t.Cleanup(srv.Close)
	return srv.URL + "/repo.git"
}
