package e2e

import (
	"context"
	"encoding/json"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/app/stream"
	"github.com/aigw-console/aigw-console/app/syncstatus"
	"github.com/aigw-console/aigw-console/e2e/flux"
	"github.com/aigw-console/aigw-console/e2e/localtool"
)

// TestFluxAcceptance is issue 5's first acceptance test, end to end with
// nothing played: a real Git server (git-http-backend), real Flux
// source-controller and kustomize-controller v1.9.6 watching the
// repository with the age identity, the real API server, and a console in
// GitOps mode from app.Run whose sync status reads the Kustomization.
//
// Create a provider with an API key through the REST API → exactly one
// commit with the rendered files and a SOPS-encrypted Secret → Flux
// applies it → the objects are in the cluster with the decrypted key → a
// WebSocket subscriber gets provider_created and every object's sync turns
// Synced at that commit, as GET reports. A hand edit is Drifted naming the
// field until Flux reconciles it away. DELETE → the files are removed in
// one commit → Flux prunes → provider_deleted, sync_deleted, 404.
func TestFluxAcceptance(t *testing.T) {
	binDir := localtool.Require(t, flux.MakeTarget, flux.Binaries...)
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()
	start := time.Now()
	fx, err := flux.Start(ctx, env.Admin, flux.Options{BinDir: binDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fx.Stop() })
	t.Logf("Flux controllers ready in %s", time.Since(start).Round(time.Millisecond))

	g := newGitOpsEnv(t)
	ns := newNamespace(t)
	name := "console-" + ns // the Kustomization (and GitRepository) in flux-system
	con := g.console(t, "flux", true, func(cfg *app.Config) {
		cfg.Sync = app.SyncConfig{FluxKustomization: flux.Namespace + "/" + name, Interval: time.Second}
	})
	ws := dialStream(t, con, false)
	ws.send(stream.Request{Type: stream.TypeSubscribe, ID: "s", Kinds: []string{"providers", "sync"}, Namespace: ns})
	ws.expect(stream.TypeSubscribed, stream.TypeSnapshot)
	report := func() syncReport {
		var r syncReport
		if resp := getJSON(t, con.URL+"/api/v1/sync?namespace="+ns, &r); resp.Status != 200 {
			t.Fatalf("GET /api/v1/sync: %d %s", resp.Status, resp.Body)
		}
		return r
	}
	commits := func() int {
		if g.repo.Head(t, "main") == "" {
			return 0
		}
		return len(strings.Fields(g.repo.Git(t, "rev-list", "--first-parent", "main")))
	}

	// 1. Create: exactly one commit, the Secret encrypted.
	key := g.canary(t)
	before := commits()
	created := time.Now()
	r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, openAIWithKey("openai", key))
	var ans gitWriteAnswer
	r.decode(t, &ans)
	if r.Status != 201 || ans.GitOps == nil {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	c1 := ans.GitOps.Commit
	if n := commits(); n != before+1 || g.repo.Head(t, "main") != c1 {
		t.Fatalf("%d commits (want %d), head %s (want %s)", n, before+1, g.repo.Head(t, "main"), c1)
	}
	files := objectFiles(t, g.repo, ns)
	var secretName string
	for _, f := range files {
		if strings.Contains(f, "/secret/") {
			secretName = strings.TrimSuffix(path.Base(f), ".yaml")
			body := g.repo.Show(t, "main", f)
			if !strings.Contains(body, "ENC[AES256_GCM,") || strings.Contains(body, key) {
				t.Fatalf("the committed Secret is not SOPS-encrypted:\n%s", body)
			}
		}
	}
	if secretName == "" || len(files) < 3 {
		t.Fatalf("committed files: %v", files)
	}
	t.Logf("commit %s: %d files %v", c1[:12], len(files), files)
	rep := report()
	if rep.Applier.Type != "FluxKustomization" || rep.Counts.Pending != len(files) {
		t.Fatalf("before Flux: %+v", rep)
	}

	// 2. Flux applies the commit.
	if err := fx.CreateGitRepository(ctx, flux.GitRepository{Name: name, URL: g.repo.URL}); err != nil {
		t.Fatal(err)
	}
	if err := fx.CreateKustomization(ctx, flux.Kustomization{Name: name, Source: name, Path: "./clusters/default", AgeIdentity: g.identity.String()}); err != nil {
		t.Fatal(err)
	}
	fluxStart := time.Now()
	wait := func(sha string) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 3*time.Minute)
		defer wcancel()
		if err := fx.WaitApplied(wctx, "", name, name, flux.Revision("main", sha)); err != nil {
			t.Fatal(err)
		}
	}
	wait(c1)
	appliedAt := time.Now()
	t.Logf("Flux applied %s %s after the GitRepository and Kustomization were created (%s after the commit)",
		c1[:12], appliedAt.Sub(fluxStart).Round(time.Millisecond), appliedAt.Sub(created).Round(time.Millisecond))
	var secret corev1.Secret
	if err := adminClient(t).Get(ctx, client.ObjectKey{Namespace: ns, Name: secretName}, &secret); err != nil {
		t.Fatal(err)
	}
	decrypted := false
	for k, v := range secret.Data {
		if string(v) == key {
			decrypted = true
		}
		if k == "sops" {
			t.Error("the Secret in the cluster carries SOPS metadata")
		}
	}
	if !decrypted {
		t.Fatalf("the cluster Secret %s does not hold the decrypted key (keys %d)", secretName, len(secret.Data))
	}

	// 3. The stream says provider_created and every object Synced at c1.
	var providerCreated time.Time
	synced := map[string]syncstatus.Object{}
	allSynced := func(commit string) bool {
		if len(synced) != len(files) {
			return false
		}
		for _, o := range synced {
			if o.State != syncstatus.Synced || o.DesiredCommit != commit {
				return false
			}
		}
		return true
	}
	var syncedAt time.Time
	deadline := time.Now().Add(30 * time.Second)
	for providerCreated.IsZero() || syncedAt.IsZero() {
		m, ok := ws.tryNext(time.Until(deadline))
		if !ok {
			t.Fatalf("stream: provider_created at %v, sync %+v", providerCreated, synced)
		}
		switch m.env.Type {
		case "provider_created":
			providerCreated = m.at
		case "sync_created", "sync_updated":
			it := m.item(t)
			var o syncstatus.Object
			if err := json.Unmarshal(it.Object, &o); err != nil {
				t.Fatal(err)
			}
			synced[it.Name] = o
			if allSynced(c1) && syncedAt.IsZero() {
				syncedAt = m.at
			}
		}
	}
	t.Logf("after the commit: provider_created +%s, every object's sync Synced at %s +%s (Flux's status seen at +%s, polled every 250ms)",
		providerCreated.Sub(created).Round(time.Millisecond), c1[:12], syncedAt.Sub(created).Round(time.Millisecond), appliedAt.Sub(created).Round(time.Millisecond))
	var p syncedProviderView
	getJSON(t, con.URL+"/api/v1/providers/openai?namespace="+ns, &p)
	if p.Sync == nil || p.Sync.State != syncstatus.Synced || p.Sync.DesiredCommit != c1 {
		t.Fatalf("GET provider sync: %+v, want Synced at %s", p.Sync, c1)
	}
	if rep := report(); rep.Counts.Synced != len(files) || !strings.HasSuffix(rep.Objects[0].DesiredCommit, c1) {
		t.Fatalf("GET /api/v1/sync: %+v", rep)
	}

	// 4. A hand edit of the Backend: Drifted naming the field (Flux has
	// applied c1, so no grace applies); Flux's next reconcile undoes it.
	be := &unstructured.Unstructured{}
	be.SetAPIVersion("gateway.envoyproxy.io/v1alpha1")
	be.SetKind("Backend")
	if err := adminClient(t).Get(ctx, client.ObjectKey{Namespace: ns, Name: "openai"}, be); err != nil {
		t.Fatal(err)
	}
	eps, _, _ := unstructured.NestedSlice(be.Object, "spec", "endpoints")
	_ = unstructured.SetNestedField(eps[0].(map[string]any), "evil.example.com", "fqdn", "hostname")
	_ = unstructured.SetNestedSlice(be.Object, eps, "spec", "endpoints")
	if err := adminClient(t).Update(ctx, be); err != nil {
		t.Fatal(err)
	}
	edited := time.Now()
	nextSync := func(what string, cond func(syncstatus.Object) bool) time.Duration {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			m, ok := ws.tryNext(time.Until(deadline))
			if !ok {
				t.Fatalf("stream: no sync event for %s", what)
			}
			if m.env.Type != "sync_updated" || m.item(t).Name != "backends/openai" {
				continue
			}
			var o syncstatus.Object
			if err := json.Unmarshal(m.item(t).Object, &o); err != nil {
				t.Fatal(err)
			}
			synced["backends/openai"] = o
			if cond(o) {
				return time.Since(edited)
			}
		}
	}
	took := nextSync("Drifted", func(o syncstatus.Object) bool {
		return o.State == syncstatus.Drifted && slices.Contains(o.Fields, "spec.endpoints[0].fqdn.hostname")
	})
	t.Logf("hand edit → Drifted naming spec.endpoints[0].fqdn.hostname after %s", took.Round(time.Millisecond))
	if err := fx.Reconcile(ctx, "", name, name); err != nil {
		t.Fatal(err)
	}
	took = nextSync("Synced again", func(o syncstatus.Object) bool { return o.State == syncstatus.Synced })
	t.Logf("Flux reconciled the drift away: Synced again %s after the edit", took.Round(time.Millisecond))

	// 5. DELETE: the files go in one commit, Flux prunes.
	before = commits()
	r = call(t, "DELETE", con.URL+"/api/v1/providers/openai?namespace="+ns, nil)
	r.decode(t, &ans)
	if r.Status != 200 || ans.GitOps == nil {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	c2 := ans.GitOps.Commit
	if n := commits(); n != before+1 {
		t.Fatalf("delete made %d commits", n-before)
	}
	if left := objectFiles(t, g.repo, ns); len(left) != 0 {
		t.Fatalf("files left after DELETE: %v", left)
	}
	for _, o := range report().Objects {
		if o.State != syncstatus.Pending || o.Operation != syncstatus.Delete || o.DesiredCommit != c2 {
			t.Errorf("before the prune: %+v", o)
		}
	}
	pruneStart := time.Now()
	if err := fx.Reconcile(ctx, "", name, name); err != nil {
		t.Fatal(err)
	}
	wait(c2)
	pruned := time.Now()
	var providerDeleted time.Time
	deadline = time.Now().Add(30 * time.Second)
	for providerDeleted.IsZero() || len(synced) > 0 {
		m, ok := ws.tryNext(time.Until(deadline))
		if !ok {
			t.Fatalf("stream: provider_deleted at %v, sync left %+v", providerDeleted, synced)
		}
		switch m.env.Type {
		case "provider_deleted":
			providerDeleted = m.at
		case "sync_deleted":
			delete(synced, m.item(t).Name)
		}
	}
	t.Logf("DELETE %s: after the reconcile request, provider_deleted +%s, Flux's status seen at +%s",
		c2[:12], providerDeleted.Sub(pruneStart).Round(time.Millisecond), pruned.Sub(pruneStart).Round(time.Millisecond))
	if r := call(t, "GET", con.URL+"/api/v1/providers/openai?namespace="+ns, nil); r.Status != 404 {
		t.Errorf("GET after the prune: %d", r.Status)
	}
	if err := adminClient(t).Get(ctx, client.ObjectKey{Namespace: ns, Name: secretName}, &secret); !apierrors.IsNotFound(err) {
		t.Errorf("the Secret after the prune: %v", err)
	}
}
