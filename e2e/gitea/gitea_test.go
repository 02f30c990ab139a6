package gitea_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigw-console/aigw-console/e2e/gitea"
	"github.com/aigw-console/aigw-console/e2e/gitserver"
	"github.com/aigw-console/aigw-console/e2e/localtool"
)

// TestPushPullRequestMerge runs a real Gitea: a token, a repository, a
// branch pushed over HTTP with the token, a pull request opened, read,
// listed and merged through the API, and main then holds the change.
func TestPushPullRequestMerge(t *testing.T) {
	binDir := localtool.Require(t, gitea.MakeTarget, gitea.Binary)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()

	start := time.Now()
	g, err := gitea.Start(ctx, gitea.Options{BinDir: binDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Stop() })
	t.Logf("Gitea ready at %s in %s", g.URL, time.Since(start).Round(time.Millisecond))

	token, err := g.CreateToken(ctx, g.AdminUser, g.AdminPassword, "console")
	if err != nil {
		t.Fatal(err)
	}
	auth := gitea.Auth{Token: token}
	if _, err := g.CreateToken(ctx, g.AdminUser, "wrong-password", "nope"); err == nil {
		t.Error("a token was created with a wrong password")
	}
	var apiErr *gitea.APIError
	if err := g.Do(ctx, gitea.Auth{Token: "not-a-token"}, http.MethodGet, "/api/v1/user", nil, nil); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Errorf("GET /user with a bad token = %v, want 401", err)
	}

	// The console's token may not create repositories (that needs
	// write:user); the admin does it with basic auth.
	if _, err := g.CreateRepo(ctx, auth, "denied", true); !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden {
		t.Errorf("CreateRepo with a write:repository token = %v, want 403", err)
	}
	repo, err := g.CreateRepo(ctx, g.Admin(), "fleet", true)
	if err != nil {
		t.Fatal(err)
	}
	if repo.DefaultBranch != "main" || repo.Empty {
		t.Fatalf("repository = %+v, want main and not empty", repo)
	}

	// Push a branch over HTTP with the token as the password.
	dir := t.TempDir()
	gitserver.Git(t, dir, "clone", "--quiet", g.CloneURLWithAuth(g.AdminUser, "fleet", "git", token), "wt")
	wt := filepath.Join(dir, "wt")
	base := strings.TrimSpace(gitserver.Git(t, wt, "rev-parse", "HEAD"))
	gitserver.Git(t, wt, "checkout", "--quiet", "-b", "aigw/change-1")
	if err := os.WriteFile(filepath.Join(wt, "backend.yaml"), []byte("kind: Backend\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitserver.Git(t, wt, "add", "backend.yaml")
	gitserver.Git(t, wt, "commit", "--quiet", "-m", "add a backend")
	headSHA := strings.TrimSpace(gitserver.Git(t, wt, "rev-parse", "HEAD"))
	gitserver.Git(t, wt, "push", "--quiet", "origin", "aigw/change-1")

	pr, err := g.CreatePullRequest(ctx, auth, g.AdminUser, "fleet", "aigw/change-1", "main", "Add a backend", "from the console")
	if err != nil {
		t.Fatal(err)
	}
	if pr.Number < 1 || pr.State != "open" || !strings.HasPrefix(pr.HTMLURL, g.URL+"/") || pr.Head.SHA != headSHA {
		t.Fatalf("pull request = %+v", pr)
	}
	t.Logf("pull request #%d %s", pr.Number, pr.HTMLURL)
	if _, err := g.CreatePullRequest(ctx, auth, g.AdminUser, "fleet", "no-such-branch", "main", "x", ""); err == nil {
		t.Error("a pull request from a missing branch was opened")
	}

	open, err := g.ListPullRequests(ctx, auth, g.AdminUser, "fleet", "open")
	if err != nil || len(open) != 1 || open[0].Number != pr.Number {
		t.Fatalf("open pull requests = %+v, %v", open, err)
	}

	start = time.Now()
	if err := g.MergePullRequest(ctx, auth, g.AdminUser, "fleet", pr.Number, "merge"); err != nil {
		t.Fatal(err)
	}
	t.Logf("merged in %s", time.Since(start).Round(time.Millisecond))
	merged, err := g.GetPullRequest(ctx, auth, g.AdminUser, "fleet", pr.Number)
	if err != nil {
		t.Fatal(err)
	}
	if !merged.Merged || merged.State != "closed" || merged.MergeCommitSHA == nil || *merged.MergeCommitSHA == "" {
		t.Fatalf("after the merge: %+v", merged)
	}
	if open, err := g.ListPullRequests(ctx, auth, g.AdminUser, "fleet", "open"); err != nil || len(open) != 0 {
		t.Errorf("open pull requests after the merge = %+v, %v", open, err)
	}
	if _, err := g.GetPullRequest(ctx, auth, g.AdminUser, "fleet", pr.Number+100); !errors.As(err, &apiErr) || apiErr.Status != http.StatusNotFound {
		t.Errorf("GET a missing pull request = %v, want 404", err)
	}

	// main now holds the change, on top of the base.
	gitserver.Git(t, wt, "fetch", "--quiet", "origin", "main")
	mainSHA := strings.TrimSpace(gitserver.Git(t, wt, "rev-parse", "FETCH_HEAD"))
	if mainSHA != *merged.MergeCommitSHA {
		t.Errorf("main = %s, merge commit = %s", mainSHA, *merged.MergeCommitSHA)
	}
	if sha, err := g.BranchSHA(ctx, auth, g.AdminUser, "fleet", "main"); err != nil || sha != mainSHA {
		t.Errorf("BranchSHA(main) = %q, %v; want %s", sha, err, mainSHA)
	}
	if got := gitserver.Git(t, wt, "show", "FETCH_HEAD:backend.yaml"); got != "kind: Backend\n" {
		t.Errorf("backend.yaml on main = %q", got)
	}
	if _, err := gitserver.RunGit(wt, "merge-base", "--is-ancestor", base, mainSHA); err != nil {
		t.Errorf("the old main is not an ancestor of the new one: %v", err)
	}

	// An ordinary user: no push until made a collaborator.
	bob, err := g.CreateUser(ctx, "bob", "pw-bob-"+strings.Repeat("x", 8))
	if err != nil {
		t.Fatal(err)
	}
	bobURL := g.CloneURLWithAuth(g.AdminUser, "fleet", bob.User, bob.Password)
	gitserver.Git(t, wt, "checkout", "--quiet", "-b", "bob")
	gitserver.Git(t, wt, "commit", "--quiet", "--allow-empty", "-m", "bob")
	if _, err := gitserver.RunGit(wt, "push", "--quiet", bobURL, "bob"); err == nil {
		t.Error("a user without permission pushed")
	}
	if err := g.AddCollaborator(ctx, g.Admin(), g.AdminUser, "fleet", bob.User, "write"); err != nil {
		t.Fatal(err)
	}
	gitserver.Git(t, wt, "push", "--quiet", bobURL, "bob")
}
