package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/app/syncstatus"
	"github.com/aigw-console/aigw-console/e2e/flux"
	"github.com/aigw-console/aigw-console/e2e/gitea"
	"github.com/aigw-console/aigw-console/e2e/localtool"
)

// TestSyncStatusAfterPullRequestMerge: in the pull-request flow on a real
// Gitea, a change is nothing the branch wants until its pull request is
// merged; once merged through Gitea's API the console sees the merge
// commit (within --sync-interval), real Flux applies it, and the API
// reports the provider Synced at the merge commit.
func TestSyncStatusAfterPullRequestMerge(t *testing.T) {
	giteaBin := localtool.Require(t, gitea.MakeTarget, gitea.Binary)
	fluxBin := localtool.Require(t, flux.MakeTarget, flux.Binaries...)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	gt, err := gitea.Start(ctx, gitea.Options{BinDir: giteaBin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = gt.Stop() })
	fx, err := flux.Start(ctx, env.Admin, flux.Options{BinDir: fluxBin})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fx.Stop() })
	token, err := gt.CreateToken(ctx, gt.AdminUser, gt.AdminPassword, "console")
	if err != nil {
		t.Fatal(err)
	}
	auth := gitea.Auth{Token: token}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	repoName := "fleet-" + hex.EncodeToString(suffix)
	if _, err := gt.CreateRepo(ctx, gt.Admin(), repoName, true); err != nil {
		t.Fatal(err)
	}
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	ns := newNamespace(t)
	name := "pr-" + ns
	con := startConsole(t, func(cfg *app.Config) {
		cfg.Mode = app.ModeGitOps
		cfg.GitOps = app.GitOpsConfig{URL: gt.CloneURL(gt.AdminUser, repoName), Username: gt.AdminUser, Password: token,
			CacheDir: t.TempDir(), AgeRecipients: []string{id.Recipient().String()},
			Flow: "pull-request", Forge: "gitea", ForgeURL: gt.URL, ForgeRepo: gt.AdminUser + "/" + repoName, ForgeToken: token}
		cfg.Sync = app.SyncConfig{FluxKustomization: flux.Namespace + "/" + name, Interval: time.Second}
	})
	mainBefore, err := gt.BranchSHA(ctx, auth, gt.AdminUser, repoName, "main")
	if err != nil {
		t.Fatal(err)
	}

	// The pull request is opened; main and the sync status are untouched.
	r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, openAIWithKey("openai", "sk-"+newCanary(t)))
	var ans gitWriteAnswer
	r.decode(t, &ans)
	if r.Status != 201 || ans.GitOps == nil || ans.GitOps.PullRequest == nil {
		t.Fatalf("create in the pull-request flow: %d %s", r.Status, r.Body)
	}
	report := func() syncReport {
		var rep syncReport
		if resp := getJSON(t, con.URL+"/api/v1/sync?namespace="+ns, &rep); resp.Status != 200 {
			t.Fatalf("GET /api/v1/sync: %d %s", resp.Status, resp.Body)
		}
		return rep
	}
	if rep := report(); rep.Head != mainBefore || len(rep.Objects) != 0 {
		t.Fatalf("before the merge: head %s (main %s), objects %+v", rep.Head, mainBefore, rep.Objects)
	}

	// Merged through Gitea's API: the console sees the merge commit.
	if err := gt.MergePullRequest(ctx, auth, gt.AdminUser, repoName, int(ans.GitOps.PullRequest.Number), "merge"); err != nil {
		t.Fatal(err)
	}
	merged := time.Now()
	merge, err := gt.BranchSHA(ctx, auth, gt.AdminUser, repoName, "main")
	if err != nil || merge == mainBefore {
		t.Fatalf("main after the merge: %s (%v)", merge, err)
	}
	var pending syncReport
	waitFor(t, 20*time.Second, "the merge commit in the sync status", func() bool {
		pending = report()
		return pending.Head == merge && len(pending.Objects) > 0
	})
	t.Logf("merge commit %s in the sync status after %s: %d objects", merge[:12], time.Since(merged).Round(time.Millisecond), len(pending.Objects))
	for _, o := range pending.Objects {
		if o.State != syncstatus.Pending || o.Operation != syncstatus.Create || o.DesiredCommit != merge {
			t.Errorf("%s: %+v, want Pending create at the merge commit", o.Path, o)
		}
	}

	// Flux applies the merge commit: Synced at it.
	if err := fx.CreateGitRepository(ctx, flux.GitRepository{Name: name, URL: gt.CloneURL(gt.AdminUser, repoName), Username: gt.AdminUser, Password: token}); err != nil {
		t.Fatal(err)
	}
	if err := fx.CreateKustomization(ctx, flux.Kustomization{Name: name, Source: name, Path: "./clusters/default", AgeIdentity: id.String()}); err != nil {
		t.Fatal(err)
	}
	wctx, wcancel := context.WithTimeout(ctx, 3*time.Minute)
	defer wcancel()
	if err := fx.WaitApplied(wctx, "", name, name, flux.Revision("main", merge)); err != nil {
		t.Fatal(err)
	}
	applied := time.Now()
	var p syncedProviderView
	waitFor(t, 20*time.Second, "the provider Synced at the merge commit", func() bool {
		getJSON(t, con.URL+"/api/v1/providers/openai?namespace="+ns, &p)
		return p.Sync != nil && p.Sync.State == syncstatus.Synced
	})
	if p.Sync.DesiredCommit != merge {
		t.Fatalf("provider Synced at %s, want the merge commit %s", p.Sync.DesiredCommit, merge)
	}
	t.Logf("Flux applied the merge commit %s after the merge; the API reported Synced +%s after that",
		applied.Sub(merged).Round(time.Millisecond), time.Since(applied).Round(time.Millisecond))
}
