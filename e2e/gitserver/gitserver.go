package gitserver

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cgi"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Backend is git's smart-HTTP CGI program (Debian package git).
const Backend = "/usr/lib/git-core/git-http-backend"

// Options configure Start. The zero value serves a new temporary folder
// without authentication.
type Options struct {
	// Root holds the bare repositories (GIT_PROJECT_ROOT). Default:
	// t.TempDir().
	Root string
	// User and Password, when User is set, are required with basic auth on
	// every request.
	User, Password string
}

// Server is a running Git smart-HTTP server on 127.0.0.1.
type Server struct {
	// Root is the folder of the bare repositories.
	Root string
	// URL is the server's base URL, http://127.0.0.1:PORT (no credentials).
	URL string

	user, password string
	addr           string
	handler        http.Handler

	mu  sync.Mutex
	srv *http.Server

	down, downPush atomic.Bool
	pushes         atomic.Int64
	beforePush     atomic.Pointer[func()]
}

// Available reports whether git-http-backend is installed.
func Available() error {
	if _, err := os.Stat(Backend); err != nil {
		return fmt.Errorf("gitserver: %s is missing (apt-get install git): %w", Backend, err)
	}
	return nil
}

// Start starts a server on a free loopback port and stops it when the test
// ends. It fails the test if git-http-backend is not installed.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	if opts.Root == "" {
		opts.Root = t.TempDir()
	}
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// New starts a server without a testing.TB (for a TestMain or a tool);
// Stop it when done. Options.Root is required.
func New(opts Options) (*Server, error) {
	if opts.Root == "" {
		return nil, errors.New("gitserver: Options.Root is required")
	}
	if err := Available(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Root, 0o700); err != nil {
		return nil, err
	}
	s := &Server{Root: opts.Root, user: opts.User, password: opts.Password}
	backend := &cgi.Handler{
		Path: Backend,
		Env:  []string{"GIT_PROJECT_ROOT=" + opts.Root, "GIT_HTTP_EXPORT_ALL=1"},
		// git prints "cannot lock ref" for every refused push race; tests
		// count outcomes instead.
		Stderr: io.Discard,
	}
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		push := strings.HasSuffix(r.URL.Path, "/git-receive-pack") || r.URL.Query().Get("service") == "git-receive-pack"
		if s.down.Load() || (push && s.downPush.Load()) {
			http.Error(w, "down for the test", http.StatusServiceUnavailable)
			return
		}
		if s.user != "" {
			u, p, ok := r.BasicAuth()
			if !ok || subtle.ConstantTimeCompare([]byte(u), []byte(s.user)) != 1 ||
				subtle.ConstantTimeCompare([]byte(p), []byte(s.password)) != 1 {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				http.Error(w, "unauthorized", http.StatusUnauthorized)
				return
			}
		}
		if push && r.Method == http.MethodPost {
			s.pushes.Add(1)
			if f := s.beforePush.Swap(nil); f != nil {
				(*f)()
			}
		}
		backend.ServeHTTP(w, r)
	})
	if err := s.listen("127.0.0.1:0"); err != nil {
		return nil, err
	}
	s.URL = "http://" + s.addr
	return s, nil
}

func (s *Server) listen(addr string) error {
	var ln net.Listener
	var err error
	// The port of a stopped server can take a moment to be free again.
	for i := 0; i < 50; i++ {
		if ln, err = net.Listen("tcp", addr); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return fmt.Errorf("gitserver: listen %s: %w", addr, err)
	}
	s.addr = ln.Addr().String()
	srv := &http.Server{Handler: s.handler, ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Stop closes the listener and every open connection: clients get
// "connection refused" until Restart. Stopping twice is harmless.
func (s *Server) Stop() {
	s.mu.Lock()
	srv := s.srv
	s.srv = nil
	s.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Restart listens again on the same port after Stop (no-op if running).
func (s *Server) Restart() error {
	s.mu.Lock()
	running := s.srv != nil
	s.mu.Unlock()
	if running {
		return nil
	}
	return s.listen(s.addr)
}

// Running reports whether the server listens.
func (s *Server) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.srv != nil
}

// SetDown makes the server answer 503 to every request (true) or serve
// again (false). The port stays open.
func (s *Server) SetDown(down bool) { s.down.Store(down) }

// SetPushDown makes the server answer 503 to pushes only: fetches work.
func (s *Server) SetPushDown(down bool) { s.downPush.Store(down) }

// Pushes counts the receive-pack requests (pushes) the server received,
// accepted or not.
func (s *Server) Pushes() int64 { return s.pushes.Load() }

// BeforeNextPush runs f once, just before the next push request is served.
func (s *Server) BeforeNextPush(f func()) { s.beforePush.Store(&f) }

// BeforePushPending reports whether the function of BeforeNextPush has not
// run yet.
func (s *Server) BeforePushPending() bool { return s.beforePush.Load() != nil }

// URLWithAuth returns the clone URL of repository name with the server's
// credentials in it (or without, if the server has none).
func (s *Server) URLWithAuth(name string) string {
	if s.user == "" {
		return s.URL + "/" + name
	}
	return "http://" + url.UserPassword(s.user, s.password).String() + "@" + s.addr + "/" + name
}

// ScanHistory scans every repository under the server's Root; see the
// package function ScanHistory.
func (s *Server) ScanHistory(needles ...string) (Scan, error) {
	return ScanHistory(s.Root, needles...)
}

// Git runs the git CLI in dir with a fixed author and committer and returns
// its standard output; it fails the test on error.
func Git(t testing.TB, dir string, args ...string) string {
	t.Helper()
	out, err := RunGit(dir, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// RunGit is Git without a testing.TB.
func RunGit(dir string, args ...string) (string, error) {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(),
		"GIT_AUTHOR_NAME=test", "GIT_AUTHOR_EMAIL=test@example.com",
		"GIT_COMMITTER_NAME=test", "GIT_COMMITTER_EMAIL=test@example.com",
		"GIT_TERMINAL_PROMPT=0", "GIT_CONFIG_NOSYSTEM=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("git %s (in %s): %w: %s", strings.Join(args, " "), dir, err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}
