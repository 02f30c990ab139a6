// Package gitea runs a real Gitea v1.26.0 — built from the Go module proxy by
// `make gitea` into .local/bin — as a local forge for the pull-request
// tests: repositories, pushes over HTTP, access tokens and pull requests
// through Gitea's REST API (close to GitHub's), all real.
//
// # Server
//
// Start writes an app.ini (root allowed, INSTALL_LOCK, sqlite3, offline, no
// SSH, HTTP on a free loopback port, STATIC_ROOT_PATH = Gitea's module
// folder in the Go module cache so that it finds its templates and locale
// files without the bindata tag), runs `gitea migrate`, creates an admin
// user with `gitea admin user create`, starts `gitea web` in its own process
// group and waits until the API answers. Stop kills the process group.
//
// # API
//
// Every call authenticates with basic auth as the admin, or with a token
// (Token). CreateToken makes an access token with scopes (a token with
// DefaultScopes may push and open, read and merge pull requests, but not
// create repositories), CreateUser an ordinary user, CreateRepo a
// repository (auto_init on main), AddCollaborator grants a user access,
// CloneURL and CloneURLWithAuth give the HTTP clone URL, BranchSHA a
// branch's head, and CreatePullRequest, GetPullRequest, ListPullRequests
// and MergePullRequest drive pull requests. Do sends any other API request
// and returns *APIError for a non-2xx answer.
//
// Tests call localtool.Require first: without the binary they skip, or
// fail when $CI is set.
package gitea
