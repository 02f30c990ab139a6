package gitserver

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// Repo is one bare repository of a Server.
type Repo struct {
	// Name is the repository's path under the server, e.g. "fleet.git".
	Name string
	// Dir is the bare repository on disk.
	Dir string
	// URL is its clone URL, without credentials.
	URL string

	server *Server
}

// NewRepo creates an empty bare repository that accepts pushes
// (http.receivepack true) with main as its initial branch.
func (s *Server) NewRepo(t testing.TB, name string) *Repo {
	t.Helper()
	r, err := s.newRepo(name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func (s *Server) newRepo(name string) (*Repo, error) {
	if name == "" || strings.Contains(name, "..") || filepath.IsAbs(name) {
		return nil, fmt.Errorf("gitserver: bad repository name %q", name)
	}
	r := &Repo{Name: name, Dir: filepath.Join(s.Root, name), URL: s.URL + "/" + name, server: s}
	if _, err := RunGit(s.Root, "init", "--quiet", "--bare", "--initial-branch=main", r.Dir); err != nil {
		return nil, err
	}
	if _, err := RunGit(r.Dir, "config", "http.receivepack", "true"); err != nil {
		return nil, err
	}
	return r, nil
}

// CreateRepo creates a bare repository with one commit on main holding
// files (path → content). With no files the commit holds a README.md.
func (s *Server) CreateRepo(t testing.TB, name string, files map[string]string) *Repo {
	t.Helper()
	r := s.NewRepo(t, name)
	if len(files) == 0 {
		files = map[string]string{"README.md": "# " + strings.TrimSuffix(name, ".git") + "\n"}
	}
	r.Commit(t, "main", "Initial commit", files, nil)
	return r
}

// URLWithAuth is the clone URL with the server's credentials in it.
func (r *Repo) URLWithAuth() string { return r.server.URLWithAuth(r.Name) }

// Commit writes files (path → content), removes the paths in remove and
// commits the result on branch directly in the bare repository (no HTTP),
// as another writer would. It returns the new commit's SHA. The branch is
// created (from main, or as a root commit) if it does not exist.
func (r *Repo) Commit(t testing.TB, branch, message string, files map[string]string, remove []string) string {
	t.Helper()
	wt := filepath.Join(t.TempDir(), "wt")
	Git(t, filepath.Dir(wt), "clone", "--quiet", r.Dir, wt)
	if Git(t, wt, "branch", "-r", "--list", "origin/"+branch) != "" {
		Git(t, wt, "checkout", "--quiet", branch)
	} else if r.Head(t, "main") != "" {
		Git(t, wt, "checkout", "--quiet", "-b", branch, "origin/main")
	} else {
		Git(t, wt, "checkout", "--quiet", "--orphan", branch)
	}
	paths := make([]string, 0, len(files))
	for p := range files {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		f := filepath.Join(wt, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(f), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(f, []byte(files[p]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range remove {
		Git(t, wt, "rm", "--quiet", "-r", "--", p)
	}
	Git(t, wt, "add", "-A")
	Git(t, wt, "commit", "--quiet", "--allow-empty", "-m", message)
	Git(t, wt, "push", "--quiet", "origin", "HEAD:refs/heads/"+branch)
	return strings.TrimSpace(Git(t, wt, "rev-parse", "HEAD"))
}

// Git runs git in the bare repository.
func (r *Repo) Git(t testing.TB, args ...string) string {
	t.Helper()
	return Git(t, r.Dir, args...)
}

// Head returns the SHA of branch, or "" if the branch does not exist.
func (r *Repo) Head(t testing.TB, branch string) string {
	t.Helper()
	out, err := RunGit(r.Dir, "rev-parse", "--verify", "--quiet", "refs/heads/"+branch)
	if err != nil {
		return ""
	}
	return strings.TrimSpace(out)
}

// Files lists the files at the head of branch (nil if it does not exist).
func (r *Repo) Files(t testing.TB, branch string) []string {
	t.Helper()
	if r.Head(t, branch) == "" {
		return nil
	}
	return strings.Fields(r.Git(t, "ls-tree", "-r", "--name-only", "refs/heads/"+branch))
}

// Show returns the content of path at the head of branch.
func (r *Repo) Show(t testing.TB, branch, path string) string {
	t.Helper()
	return r.Git(t, "show", "refs/heads/"+branch+":"+path)
}

// Commits counts the first-parent history of branch (0 if it does not
// exist).
func (r *Repo) Commits(t testing.TB, branch string) int {
	t.Helper()
	if r.Head(t, branch) == "" {
		return 0
	}
	return len(strings.Fields(r.Git(t, "rev-list", "--first-parent", "refs/heads/"+branch)))
}

// Linear returns an error unless the whole history of branch is a single
// chain of commits: no merge commits, every commit reachable by first
// parent.
func (r *Repo) Linear(t testing.TB, branch string) error {
	t.Helper()
	if r.Head(t, branch) == "" {
		return fmt.Errorf("branch %s does not exist", branch)
	}
	if merges := strings.Fields(r.Git(t, "rev-list", "--merges", "refs/heads/"+branch)); len(merges) > 0 {
		return fmt.Errorf("branch %s has %d merge commit(s), e.g. %s", branch, len(merges), merges[0])
	}
	all := len(strings.Fields(r.Git(t, "rev-list", "refs/heads/"+branch)))
	if first := r.Commits(t, branch); all != first {
		return fmt.Errorf("branch %s: %d commits, %d on the first-parent chain", branch, all, first)
	}
	return nil
}

// Checkout clones branch over HTTP (with the server's credentials) into a
// new folder and returns the work tree.
func (r *Repo) Checkout(t testing.TB, branch string) string {
	t.Helper()
	dir := t.TempDir()
	Git(t, dir, "clone", "--quiet", "--branch", branch, r.URLWithAuth(), "wt")
	return filepath.Join(dir, "wt")
}
