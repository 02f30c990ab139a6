package gitops

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// ForgeKind names a forge's API.
type ForgeKind string

// The forges.
const (
	ForgeGitHub ForgeKind = "github"
	ForgeGitLab ForgeKind = "gitlab"
	ForgeGitea  ForgeKind = "gitea"
)

// ForgeOptions configure NewForge.
type ForgeOptions struct {
	// Kind is github, gitlab or gitea. Required.
	Kind ForgeKind
	// URL is the API's base: for GitHub https://api.github.com (the
	// default) or https://<host>/api/v3 for GitHub Enterprise Server; for
	// GitLab the server, https://gitlab.com by default (/api/v4 is
	// added); for Gitea the server (/api/v1 is added). Required for Gitea.
	URL string
	// Repo names the repository: "owner/name" on GitHub and Gitea, the
	// project's full path ("group/subgroup/name") or numeric ID on GitLab.
	// Required.
	Repo string
	// Token is an access token allowed to open pull requests. Required, or
	// TokenFile.
	Token string
	// TokenFile holds the token; it is read again for every pull request,
	// so a rotated Secret mounted as a file needs no restart.
	TokenFile string
	// Client is the HTTP client. Default: a client with a 30s timeout.
	Client *http.Client
}

// NewForge returns the Forge of opts.Kind.
func NewForge(opts ForgeOptions) (Forge, error) {
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	switch opts.Kind {
	case ForgeGitHub:
		return NewGitHub(opts)
	case ForgeGitLab:
		return NewGitLab(opts)
	case ForgeGitea:
		owner, name, ok := strings.Cut(opts.Repo, "/")
		if !ok || strings.Contains(name, "/") {
			return nil, fmt.Errorf("gitea forge: repository %q: want owner/name", opts.Repo)
		}
		return NewGitea(GiteaOptions{URL: opts.URL, Owner: owner, Repo: name, Token: opts.Token, TokenFile: opts.TokenFile, Client: opts.Client})
	}
	return nil, fmt.Errorf("unknown forge %q (want %s, %s or %s)", opts.Kind, ForgeGitHub, ForgeGitLab, ForgeGitea)
}

// apiBase parses a forge's base URL (def when empty) without a trailing
// slash; errors never print credentials a URL may hold.
func apiBase(kind ForgeKind, raw, def string) (*url.URL, error) {
	if raw == "" {
		raw = def
	}
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("%s forge: invalid URL %q", kind, redact(raw))
	}
	return u, nil
}

// GitHub opens pull requests through GitHub's REST API
// (POST /repos/{owner}/{repo}/pulls).
type GitHub struct {
	client      *http.Client
	base        *url.URL
	owner, repo string
	token, file string
}

var _ Forge = (*GitHub)(nil)

// NewGitHub returns a Forge for a GitHub (or GitHub Enterprise Server)
// repository.
func NewGitHub(opts ForgeOptions) (*GitHub, error) {
	owner, name, ok := strings.Cut(opts.Repo, "/")
	if !ok || owner == "" || name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("github forge: repository %q: want owner/name", opts.Repo)
	}
	if err := checkToken("github", opts.Token, opts.TokenFile); err != nil {
		return nil, err
	}
	u, err := apiBase(ForgeGitHub, opts.URL, "https://api.github.com")
	if err != nil {
		return nil, err
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &GitHub{client: opts.Client, base: u, owner: owner, repo: name, token: opts.Token, file: opts.TokenFile}, nil
}

// OpenPullRequest implements Forge. GitHub answers 422 when a pull
// request for the head branch is open already; that one is then looked up
// with GET /repos/{owner}/{repo}/pulls?head=owner:branch&state=open and
// returned.
func (g *GitHub) OpenPullRequest(ctx context.Context, pr PullRequest) (OpenedPullRequest, error) {
	token, err := valueOrFile(g.token, g.file)
	if err != nil {
		return OpenedPullRequest{}, &ForgeError{Op: "open pull request", Err: err}
	}
	h := http.Header{
		"Authorization":        {"Bearer " + token},
		"Accept":               {"application/vnd.github+json"},
		"X-Github-Api-Version": {"2022-11-28"},
	}
	type ghPull struct {
		Number  int64  `json:"number"`
		HTMLURL string `json:"html_url"`
	}
	pulls := g.base.JoinPath("repos", g.owner, g.repo, "pulls").String()
	q := url.Values{"head": {g.owner + ":" + pr.Head}, "base": {pr.Base}, "state": {"open"}}
	out, err := openOrFind[ghPull](ctx, g.client, "pull request", pulls, h,
		map[string]string{"title": pr.Title, "head": pr.Head, "base": pr.Base, "body": pr.Body}, http.StatusUnprocessableEntity, pulls+"?"+q.Encode())
	if err != nil {
		return OpenedPullRequest{}, err
	}
	return OpenedPullRequest{Number: out.Number, URL: out.HTMLURL}, nil
}

// openOrFind opens a pull (or merge) request with a POST to endpoint. When
// the forge answers conflict because one is open for the branch already,
// it returns the first one the GET of findURL lists instead, so a retry
// gets the same pull request; if that lists none, the POST's error stands.
func openOrFind[T any](ctx context.Context, c *http.Client, noun, endpoint string, h http.Header, body any, conflict int, findURL string) (T, error) {
	var out T
	err := forgeCallStatus(ctx, c, "open "+noun, http.MethodPost, endpoint, h, body, http.StatusCreated, &out)
	var fe *ForgeError
	if !errors.As(err, &fe) || fe.Status != conflict {
		return out, err
	}
	var open []T
	if ferr := forgeCallStatus(ctx, c, "find the open "+noun, http.MethodGet, findURL, h, nil, http.StatusOK, &open); ferr != nil {
		return out, ferr
	}
	if len(open) == 0 {
		return out, err
	}
	return open[0], nil
}

// GitLab opens merge requests through GitLab's REST API
// (POST /api/v4/projects/:id/merge_requests).
type GitLab struct {
	client      *http.Client
	base        *url.URL
	project     string
	token, file string
}

var _ Forge = (*GitLab)(nil)

// NewGitLab returns a Forge for a GitLab project.
func NewGitLab(opts ForgeOptions) (*GitLab, error) {
	if strings.Trim(opts.Repo, "/") == "" {
		return nil, errors.New("gitlab forge: a project (group/name or ID) is required")
	}
	if err := checkToken("gitlab", opts.Token, opts.TokenFile); err != nil {
		return nil, err
	}
	u, err := apiBase(ForgeGitLab, opts.URL, "https://gitlab.com")
	if err != nil {
		return nil, err
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &GitLab{client: opts.Client, base: u, project: strings.Trim(opts.Repo, "/"), token: opts.Token, file: opts.TokenFile}, nil
}

// OpenPullRequest implements Forge with a merge request; Number is the
// merge request's IID (the !number people see). GitLab answers 409 when
// an open merge request for the source branch exists; that one is then
// looked up with GET .../merge_requests?source_branch=&state=opened and
// returned.
func (g *GitLab) OpenPullRequest(ctx context.Context, pr PullRequest) (OpenedPullRequest, error) {
	token, err := valueOrFile(g.token, g.file)
	if err != nil {
		return OpenedPullRequest{}, &ForgeError{Op: "open merge request", Err: err}
	}
	h := http.Header{"Private-Token": {token}}
	type mr struct {
		IID    int64  `json:"iid"`
		WebURL string `json:"web_url"`
	}
	// The project path is one URL-encoded segment: group%2Fname.
	mrs := g.base.String() + "/api/v4/projects/" + url.PathEscape(g.project) + "/merge_requests"
	q := url.Values{"source_branch": {pr.Head}, "target_branch": {pr.Base}, "state": {"opened"}}
	out, err := openOrFind[mr](ctx, g.client, "merge request", mrs, h,
		map[string]string{"source_branch": pr.Head, "target_branch": pr.Base, "title": pr.Title, "description": pr.Body}, http.StatusConflict, mrs+"?"+q.Encode())
	if err != nil {
		return OpenedPullRequest{}, err
	}
	return OpenedPullRequest{Number: out.IID, URL: out.WebURL}, nil
}
