package gitops

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGitea runs the Gitea forge against an httptest server that follows
// Gitea's documented API (swagger: repoCreatePullRequest): token in
// "Authorization: token ...", CreatePullRequestOption in, PullRequest with
// number and html_url out, 201 Created; 409 when a pull request for the
// same branches is open. The real-Gitea PR flow is the e2e's job.
func TestGitea(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.URL.Path != "/api/v1/repos/platform/fleet/pulls" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("Authorization") != "token t0k3n" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"token is required"}`))
			return
		}
		if err := json.NewDecoder(r.Body).Decode(&got); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if got["head"] == "exists" {
			w.WriteHeader(http.StatusConflict)
			_, _ = w.Write([]byte(`{"message":"pull request already exists for these targets"}`))
			return
		}
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"id":9,"number":7,"state":"open","html_url":"http://gitea.local/platform/fleet/pulls/7","mergeable":true}`))
	}))
	t.Cleanup(srv.Close)

	f, err := NewGitea(GiteaOptions{URL: srv.URL, Owner: "platform", Repo: "fleet", Token: "t0k3n"})
	if err != nil {
		t.Fatal(err)
	}
	pr := PullRequest{Head: "aigw-console/create-openai", Base: "main", Title: "create provider team-a/openai", Body: "created Backend/team-a/openai\n\nPolicy: passed"}
	opened, err := f.OpenPullRequest(context.Background(), pr)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(OpenedPullRequest{Number: 7, URL: "http://gitea.local/platform/fleet/pulls/7"}, opened); diff != "" {
		t.Errorf("opened (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"head": pr.Head, "base": pr.Base, "title": pr.Title, "body": pr.Body}, got); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}

	pr.Head = "exists"
	_, err = f.OpenPullRequest(context.Background(), pr)
	var fe *ForgeError
	if !errors.As(err, &fe) || fe.Status != http.StatusConflict || fe.Message != "pull request already exists for these targets" {
		t.Errorf("conflict: %v", err)
	}

	bad, _ := NewGitea(GiteaOptions{URL: srv.URL, Owner: "platform", Repo: "fleet", Token: "wrong"})
	if _, err := bad.OpenPullRequest(context.Background(), pr); !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized {
		t.Errorf("bad token: %v", err)
	}
}
