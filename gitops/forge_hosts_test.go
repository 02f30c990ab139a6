package gitops

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// forgeRequest is what a stand-in forge saw.
type forgeRequest struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   map[string]string
}

// forgeServer records every request and answers with handle.
func forgeServer(t *testing.T, handle func(r forgeRequest) (int, string)) (*httptest.Server, *[]forgeRequest) {
	t.Helper()
	var seen []forgeRequest
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fr := forgeRequest{Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery, Header: r.Header.Clone()}
		if r.Body != nil && r.Method == http.MethodPost {
			if r.Header.Get("Content-Type") != "application/json" {
				http.Error(w, `{"message":"want JSON"}`, http.StatusUnsupportedMediaType)
				return
			}
			if err := json.NewDecoder(r.Body).Decode(&fr.Body); err != nil {
				http.Error(w, `{"message":"bad JSON"}`, http.StatusBadRequest)
				return
			}
		}
		seen = append(seen, fr)
		status, body := handle(fr)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &seen
}

var testPR = PullRequest{
	Head:  "aigw-console/create-provider-team-a-openai-0123abcd",
	Base:  "main",
	Title: "create provider team-a/openai",
	Body:  "- created Backend/team-a/openai (`clusters/default/team-a/backend/openai.yaml`)\n\nPolicy: passed\n",
}

// TestGitHub follows GitHub's REST API "Create a pull request"
// (POST /repos/{owner}/{repo}/pulls, 201, number + html_url; token as
// "Authorization: Bearer", Accept application/vnd.github+json,
// X-GitHub-Api-Version) and "List pull requests" (?head=owner:branch
// &state=open) for the 422 GitHub gives when one is open already.
func TestGitHub(t *testing.T) {
	const token = "ghp_secretvalue123"
	srv, seen := forgeServer(t, func(r forgeRequest) (int, string) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			return http.StatusUnauthorized, `{"message":"Bad credentials"}`
		}
		if r.Header.Get("Accept") != "application/vnd.github+json" || r.Header.Get("X-GitHub-Api-Version") != "2022-11-28" {
			return http.StatusBadRequest, `{"message":"headers"}`
		}
		switch {
		case r.Method == http.MethodPost && r.Path == "/repos/platform/fleet/pulls":
			if r.Body["head"] == "exists" {
				return http.StatusUnprocessableEntity, `{"message":"Validation Failed","errors":[{"resource":"PullRequest","code":"custom","message":"A pull request already exists for platform:exists."}]}`
			}
			if r.Body["head"] == "nothing" {
				return http.StatusUnprocessableEntity, `{"message":"Validation Failed","errors":[{"message":"No commits between main and nothing"}]}`
			}
			return http.StatusCreated, `{"id":1,"number":42,"state":"open","html_url":"https://github.com/platform/fleet/pull/42"}`
		case r.Method == http.MethodGet && r.Path == "/repos/platform/fleet/pulls":
			if r.RawQuery == "base=main&head=platform%3Aexists&state=open" {
				return http.StatusOK, `[{"number":7,"html_url":"https://github.com/platform/fleet/pull/7"}]`
			}
			return http.StatusOK, `[]`
		}
		return http.StatusNotFound, `{"message":"Not Found"}`
	})
	f, err := NewForge(ForgeOptions{Kind: ForgeGitHub, URL: srv.URL, Repo: "platform/fleet", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := f.OpenPullRequest(ctx, testPR)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(OpenedPullRequest{Number: 42, URL: "https://github.com/platform/fleet/pull/42"}, got); diff != "" {
		t.Errorf("opened (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"title": testPR.Title, "head": testPR.Head, "base": "main", "body": testPR.Body}, (*seen)[0].Body); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}

	pr := testPR
	pr.Head = "exists"
	if got, err = f.OpenPullRequest(ctx, pr); err != nil || got.Number != 7 || got.URL != "https://github.com/platform/fleet/pull/7" {
		t.Errorf("already open: %+v, %v", got, err)
	}

	pr.Head = "nothing"
	_, err = f.OpenPullRequest(ctx, pr)
	var fe *ForgeError
	if !errors.As(err, &fe) || fe.Status != http.StatusUnprocessableEntity || !strings.Contains(fe.Message, "No commits between main and nothing") {
		t.Errorf("a 422 with no open pull request: %v", err)
	}

	bad, _ := NewForge(ForgeOptions{Kind: ForgeGitHub, URL: srv.URL, Repo: "platform/fleet", Token: "wrong-token-xyz"})
	_, err = bad.OpenPullRequest(ctx, testPR)
	if !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized || strings.Contains(err.Error(), "wrong-token-xyz") {
		t.Errorf("bad token: %v", err)
	}
}

// TestGitLab follows GitLab's REST API "Create MR"
// (POST /api/v4/projects/:id/merge_requests with the URL-encoded project
// path, PRIVATE-TOKEN header, source_branch/target_branch/title/
// description; 201 with iid + web_url) and "List project merge requests"
// (?source_branch=&state=opened) for the 409 of an open one.
func TestGitLab(t *testing.T) {
	const token = "glpat-secretvalue456"
	srv, seen := forgeServer(t, func(r forgeRequest) (int, string) {
		if r.Header.Get("Private-Token") != token {
			return http.StatusUnauthorized, `{"message":"401 Unauthorized"}`
		}
		if r.Path != "/api/v4/projects/platform%2Fclusters%2Ffleet/merge_requests" {
			return http.StatusNotFound, `{"message":"404 Project Not Found"}`
		}
		switch r.Method {
		case http.MethodPost:
			if r.Body["source_branch"] == "exists" {
				return http.StatusConflict, `{"message":["Another open merge request already exists for this source branch: !3"]}`
			}
			return http.StatusCreated, `{"id":100,"iid":5,"state":"opened","web_url":"https://gitlab.example.com/platform/clusters/fleet/-/merge_requests/5"}`
		case http.MethodGet:
			if r.RawQuery == "source_branch=exists&state=opened&target_branch=main" {
				return http.StatusOK, `[{"id":99,"iid":3,"web_url":"https://gitlab.example.com/platform/clusters/fleet/-/merge_requests/3"}]`
			}
			return http.StatusOK, `[]`
		}
		return http.StatusMethodNotAllowed, `{"error":"405 Not Allowed"}`
	})
	f, err := NewForge(ForgeOptions{Kind: ForgeGitLab, URL: srv.URL + "/", Repo: "platform/clusters/fleet", Token: token})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	got, err := f.OpenPullRequest(ctx, testPR)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(OpenedPullRequest{Number: 5, URL: "https://gitlab.example.com/platform/clusters/fleet/-/merge_requests/5"}, got); diff != "" {
		t.Errorf("opened (-want +got):\n%s", diff)
	}
	want := map[string]string{"source_branch": testPR.Head, "target_branch": "main", "title": testPR.Title, "description": testPR.Body}
	if diff := cmp.Diff(want, (*seen)[0].Body); diff != "" {
		t.Errorf("request body (-want +got):\n%s", diff)
	}
	pr := testPR
	pr.Head = "exists"
	if got, err = f.OpenPullRequest(ctx, pr); err != nil || got.Number != 3 {
		t.Errorf("already open: %+v, %v", got, err)
	}
	bad, _ := NewForge(ForgeOptions{Kind: ForgeGitLab, URL: srv.URL, Repo: "platform/clusters/fleet", Token: "wrong-token-xyz"})
	_, err = bad.OpenPullRequest(ctx, testPR)
	var fe *ForgeError
	if !errors.As(err, &fe) || fe.Status != http.StatusUnauthorized || fe.Message != "401 Unauthorized" || strings.Contains(err.Error(), "wrong-token-xyz") {
		t.Errorf("bad token: %v", err)
	}
}

func TestNewForgeRefusesBadOptions(t *testing.T) {
	for _, o := range []ForgeOptions{
		{Kind: "bitbucket", Repo: "a/b", Token: "t"},
		{Kind: ForgeGitHub, Repo: "nobody", Token: "t"},
		{Kind: ForgeGitHub, Repo: "a/b"},
		{Kind: ForgeGitHub, Repo: "a/b", Token: "t", URL: "ftp://x"},
		{Kind: ForgeGitLab, Token: "t"},
		{Kind: ForgeGitea, Repo: "a/b", Token: "t"},
		{Kind: ForgeGitea, URL: "http://x", Repo: "a", Token: "t"},
		{Kind: ForgeGitHub, Repo: "a/b", Token: "t", URL: "https://user:hunter2@[bad"},
	} {
		_, err := NewForge(o)
		if err == nil {
			t.Errorf("%+v: accepted", o)
		} else if strings.Contains(err.Error(), "hunter2") {
			t.Errorf("error carries a credential: %v", err)
		}
	}
}

// TestForgeTokenFileIsReadForEveryPullRequest: a rotated token (a Secret
// mounted as a file) is used at the next pull request, without a restart.
func TestForgeTokenFileIsReadForEveryPullRequest(t *testing.T) {
	var seen []string
	srv, _ := forgeServer(t, func(r forgeRequest) (int, string) {
		seen = append(seen, r.Header.Get("Private-Token"))
		return http.StatusCreated, `{"iid":1,"web_url":"https://gitlab.example.com/x/-/merge_requests/1"}`
	})
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("first-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := NewForge(ForgeOptions{Kind: ForgeGitLab, URL: srv.URL, Repo: "x/y", TokenFile: file})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.OpenPullRequest(context.Background(), testPR); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, []byte("second-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := f.OpenPullRequest(context.Background(), testPR); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"first-token", "second-token"}, seen); diff != "" {
		t.Errorf("tokens sent (-want +got):\n%s", diff)
	}
	if err := os.Remove(file); err != nil {
		t.Fatal(err)
	}
	_, err = f.OpenPullRequest(context.Background(), testPR)
	var fe *ForgeError
	if !errors.As(err, &fe) || !strings.Contains(err.Error(), file) {
		t.Errorf("a missing token file: %v", err)
	}
	if _, err := NewForge(ForgeOptions{Kind: ForgeGitHub, Repo: "a/b", TokenFile: file}); err == nil {
		t.Error("NewForge accepted a missing token file")
	}
}
