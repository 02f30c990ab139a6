package gitops

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/sink"
)

// recordingForge is a Forge that records the pull requests it is asked
// to open (the real forges are tested against their APIs elsewhere).
type recordingForge struct {
	opened []PullRequest
	err    error
}

func (f *recordingForge) OpenPullRequest(_ context.Context, pr PullRequest) (OpenedPullRequest, error) {
	if f.err != nil {
		return OpenedPullRequest{}, f.err
	}
	f.opened = append(f.opened, pr)
	return OpenedPullRequest{Number: int64(len(f.opened)), URL: "https://forge.example/pulls/" + string(rune('0'+len(f.opened)))}, nil
}

func TestPullRequestFlow(t *testing.T) {
	ctx := WithUser(context.Background(), "alice@example.com")
	objs := []*unstructured.Unstructured{backend("team-a", "openai", "api.openai.com"), aiBackend("team-a", "openai", "OpenAI")}

	t.Run("a change goes to its own branch and a pull request; the target branch stays", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "other", "example.com")}, Summary: "seed"})
		mainBefore := g.head(t)
		forge := &recordingForge{}
		pr := newSink(t, g, func(o *Options) { o.Flow = FlowPullRequest; o.Forge = forge })
		res, err := pr.Apply(ctx, sink.ChangeSet{Apply: objs, Summary: "Create provider team-a/openai", Policy: "passed (policy revision r1)"})
		if err != nil {
			t.Fatal(err)
		}
		if g.head(t) != mainBefore {
			t.Fatal("the pull-request flow moved main")
		}
		if res.GitOps == nil || res.GitOps.PullRequest == nil {
			t.Fatalf("no gitops result: %+v", res)
		}
		wantBranch := "aigw-console/create-provider-team-a-openai-" + res.GitOps.Commit[:8]
		if res.GitOps.Branch != wantBranch || *res.GitOps.PullRequest != (sink.PullRequest{Number: 1, URL: "https://forge.example/pulls/1"}) {
			t.Errorf("gitops = %+v (pull request %+v), want branch %s", res.GitOps, res.GitOps.PullRequest, wantBranch)
		}
		if got := strings.TrimSpace(g.git(t, "rev-parse", "refs/heads/"+wantBranch)); got != res.GitOps.Commit {
			t.Errorf("branch %s is at %s, want %s", wantBranch, got, res.GitOps.Commit)
		}
		if parent := strings.TrimSpace(g.git(t, "rev-parse", res.GitOps.Commit+"^")); parent != mainBefore {
			t.Errorf("the commit's parent is %s, want main's head %s", parent, mainBefore)
		}
		if CommitOf(res) != res.GitOps.Commit {
			t.Errorf("entries carry %q", CommitOf(res))
		}
		if len(forge.opened) != 1 {
			t.Fatalf("opened %d pull requests", len(forge.opened))
		}
		want := PullRequest{
			Head:  wantBranch,
			Base:  "main",
			Title: "Create provider team-a/openai",
			Body: "Changes proposed by aigw-console:\n\n" +
				"- created Backend/team-a/openai (`clusters/default/team-a/backend/openai.yaml`)\n" +
				"- created AIServiceBackend/team-a/openai (`clusters/default/team-a/aiservicebackend/openai.yaml`)\n\n" +
				"Policy: passed (policy revision r1)\nActing-User: alice@example.com\n",
		}
		if diff := cmp.Diff(want, forge.opened[0]); diff != "" {
			t.Errorf("pull request (-want +got):\n%s", diff)
		}
		msg := g.git(t, "log", "-1", "--format=%B", res.GitOps.Commit)
		if !strings.Contains(msg, "Policy: passed (policy revision r1)\n") || !strings.Contains(msg, "Acting-User: alice@example.com\n") {
			t.Errorf("commit message trailers:\n%s", msg)
		}

		// The same change again (main still lacks it) is another pull
		// request; a no-op against main opens none.
		noop := sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "other", "example.com")}, Summary: "seed again"}
		res, err = pr.Apply(ctx, noop)
		if err != nil || res.GitOps != nil || len(forge.opened) != 1 {
			t.Errorf("no-op: gitops %+v, err %v, %d pull requests", res.GitOps, err, len(forge.opened))
		}
	})

	t.Run("a per-request flow needs the override", func(t *testing.T) {
		g := newGitServer(t)
		forge := &recordingForge{}
		s := newSink(t, g, func(o *Options) { o.Forge = forge })
		_, err := s.Apply(ctx, sink.ChangeSet{Apply: objs, Flow: "pull-request"})
		var fe *FlowError
		if !errors.As(err, &fe) || g.head(t) != "" {
			t.Fatalf("override without permission: %v (head %q)", err, g.head(t))
		}
		if _, err := s.Apply(ctx, sink.ChangeSet{Apply: objs, Flow: "merge"}); !errors.As(err, &fe) {
			t.Fatalf("unknown flow: %v", err)
		}
		seed := newSink(t, g)
		apply(t, seed, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "other", "example.com")}})
		main := g.head(t)
		o := newSink(t, g, func(o *Options) { o.Forge = forge; o.AllowFlowOverride = true })
		res, err := o.Apply(ctx, sink.ChangeSet{Apply: objs, Flow: "pull-request", Summary: "x"})
		if err != nil || res.GitOps == nil || res.GitOps.PullRequest == nil || g.head(t) != main {
			t.Fatalf("override: %+v, %v", res.GitOps, err)
		}
		res, err = o.Apply(ctx, sink.ChangeSet{Apply: objs, Summary: "y"})
		if err != nil || res.GitOps == nil || res.GitOps.PullRequest != nil || res.GitOps.Branch != "main" || g.head(t) != res.GitOps.Commit {
			t.Fatalf("configured flow after an override: %+v, %v", res.GitOps, err)
		}
	})

	t.Run("a forge refusal is a ForgeError and main stays", func(t *testing.T) {
		g := newGitServer(t)
		apply(t, newSink(t, g), sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "other", "example.com")}})
		main := g.head(t)
		forge := &recordingForge{err: &ForgeError{Op: "open pull request", Status: http.StatusForbidden, Message: "no"}}
		s := newSink(t, g, func(o *Options) { o.Flow = FlowPullRequest; o.Forge = forge })
		_, err := s.Apply(ctx, sink.ChangeSet{Apply: objs})
		var fe *ForgeError
		if !errors.As(err, &fe) || g.head(t) != main {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("the pull-request flow needs a forge", func(t *testing.T) {
		g := newGitServer(t)
		if _, err := New(context.Background(), Options{URL: g.URL, Flow: FlowPullRequest}); err == nil {
			t.Fatal("accepted")
		}
	})
}

func TestPullRequestBranch(t *testing.T) {
	h := [20]byte{0xde, 0xad, 0xbe, 0xef}
	for summary, want := range map[string]string{
		"Create provider team-a/openai": "aigw-console/create-provider-team-a-openai-deadbeef",
		"":                              "aigw-console/change-deadbeef",
		"../../etc/passwd ~^:?*[\\":     "aigw-console/etc-passwd-deadbeef",
		strings.Repeat("a", 80):         "aigw-console/" + strings.Repeat("a", 50) + "-deadbeef",
	} {
		if got := PullRequestBranch(summary, h); got != want {
			t.Errorf("%q → %q, want %q", summary, got, want)
		}
	}
}
