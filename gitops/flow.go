package gitops

import (
	"context"
	"fmt"
	"strings"

	"github.com/go-git/go-git/v5/plumbing"

	"github.com/aigw-console/aigw-console/app/sink"
)

// Flow is how a committed change reaches the target branch.
type Flow string

// The flows.
const (
	// FlowPush commits straight to the target branch.
	FlowPush Flow = "push"
	// FlowPullRequest pushes the commit to a branch of its own
	// (BranchPrefix + summary + short SHA) and opens a pull request into
	// the target branch, which stays untouched until someone merges it.
	FlowPullRequest Flow = "pull-request"
)

// BranchPrefix starts the name of every branch the pull-request flow
// pushes.
const BranchPrefix = "aigw-console/"

func (f Flow) valid() error {
	switch f {
	case FlowPush, FlowPullRequest:
		return nil
	}
	return &FlowError{Flow: string(f), Reason: fmt.Sprintf("unknown flow; want %q or %q", FlowPush, FlowPullRequest)}
}

// FlowError refuses the flow a change set asked for: an unknown one, or
// another than the configured one while overrides are not allowed. The
// HTTP edge maps it to 400 Bad Request naming the query parameter flow.
type FlowError struct {
	Flow   string
	Reason string
}

func (e *FlowError) Error() string {
	return fmt.Sprintf("flow %q: %s", oneLine(e.Flow, 40), e.Reason)
}

// flowOf returns the flow of one change set.
func (s *Sink) flowOf(cs sink.ChangeSet) (Flow, error) {
	if cs.Flow == "" || Flow(cs.Flow) == s.opts.Flow {
		return s.opts.Flow, nil
	}
	f := Flow(cs.Flow)
	if err := f.valid(); err != nil {
		return "", err
	}
	if !s.opts.AllowFlowOverride {
		return "", &FlowError{Flow: cs.Flow, Reason: fmt.Sprintf("this console commits with the %q flow and does not allow a per-request flow", s.opts.Flow)}
	}
	return f, nil
}

// pushed is the result of a change pushed to the target branch.
func (s *Sink) pushed(c built) sink.Result {
	res := c.result.withVersion(c.commit)
	res.GitOps = &sink.GitOps{Commit: c.commit.String(), Branch: s.opts.Branch}
	return res
}

// pullRequest pushes the built commit (laid onto base, the target
// branch's head) to a new branch and opens a pull request for it. The
// target branch does not move. The branch is created with a
// compare-and-swap from nothing, so an existing branch is never
// overwritten.
func (s *Sink) pullRequest(ctx context.Context, base plumbing.Hash, c built, cs sink.ChangeSet) (sink.Result, error) {
	branch := PullRequestBranch(cs.Summary, c.commit)
	if err := s.repo.push(ctx, plumbing.NewBranchReferenceName(branch), plumbing.ZeroHash, c.commit, c.objects); err != nil {
		return sink.Result{}, unavailable("push branch "+branch+" to", s.repo.url, err)
	}
	title := oneLine(cs.Summary, 200)
	if title == "" {
		title = fmt.Sprintf("aigw-console: change %d object(s)", len(c.changes))
	}
	opened, err := s.opts.Forge.OpenPullRequest(ctx, PullRequest{
		Head:  branch,
		Base:  s.opts.Branch,
		Title: title,
		Body:  pullRequestBody(ctx, c.changes),
	})
	if err != nil {
		return sink.Result{}, err
	}
	s.log.Info("opened pull request", "commit", c.commit.String(), "branch", branch, "number", opened.Number, "url", opened.URL, "user", UserFrom(ctx))
	res := c.result.withVersion(c.commit)
	res.GitOps = &sink.GitOps{
		Commit:      c.commit.String(),
		Branch:      branch,
		PullRequest: &sink.PullRequest{Number: opened.Number, URL: opened.URL},
	}
	return res, nil
}

// PullRequestBranch names the branch of a pull request:
// BranchPrefix + the summary in lower-case letters, digits and dashes (at
// most 50) + "-" + the first 8 hex digits of the commit.
func PullRequestBranch(summary string, commit plumbing.Hash) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(summary) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(r)
			if b.Len() >= 50 {
				break
			}
			continue
		}
		dash = true
	}
	slug := strings.Trim(b.String(), "-")
	if slug == "" {
		slug = "change"
	}
	return BranchPrefix + slug + "-" + commit.String()[:8]
}

// pullRequestBody describes a change for reviewers: one line per object
// (action, object, file), the policy result and the acting user. It never
// carries an object's content.
func pullRequestBody(ctx context.Context, changes []fileChange) string {
	var b strings.Builder
	b.WriteString("Changes proposed by aigw-console:\n\n")
	for _, c := range changes {
		fmt.Fprintf(&b, "- %s %s (`%s`)\n", c.action, c.ref, c.path)
	}
	b.WriteString("\n")
	policy := oneLine(policyFrom(ctx), 200)
	if policy == "" {
		policy = "not recorded"
	}
	fmt.Fprintf(&b, "Policy: %s\n", policy)
	user := oneLine(UserFrom(ctx), 200)
	if user == "" {
		user = "not recorded"
	}
	fmt.Fprintf(&b, "Acting-User: %s\n", user)
	return b.String()
}
