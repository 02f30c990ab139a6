package gitea

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/aigw-console/aigw-console/e2e/localtool"
)

const (
	// Version is the Gitea release e2e/tools/gitea builds.
	Version = "v1.26.0"
	// Binary is the binary's name in the bin folder.
	Binary = "gitea"
	// MakeTarget builds it.
	MakeTarget = "gitea"

	module   = "code.gitea.io/gitea"
	toolsDir = "e2e/tools/gitea"
)

// Options configure Start.
type Options struct {
	// BinDir holds the gitea binary. Default: localtool.BinDir().
	BinDir string
	// Dir receives app.ini, the sqlite database, the repositories and the
	// log. Default: a temporary folder that Stop removes.
	Dir string
	// AdminUser and AdminPassword of the admin user Start creates.
	// Default: "aigw-admin" and a random password.
	AdminUser, AdminPassword string
	// StartTimeout bounds migrate + user creation + the wait for the API.
	// Default: 2m.
	StartTimeout time.Duration
}

// Gitea is a running Gitea.
type Gitea struct {
	// URL is the base URL, http://127.0.0.1:PORT (no trailing slash).
	URL string
	// AdminUser and AdminPassword are the admin's credentials.
	AdminUser, AdminPassword string

	dir       string
	removeDir bool
	proc      *localtool.Process
	client    *http.Client
}

// Auth authenticates an API call: basic auth (User, Password) or a token.
type Auth struct {
	User, Password string
	Token          string
}

var appIni = template.Must(template.New("app.ini").Parse(`I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true
APP_NAME = aigw-console e2e
RUN_MODE = prod
WORK_PATH = {{.Dir}}

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = {{.Port}}
DOMAIN = 127.0.0.1
ROOT_URL = http://127.0.0.1:{{.Port}}/
STATIC_ROOT_PATH = {{.Static}}
APP_DATA_PATH = {{.Dir}}/data
OFFLINE_MODE = true
DISABLE_SSH = true
START_SSH_SERVER = false
LFS_START_SERVER = false

[database]
DB_TYPE = sqlite3
PATH = {{.Dir}}/data/gitea.db

[repository]
ROOT = {{.Dir}}/repositories
DEFAULT_BRANCH = main

[security]
INSTALL_LOCK = true
SECRET_KEY = {{.Secret}}

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
DEFAULT_KEEP_EMAIL_PRIVATE = true

[oauth2]
ENABLED = false

[mailer]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[actions]
ENABLED = false

[cron]
ENABLED = false

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = {{.Dir}}/log
`))

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Start runs Gitea and returns once its API answers. On error it stops
// what it started.
func Start(ctx context.Context, opts Options) (_ *Gitea, err error) {
	if opts.BinDir == "" {
		if opts.BinDir, err = localtool.BinDir(); err != nil {
			return nil, err
		}
	}
	if missing := localtool.Missing(opts.BinDir, Binary); len(missing) > 0 {
		return nil, fmt.Errorf("gitea: not in %s (build it with `make %s`)", opts.BinDir, MakeTarget)
	}
	if opts.AdminUser == "" {
		opts.AdminUser = "aigw-admin"
	}
	if opts.AdminPassword == "" {
		opts.AdminPassword = "pw-" + randomHex(12)
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()

	g := &Gitea{AdminUser: opts.AdminUser, AdminPassword: opts.AdminPassword, dir: opts.Dir, client: &http.Client{Timeout: 30 * time.Second}}
	if g.dir == "" {
		if g.dir, err = os.MkdirTemp("", "aigw-gitea-"); err != nil {
			return nil, err
		}
		g.removeDir = true
	}
	defer func() {
		if err != nil {
			_ = g.Stop()
		}
	}()
	for _, d := range []string{"data", "repositories", "log", "custom"} {
		if err := os.MkdirAll(filepath.Join(g.dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	static, err := localtool.ModuleDir(ctx, toolsDir, module)
	if err != nil {
		return nil, err
	}
	port, err := localtool.FreePort()
	if err != nil {
		return nil, err
	}
	g.URL = "http://127.0.0.1:" + strconv.Itoa(port)
	var ini bytes.Buffer
	if err := appIni.Execute(&ini, map[string]any{"Dir": g.dir, "Port": port, "Static": static, "Secret": randomHex(24)}); err != nil {
		return nil, err
	}
	config := filepath.Join(g.dir, "app.ini")
	if err := os.WriteFile(config, ini.Bytes(), 0o600); err != nil {
		return nil, err
	}
	bin := filepath.Join(opts.BinDir, Binary)
	env := []string{"GITEA_WORK_DIR=" + g.dir, "GITEA_CUSTOM=" + filepath.Join(g.dir, "custom"), "HOME=" + g.dir}
	logFile := filepath.Join(g.dir, "gitea.log")
	if err := localtool.Run(ctx, bin, []string{"--config", config, "migrate"}, env, g.dir, logFile); err != nil {
		return nil, fmt.Errorf("gitea: %w", err)
	}
	if err := localtool.Run(ctx, bin, []string{"--config", config, "admin", "user", "create", "--admin",
		"--username", opts.AdminUser, "--password", opts.AdminPassword,
		"--email", opts.AdminUser + "@example.com", "--must-change-password=false"}, env, g.dir, logFile); err != nil {
		return nil, fmt.Errorf("gitea: %w", err)
	}
	if g.proc, err = localtool.Start(bin, []string{"--config", config, "web"}, env, g.dir, logFile); err != nil {
		return nil, err
	}
	for {
		var v struct{ Version string }
		if err := g.Do(ctx, Auth{}, http.MethodGet, "/api/v1/version", nil, &v); err == nil && v.Version != "" {
			break
		}
		select {
		case <-g.proc.Exited():
			return nil, fmt.Errorf("gitea: exited during start: %s", g.proc.LogTail(20))
		case <-ctx.Done():
			return nil, fmt.Errorf("gitea: API not ready: %w: %s", ctx.Err(), g.proc.LogTail(20))
		case <-time.After(200 * time.Millisecond):
		}
	}
	return g, nil
}

// Dir is Gitea's state folder (app.ini, data, repositories, gitea.log).
func (g *Gitea) Dir() string { return g.dir }

// PID is the gitea web process's ID.
func (g *Gitea) PID() int { return g.proc.PID() }

// Log returns the last n lines of Gitea's log.
func (g *Gitea) Log(n int) string { return g.proc.LogTail(n) }

// Stop kills Gitea's process group and removes a temporary Dir.
func (g *Gitea) Stop() error {
	g.proc.Stop()
	if g.removeDir {
		return os.RemoveAll(g.dir)
	}
	return nil
}

// Admin is basic auth as the admin user.
func (g *Gitea) Admin() Auth { return Auth{User: g.AdminUser, Password: g.AdminPassword} }

// APIError is a non-2xx answer of the API.
type APIError struct {
	Method, Path string
	Status       int
	Body         string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("gitea: %s %s: %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// Do sends an API request (path starts with /api/v1/) with in as the JSON
// body (nil for none) and decodes a JSON answer into out (nil to discard).
// A non-2xx answer is an *APIError.
func (g *Gitea) Do(ctx context.Context, auth Auth, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, g.URL+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	switch {
	case auth.Token != "":
		req.Header.Set("Authorization", "token "+auth.Token)
	case auth.User != "":
		req.SetBasicAuth(auth.User, auth.Password)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return &APIError{Method: method, Path: path, Status: resp.StatusCode, Body: strings.TrimSpace(string(b))}
	}
	if out != nil && len(b) > 0 {
		if err := json.Unmarshal(b, out); err != nil {
			return fmt.Errorf("gitea: %s %s: decode: %w", method, path, err)
		}
	}
	return nil
}

// DefaultScopes are the token scopes a GitOps writer needs: push, open and
// merge pull requests, read the user.
var DefaultScopes = []string{"write:repository", "write:issue", "read:user"}

// CreateToken creates an access token named name for user (basic auth
// with password) with scopes (default DefaultScopes) and returns it.
func (g *Gitea) CreateToken(ctx context.Context, user, password, name string, scopes ...string) (string, error) {
	if len(scopes) == 0 {
		scopes = DefaultScopes
	}
	var tok struct {
		SHA1 string `json:"sha1"`
	}
	err := g.Do(ctx, Auth{User: user, Password: password}, http.MethodPost,
		"/api/v1/users/"+url.PathEscape(user)+"/tokens", map[string]any{"name": name, "scopes": scopes}, &tok)
	if err != nil {
		return "", err
	}
	if tok.SHA1 == "" {
		return "", fmt.Errorf("gitea: token %s: empty answer", name)
	}
	return tok.SHA1, nil
}

// Repository is the part of Gitea's repository answer the tests use.
type Repository struct {
	ID            int64  `json:"id"`
	Name          string `json:"name"`
	FullName      string `json:"full_name"`
	CloneURL      string `json:"clone_url"`
	HTMLURL       string `json:"html_url"`
	DefaultBranch string `json:"default_branch"`
	Empty         bool   `json:"empty"`
}

// CreateRepo creates a repository owned by the caller of auth (a token
// needs the write:user scope for it; basic auth as the admin works). With
// autoInit it has an initial commit (a README) on main; without, it is
// empty (push a first commit to it).
func (g *Gitea) CreateRepo(ctx context.Context, auth Auth, name string, autoInit bool) (Repository, error) {
	var r Repository
	err := g.Do(ctx, auth, http.MethodPost, "/api/v1/user/repos", map[string]any{
		"name": name, "auto_init": autoInit, "default_branch": "main", "private": false, "readme": "Default",
	}, &r)
	return r, err
}

// CloneURL is the HTTP clone URL of owner/repo, without credentials.
func (g *Gitea) CloneURL(owner, repo string) string {
	return g.URL + "/" + url.PathEscape(owner) + "/" + url.PathEscape(repo) + ".git"
}

// CloneURLWithAuth is the clone URL with user and secret (a password or a
// token) in it.
func (g *Gitea) CloneURLWithAuth(owner, repo, user, secret string) string {
	u, _ := url.Parse(g.CloneURL(owner, repo))
	u.User = url.UserPassword(user, secret)
	return u.String()
}

// Branch is a pull request's head or base.
type Branch struct {
	Ref string `json:"ref"`
	SHA string `json:"sha"`
}

// PullRequest is the part of Gitea's pull request answer the tests use.
type PullRequest struct {
	Number         int     `json:"number"`
	Title          string  `json:"title"`
	Body           string  `json:"body"`
	State          string  `json:"state"` // open or closed
	HTMLURL        string  `json:"html_url"`
	Mergeable      bool    `json:"mergeable"`
	Merged         bool    `json:"merged"`
	MergeCommitSHA *string `json:"merge_commit_sha"`
	Head           Branch  `json:"head"`
	Base           Branch  `json:"base"`
}

func repoPath(owner, repo string) string {
	return "/api/v1/repos/" + url.PathEscape(owner) + "/" + url.PathEscape(repo)
}

// CreatePullRequest opens a pull request from head into base.
func (g *Gitea) CreatePullRequest(ctx context.Context, auth Auth, owner, repo, head, base, title, body string) (PullRequest, error) {
	var pr PullRequest
	err := g.Do(ctx, auth, http.MethodPost, repoPath(owner, repo)+"/pulls",
		map[string]any{"head": head, "base": base, "title": title, "body": body}, &pr)
	return pr, err
}

// GetPullRequest reads pull request number.
func (g *Gitea) GetPullRequest(ctx context.Context, auth Auth, owner, repo string, number int) (PullRequest, error) {
	var pr PullRequest
	err := g.Do(ctx, auth, http.MethodGet, repoPath(owner, repo)+"/pulls/"+strconv.Itoa(number), nil, &pr)
	return pr, err
}

// ListPullRequests lists the pull requests in state "open", "closed" or
// "all" (default "open").
func (g *Gitea) ListPullRequests(ctx context.Context, auth Auth, owner, repo, state string) ([]PullRequest, error) {
	if state == "" {
		state = "open"
	}
	var prs []PullRequest
	err := g.Do(ctx, auth, http.MethodGet, repoPath(owner, repo)+"/pulls?state="+url.QueryEscape(state)+"&limit=50", nil, &prs)
	return prs, err
}

// MergePullRequest merges pull request number with style "merge",
// "rebase", "rebase-merge", "squash" or "fast-forward-only" (default
// "merge"). Gitea computes mergeability in the background right after a
// push, so a 405 "not mergeable yet" is retried until ctx ends.
func (g *Gitea) MergePullRequest(ctx context.Context, auth Auth, owner, repo string, number int, style string) error {
	if style == "" {
		style = "merge"
	}
	for {
		err := g.Do(ctx, auth, http.MethodPost, repoPath(owner, repo)+"/pulls/"+strconv.Itoa(number)+"/merge",
			map[string]any{"Do": style}, nil)
		var ae *APIError
		if err == nil || !errors.As(err, &ae) || (ae.Status != http.StatusMethodNotAllowed && ae.Status != http.StatusConflict) {
			return err
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last answer: %w)", ctx.Err(), err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// CreateUser creates an ordinary (not admin) user through the admin API and
// returns basic auth for it.
func (g *Gitea) CreateUser(ctx context.Context, name, password string) (Auth, error) {
	err := g.Do(ctx, g.Admin(), http.MethodPost, "/api/v1/admin/users", map[string]any{
		"username": name, "password": password, "email": name + "@example.com",
		"must_change_password": false, "visibility": "public",
	}, nil)
	return Auth{User: name, Password: password}, err
}

// AddCollaborator gives user a permission ("read", "write" or "admin") on
// owner/repo.
func (g *Gitea) AddCollaborator(ctx context.Context, auth Auth, owner, repo, user, permission string) error {
	return g.Do(ctx, auth, http.MethodPut, repoPath(owner, repo)+"/collaborators/"+url.PathEscape(user),
		map[string]any{"permission": permission}, nil)
}

// BranchSHA returns the SHA of the head commit of branch.
func (g *Gitea) BranchSHA(ctx context.Context, auth Auth, owner, repo, branch string) (string, error) {
	var b struct {
		Commit struct {
			ID string `json:"id"`
		} `json:"commit"`
	}
	if err := g.Do(ctx, auth, http.MethodGet, repoPath(owner, repo)+"/branches/"+url.PathEscape(branch), nil, &b); err != nil {
		return "", err
	}
	return b.Commit.ID, nil
}
