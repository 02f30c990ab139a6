package e2e

import (
	"context"
	"encoding/base64"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app"
	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/app/syncstatus"
	"github.com/aigw-console/aigw-console/e2e/flux"
	"github.com/aigw-console/aigw-console/e2e/gitea"
	"github.com/aigw-console/aigw-console/e2e/gitserver"
	"github.com/aigw-console/aigw-console/e2e/localtool"
	"github.com/aigw-console/aigw-console/gitops"
)

// TestGitOpsPullRequestOnGitea runs the pull-request flow end to end on a
// real Gitea: the console pushes a branch and opens the pull request
// through Gitea's API; main stays as it was and nothing is applied; the
// pull request is merged through Gitea's API; real Flux (source- and
// kustomize-controller) applies the merge commit and the provider's
// objects appear in the cluster with the decrypted key, and the API
// reports the provider Synced at the merge commit (the sync status reads the
// Kustomization). A DELETE then opens a second pull request that removes
// the files; merged, Flux prunes the provider.
func TestGitOpsPullRequestOnGitea(t *testing.T) {
	giteaBin := localtool.Require(t, gitea.MakeTarget, gitea.Binary)
	fluxBin := localtool.Require(t, flux.MakeTarget, flux.Binaries...)
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()

	giteaDir := t.TempDir()
	registerGitRepo(t, giteaDir) // Gitea's repositories, scanned for canaries
	forge, err := gitea.Start(ctx, gitea.Options{BinDir: giteaBin, Dir: giteaDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = forge.Stop() })
	owner := forge.AdminUser
	if _, err := forge.CreateRepo(ctx, forge.Admin(), "fleet", true); err != nil {
		t.Fatal(err)
	}
	token, err := forge.CreateToken(ctx, forge.AdminUser, forge.AdminPassword, "aigw-console")
	if err != nil {
		t.Fatal(err)
	}
	api := gitea.Auth{Token: token}
	mainBefore, err := forge.BranchSHA(ctx, api, owner, "fleet", "main")
	if err != nil {
		t.Fatal(err)
	}

	identity, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	ns := newNamespace(t)
	con := startConsole(t, func(cfg *app.Config) {
		cfg.Mode = app.ModeGitOps
		cfg.GitOps = app.GitOpsConfig{
			URL: forge.CloneURL(owner, "fleet"), Username: owner, Password: token, CacheDir: filepath.Join(cache, "clone"),
			AgeRecipients: []string{identity.Recipient().String()},
			Flow:          "pull-request",
			Forge:         "gitea", ForgeURL: forge.URL, ForgeRepo: owner + "/fleet", ForgeToken: token,
		}
		// The sync status decides "applied" with the Kustomization below.
		cfg.Sync = app.SyncConfig{FluxKustomization: "flux-" + ns + "/fleet", Interval: time.Second}
	})
	c := adminClient(t)
	key := "sk-" + newCanary(t)
	var answer gitWriteAnswer
	outer := t
	fluxNS := "flux-" + ns
	var fx *flux.Flux // started by the merge step, runs to the end
	// bodyLists checks that a pull request's body lists the provider's
	// AIServiceBackend and Secret with action and the policy result.
	bodyLists := func(t *testing.T, body, action string) {
		t.Helper()
		for _, line := range []string{
			"- " + action + " AIServiceBackend/" + ns + "/openai (`clusters/default/" + ns + "/aiservicebackend/openai.yaml`)",
			"- " + action + " Secret/" + ns + "/" + provider.SecretName("openai") + " (`clusters/default/" + ns + "/secret/" + provider.SecretName("openai") + ".yaml`)",
			"Policy: passed",
		} {
			if !strings.Contains(body, line) {
				t.Errorf("the body lacks %q:\n%s", line, body)
			}
		}
	}
	// mergeAndApply merges pull request number through Gitea's API, asks
	// Flux to reconcile and waits until it applied the merge commit; it
	// returns the merge commit and when the reconcile was asked for.
	mergeAndApply := func(t *testing.T, number int64) (string, time.Time) {
		t.Helper()
		before, err := forge.BranchSHA(ctx, api, owner, "fleet", "main")
		if err != nil {
			t.Fatal(err)
		}
		if err := forge.MergePullRequest(ctx, api, owner, "fleet", int(number), "merge"); err != nil {
			t.Fatal(err)
		}
		merged, err := forge.BranchSHA(ctx, api, owner, "fleet", "main")
		if err != nil || merged == before {
			t.Fatalf("main after the merge: %s (%v)", merged, err)
		}
		if pr, err := forge.GetPullRequest(ctx, api, owner, "fleet", int(number)); err != nil || !pr.Merged {
			t.Fatalf("pull request after the merge: %+v (%v)", pr, err)
		}
		start := time.Now()
		if err := fx.Reconcile(ctx, fluxNS, "fleet", "fleet"); err != nil {
			t.Fatal(err)
		}
		if err := fx.WaitApplied(ctx, fluxNS, "fleet", "fleet", flux.Revision("main", merged)); err != nil {
			t.Fatal(err)
		}
		return merged, start
	}

	step(t, "POST opens a pull request on Gitea; main is untouched and nothing is applied", func(t *testing.T) {
		r := callNoLeak(t, key, "POST", con.URL+"/api/v1/providers?namespace="+ns, openAIWithKey("openai", key))
		if r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		r.decode(t, &answer)
		gp := answer.GitOps
		if gp == nil || gp.PullRequest == nil {
			t.Fatalf("no pull request in the answer: %s", r.Body)
		}
		wantBranch := "aigw-console/create-provider-" + ns + "-openai-" + gp.Commit[:8]
		if gp.Branch != wantBranch {
			t.Errorf("branch %q, want %q", gp.Branch, wantBranch)
		}
		pr, err := forge.GetPullRequest(ctx, api, owner, "fleet", int(gp.PullRequest.Number))
		if err != nil {
			t.Fatal(err)
		}
		if pr.HTMLURL != gp.PullRequest.URL || pr.State != "open" || pr.Head.Ref != wantBranch || pr.Head.SHA != gp.Commit || pr.Base.Ref != "main" {
			t.Errorf("pull request on Gitea: %+v; answer %+v", pr, gp)
		}
		if pr.Title != "create provider "+ns+"/openai" {
			t.Errorf("title %q", pr.Title)
		}
		bodyLists(t, pr.Body, "created")
		if strings.Contains(pr.Body, key) || strings.Contains(pr.Body, "ENC[") || strings.Contains(pr.Body, "spec") {
			t.Errorf("the body carries content:\n%s", pr.Body)
		}
		if head, _ := forge.BranchSHA(ctx, api, owner, "fleet", "main"); head != mainBefore {
			t.Errorf("main moved from %s to %s before the merge", mainBefore, head)
		}
		if exists(t, c, ns, "openai", &aigv1b1.AIServiceBackend{}) {
			t.Error("the provider is in the cluster before the merge")
		}
		// Nor is it anything main wants: the sync status follows main.
		var rep syncReport
		getJSON(t, con.URL+"/api/v1/sync?namespace="+ns, &rep)
		if rep.Head != mainBefore || len(rep.Objects) != 0 {
			t.Errorf("sync status before the merge: head %s (main %s), objects %+v", rep.Head, mainBefore, rep.Objects)
		}
		// Opening it again (a retry) returns the open pull request: Gitea
		// answers 409 and the forge looks it up.
		f, err := gitops.NewForge(gitops.ForgeOptions{Kind: gitops.ForgeGitea, URL: forge.URL, Repo: owner + "/fleet", Token: token})
		if err != nil {
			t.Fatal(err)
		}
		again, err := f.OpenPullRequest(ctx, gitops.PullRequest{Head: gp.Branch, Base: "main", Title: "again"})
		if err != nil || again.Number != gp.PullRequest.Number || again.URL != gp.PullRequest.URL {
			t.Errorf("opening it again: %+v, %v; want %+v", again, err, gp.PullRequest)
		}
	})

	step(t, "merged through Gitea's API, Flux applies the merge commit: the objects appear with the decrypted key", func(t *testing.T) {
		var err error
		fx, err = flux.Start(ctx, env.Admin, flux.Options{BinDir: fluxBin, Dir: outer.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		outer.Cleanup(func() { _ = fx.Stop() })
		if err := fx.CreateGitRepository(ctx, flux.GitRepository{Name: "fleet", Namespace: fluxNS, URL: forge.CloneURL(owner, "fleet"),
			Username: owner, Password: token, Interval: time.Hour}); err != nil {
			t.Fatal(err)
		}
		if err := fx.CreateKustomization(ctx, flux.Kustomization{Name: "fleet", Namespace: fluxNS, Source: "fleet", Path: "./clusters/default",
			AgeIdentity: identity.String(), Interval: time.Hour}); err != nil {
			t.Fatal(err)
		}
		merged, start := mergeAndApply(t, answer.GitOps.PullRequest.Number)
		t.Logf("Flux applied merge commit %s %s after the reconcile request", merged[:8], time.Since(start).Round(time.Millisecond))
		get(t, c, ns, "openai", &aigv1b1.AIServiceBackend{})
		var s corev1.Secret
		get(t, c, ns, provider.SecretName("openai"), &s)
		if string(s.Data["apiKey"]) != key {
			t.Error("the applied Secret does not hold the decrypted key")
		}
		// The console shows the provider once its cache sees it.
		waitProvider(t, con, key, ns, "openai", func(p provider.Provider) bool { return p.Name == "openai" })
		// And reports it Synced at the merge commit.
		var p syncedProviderView
		waitFor(t, 20*time.Second, "the provider Synced", func() bool {
			getJSON(t, con.URL+"/api/v1/providers/openai?namespace="+ns, &p)
			return p.Sync != nil && p.Sync.State == syncstatus.Synced
		})
		if p.Sync.DesiredCommit != merged {
			t.Errorf("provider Synced at %s, want the merge commit %s", p.Sync.DesiredCommit, merged)
		}
		t.Logf("the API reports Synced at the merge commit %s %s after the reconcile request", merged[:8], time.Since(start).Round(time.Millisecond))
	})

	step(t, "DELETE opens a pull request that removes the files; merged, Flux prunes the provider", func(t *testing.T) {
		before, err := forge.BranchSHA(ctx, api, owner, "fleet", "main")
		if err != nil {
			t.Fatal(err)
		}
		var del gitWriteAnswer
		r := callNoLeak(t, key, "DELETE", con.URL+"/api/v1/providers/openai?namespace="+ns, nil)
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		r.decode(t, &del)
		gp := del.GitOps
		if gp == nil || gp.PullRequest == nil || gp.PullRequest.Number == answer.GitOps.PullRequest.Number {
			t.Fatalf("no new pull request in the answer: %s", r.Body)
		}
		pr, err := forge.GetPullRequest(ctx, api, owner, "fleet", int(gp.PullRequest.Number))
		if err != nil {
			t.Fatal(err)
		}
		if pr.State != "open" || pr.Head.Ref != gp.Branch || pr.Head.SHA != gp.Commit || pr.Base.Ref != "main" {
			t.Errorf("pull request on Gitea: %+v; answer %+v", pr, gp)
		}
		bodyLists(t, pr.Body, "deleted")
		if head, _ := forge.BranchSHA(ctx, api, owner, "fleet", "main"); head != before {
			t.Errorf("main moved from %s to %s before the merge", before, head)
		}
		if !exists(t, c, ns, "openai", &aigv1b1.AIServiceBackend{}) {
			t.Fatal("the provider left the cluster before the merge")
		}

		merged, start := mergeAndApply(t, gp.PullRequest.Number)
		waitFor(t, 30*time.Second, "the provider pruned and gone from the API", func() bool {
			return !exists(t, c, ns, "openai", &aigv1b1.AIServiceBackend{}) &&
				call(t, "GET", con.URL+"/api/v1/providers/openai?namespace="+ns, nil).Status == 404
		})
		t.Logf("Flux pruned the provider after the delete PR's merge commit %s: API 404 %s after the reconcile request", merged[:8], time.Since(start).Round(time.Millisecond))
		var s corev1.Secret
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: provider.SecretName("openai")}, &s); !apierrors.IsNotFound(err) {
			t.Errorf("the Secret after the prune: %v", err)
		}
	})

	step(t, "no Git object of Gitea's repositories or the console's clone holds the key", func(t *testing.T) {
		needles := []string{key, base64.StdEncoding.EncodeToString([]byte(key)), "ENC[AES256_GCM,"}
		total := 0
		for _, dir := range []string{forge.Dir(), cache} {
			scan, err := gitserver.ScanHistory(dir, needles...)
			if err != nil {
				t.Fatal(err)
			}
			sops := false
			for _, f := range scan.Found {
				if f.Needle == 2 {
					sops = true
					continue
				}
				t.Errorf("the key is in Git: %s %s %s", f.Repo, f.Type, f.Object)
			}
			if !sops {
				t.Errorf("%s: no SOPS-encrypted value found: the scan does not read the Secret", dir)
			}
			total += scan.Objects
		}
		t.Logf("Git history scan of Gitea and the clone: %d objects, no key", total)
	})
}
