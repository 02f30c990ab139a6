package gitops

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Forge opens pull requests on a Git hosting service. It is the second
// flow of GitOps mode: push a branch, then ask for a review, instead of
// pushing to the target branch. GitHub, GitLab and Gitea implement it
// behind the same interface; NewGitea is the first.
type Forge interface {
	// OpenPullRequest opens a pull request (a merge request on GitLab)
	// from pr.Head into pr.Base and returns where people review it.
	OpenPullRequest(ctx context.Context, pr PullRequest) (OpenedPullRequest, error)
}

// PullRequest is what to open.
type PullRequest struct {
	// Head is the branch that holds the change.
	Head string
	// Base is the branch to merge into.
	Base string
	// Title is the one-line summary.
	Title string
	// Body is the description: the diff summary and the policy result.
	Body string
}

// OpenedPullRequest is the forge's answer.
type OpenedPullRequest struct {
	// Number is the forge's number of the pull request.
	Number int64 `json:"number"`
	// URL is the web page of the pull request.
	URL string `json:"url"`
}

// ForgeError reports a refusal of the forge's API, with its HTTP status.
// A status of 0 means the forge could not be reached.
type ForgeError struct {
	Op     string
	Status int
	// Message is the forge's own message (never a credential).
	Message string
	Err     error
}

func (e *ForgeError) Error() string {
	if e.Status == 0 {
		return fmt.Sprintf("forge %s: %v", e.Op, e.Err)
	}
	return fmt.Sprintf("forge %s: HTTP %d: %s", e.Op, e.Status, e.Message)
}

// Unwrap returns the transport error, if any.
func (e *ForgeError) Unwrap() error { return e.Err }

// GiteaOptions configure NewGitea.
type GiteaOptions struct {
	// URL is the Gitea server, e.g. https://gitea.example.com. Required.
	URL string
	// Owner and Repo name the repository. Required.
	Owner, Repo string
	// Token is an access token with write access to the repository's pull
	// requests. Required.
	Token string
	// Client is the HTTP client. Default: a client with a 30s timeout.
	Client *http.Client
}

// Gitea opens pull requests through Gitea's API
// (POST /api/v1/repos/{owner}/{repo}/pulls).
type Gitea struct {
	opts GiteaOptions
	base *url.URL
}

var _ Forge = (*Gitea)(nil)

// NewGitea returns a Forge for a Gitea repository.
func NewGitea(opts GiteaOptions) (*Gitea, error) {
	if opts.URL == "" || opts.Owner == "" || opts.Repo == "" || opts.Token == "" {
		return nil, errors.New("gitea forge: URL, owner, repository and token are required")
	}
	u, err := url.Parse(strings.TrimRight(opts.URL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("gitea forge: invalid URL %q", redact(opts.URL))
	}
	if opts.Client == nil {
		opts.Client = &http.Client{Timeout: 30 * time.Second}
	}
	return &Gitea{opts: opts, base: u}, nil
}

// OpenPullRequest implements Forge.
func (g *Gitea) OpenPullRequest(ctx context.Context, pr PullRequest) (OpenedPullRequest, error) {
	const op = "open pull request"
	body, err := json.Marshal(map[string]string{"head": pr.Head, "base": pr.Base, "title": pr.Title, "body": pr.Body})
	if err != nil {
		return OpenedPullRequest{}, err
	}
	endpoint := g.base.JoinPath("api", "v1", "repos", g.opts.Owner, g.opts.Repo, "pulls")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint.String(), bytes.NewReader(body))
	if err != nil {
		return OpenedPullRequest{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "token "+g.opts.Token)
	res, err := g.opts.Client.Do(req)
	if err != nil {
		return OpenedPullRequest{}, &ForgeError{Op: op, Err: err}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return OpenedPullRequest{}, &ForgeError{Op: op, Err: err}
	}
	if res.StatusCode != http.StatusCreated {
		var msg struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &msg)
		return OpenedPullRequest{}, &ForgeError{Op: op, Status: res.StatusCode, Message: oneLine(msg.Message, 300)}
	}
	var out struct {
		Number  int64  `json:"number"`
		HTMLURL string `json:"html_url"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return OpenedPullRequest{}, &ForgeError{Op: op, Status: res.StatusCode, Message: "unreadable answer", Err: err}
	}
	return OpenedPullRequest{Number: out.Number, URL: out.HTMLURL}, nil
}
