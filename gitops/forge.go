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
// behind the same interface (NewGitea, NewGitHub, NewGitLab).
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
	// requests. Required, or TokenFile.
	Token string
	// TokenFile holds the token; it is read again for every pull request,
	// so a rotated Secret mounted as a file needs no restart.
	TokenFile string
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
	if opts.URL == "" || opts.Owner == "" || opts.Repo == "" {
		return nil, errors.New("gitea forge: URL, owner, repository and token are required")
	}
	if err := checkToken("gitea", opts.Token, opts.TokenFile); err != nil {
		return nil, err
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

// OpenPullRequest implements Forge. When a pull request for the same
// head and base is open already (409), Gitea's
// GET /api/v1/repos/{owner}/{repo}/pulls/{base}/{head} returns it; if
// that fails too, the 409 is the answer.
func (g *Gitea) OpenPullRequest(ctx context.Context, pr PullRequest) (OpenedPullRequest, error) {
	token, err := valueOrFile(g.opts.Token, g.opts.TokenFile)
	if err != nil {
		return OpenedPullRequest{}, &ForgeError{Op: "open pull request", Err: err}
	}
	h := http.Header{"Authorization": {"token " + token}}
	var out struct {
		Number  int64  `json:"number"`
		HTMLURL string `json:"html_url"`
	}
	body := map[string]string{"head": pr.Head, "base": pr.Base, "title": pr.Title, "body": pr.Body}
	endpoint := g.base.JoinPath("api", "v1", "repos", g.opts.Owner, g.opts.Repo, "pulls")
	err = forgeCallStatus(ctx, g.opts.Client, "open pull request", http.MethodPost, endpoint.String(), h, body, http.StatusCreated, &out)
	var fe *ForgeError
	if errors.As(err, &fe) && fe.Status == http.StatusConflict {
		existing := endpoint.JoinPath(pr.Base, pr.Head)
		if ferr := forgeCallStatus(ctx, g.opts.Client, "find the open pull request", http.MethodGet, existing.String(), h, nil, http.StatusOK, &out); ferr == nil {
			err = nil
		}
	}
	if err != nil {
		return OpenedPullRequest{}, err
	}
	return OpenedPullRequest{Number: out.Number, URL: out.HTMLURL}, nil
}

// forgeCallStatus sends one JSON request to a forge's API and decodes the
// answer into out when the status is want. Any other status is a
// ForgeError with the forge's own message; the request's headers (the
// token) never appear in an error.
func forgeCallStatus(ctx context.Context, c *http.Client, op, method, endpoint string, h http.Header, in any, want int, out any) error {
	var body io.Reader
	if in != nil {
		raw, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, method, endpoint, body)
	if err != nil {
		return &ForgeError{Op: op, Err: errors.New("invalid request URL")}
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if req.Header.Get("Accept") == "" {
		req.Header.Set("Accept", "application/json")
	}
	res, err := c.Do(req)
	if err != nil {
		return &ForgeError{Op: op, Err: transportError(err)}
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, 1<<20))
	if err != nil {
		return &ForgeError{Op: op, Err: transportError(err)}
	}
	if res.StatusCode != want {
		return &ForgeError{Op: op, Status: res.StatusCode, Message: forgeMessage(raw)}
	}
	if err := json.Unmarshal(raw, out); err != nil {
		return &ForgeError{Op: op, Status: res.StatusCode, Message: "unreadable answer", Err: err}
	}
	return nil
}

// forgeMessage reads the message of a forge's error answer: GitHub's
// {"message", "errors":[{"message"}]}, GitLab's {"message": string or
// list or object, "error"} and Gitea's {"message"}.
func forgeMessage(raw []byte) string {
	var msg struct {
		Message any    `json:"message"`
		Error   string `json:"error"`
		Errors  []struct {
			Message string `json:"message"`
		} `json:"errors"`
	}
	_ = json.Unmarshal(raw, &msg)
	var parts []string
	switch m := msg.Message.(type) {
	case string:
		parts = append(parts, m)
	case []any:
		for _, p := range m {
			parts = append(parts, fmt.Sprint(p))
		}
	case map[string]any:
		b, _ := json.Marshal(m)
		parts = append(parts, string(b))
	}
	if msg.Error != "" {
		parts = append(parts, msg.Error)
	}
	for _, e := range msg.Errors {
		if e.Message != "" {
			parts = append(parts, e.Message)
		}
	}
	return oneLine(strings.Join(parts, "; "), 300)
}

// transportError keeps what failed but drops the URL, which a forge URL
// could carry credentials in.
func transportError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s %s: %w", ue.Op, redact(ue.URL), ue.Err)
	}
	return err
}

// checkToken makes sure a forge has a token: a value, or a file that can
// be read and is not empty. Errors name the file, never its content.
func checkToken(kind, value, file string) error {
	t, err := valueOrFile(value, file)
	if err != nil {
		return fmt.Errorf("%s forge: %w", kind, err)
	}
	if t == "" {
		return fmt.Errorf("%s forge: a token is required", kind)
	}
	return nil
}
