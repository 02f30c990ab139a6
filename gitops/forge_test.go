package gitops

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aigw-console/aigw-console/e2e/gitea"
	"github.com/aigw-console/aigw-console/e2e/localtool"
)

// TestGitea runs the Gitea forge against a real Gitea (v1.26.0, built by
// `make gitea`): the pull request it opens is read back through Gitea's
// API with its branches, title and body; opening it again answers the open
// one (Gitea's 409, then GET pulls/{base}/{head}); a refused token is a
// ForgeError with Gitea's status.
func TestGitea(t *testing.T) {
	bin := localtool.Require(t, gitea.MakeTarget, gitea.Binary)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	g, err := gitea.Start(ctx, gitea.Options{BinDir: bin, Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Stop() })
	owner, admin := g.AdminUser, g.Admin()
	if _, err := g.CreateRepo(ctx, admin, "fleet", true); err != nil {
		t.Fatal(err)
	}
	// A branch with one commit, made through Gitea's contents API.
	head := "aigw-console/create-openai-0123abcd"
	if err := g.Do(ctx, admin, http.MethodPost, "/api/v1/repos/"+owner+"/fleet/contents/clusters/default/kustomization.yaml", map[string]any{
		"content": base64.StdEncoding.EncodeToString([]byte("resources: []\n")), "message": "add", "branch": "main", "new_branch": head,
	}, nil); err != nil {
		t.Fatal(err)
	}
	token, err := g.CreateToken(ctx, owner, g.AdminPassword, "forge-test")
	if err != nil {
		t.Fatal(err)
	}

	f, err := NewGitea(GiteaOptions{URL: g.URL, Owner: owner, Repo: "fleet", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	pr := PullRequest{Head: head, Base: "main", Title: "create provider team-a/openai", Body: "- created Backend/team-a/openai\n\nPolicy: passed\n"}
	opened, err := f.OpenPullRequest(ctx, pr)
	if err != nil {
		t.Fatal(err)
	}
	got, err := g.GetPullRequest(ctx, gitea.Auth{Token: token}, owner, "fleet", int(opened.Number))
	if err != nil {
		t.Fatal(err)
	}
	if got.HTMLURL != opened.URL || got.State != "open" || got.Head.Ref != head || got.Base.Ref != "main" || got.Title != pr.Title || got.Body != pr.Body {
		t.Errorf("opened %+v; Gitea has %+v", opened, got)
	}

	again, err := f.OpenPullRequest(ctx, pr)
	if err != nil || again != opened {
		t.Errorf("opening it again: %+v, %v; want %+v", again, err, opened)
	}

	bad, err := NewGitea(GiteaOptions{URL: g.URL, Owner: owner, Repo: "fleet", Token: "not-a-token"})
	if err != nil {
		t.Fatal(err)
	}
	var fe *ForgeError
	if _, err := bad.OpenPullRequest(ctx, pr); !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized {
		t.Errorf("a refused token: %v, want a ForgeError with 401", err)
	}
}
