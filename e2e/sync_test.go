package e2e

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/app/stream"
	"github.com/aigw-console/aigw-console/app/syncstatus"
	"github.com/aigw-console/aigw-console/e2e/flux"
	"github.com/aigw-console/aigw-console/e2e/gitserver"
	"github.com/aigw-console/aigw-console/e2e/localtool"
)

// syncReport is GET /api/v1/sync.
type syncReport struct {
	Head    string `json:"head"`
	Applier struct {
		Type string `json:"type"`
	} `json:"applier"`
	Counts  syncstatus.Counts   `json:"counts"`
	Objects []syncstatus.Object `json:"objects"`
}

// syncedProviderView is a provider view with its sync summary.
type syncedProviderView struct {
	Name string              `json:"name"`
	Sync *syncstatus.Summary `json:"sync"`
}

// fluxFor runs real Flux (source- and kustomize-controller) for the test's
// repository: a GitRepository and a Kustomization named name in
// flux-system, created once the first commit exists (create). sync asks
// for a reconcile and waits until Flux has applied the head commit.
type fluxFor struct {
	t    *testing.T
	g    *gitopsEnv
	fx   *flux.Flux
	name string
}

func startFlux(t *testing.T, g *gitopsEnv, name string) *fluxFor {
	t.Helper()
	binDir := localtool.Require(t, flux.MakeTarget, flux.Binaries...)
	fx, err := flux.Start(context.Background(), env.Admin, flux.Options{BinDir: binDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fx.Stop() })
	return &fluxFor{t: t, g: g, fx: fx, name: name}
}

func (f *fluxFor) create() {
	f.t.Helper()
	ctx := context.Background()
	if err := f.fx.CreateGitRepository(ctx, flux.GitRepository{Name: f.name, URL: f.g.repo.URL}); err != nil {
		f.t.Fatal(err)
	}
	if err := f.fx.CreateKustomization(ctx, flux.Kustomization{Name: f.name, Source: f.name, Path: "./clusters/default", AgeIdentity: f.g.identity.String()}); err != nil {
		f.t.Fatal(err)
	}
}

func (f *fluxFor) sync(sha string) {
	f.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	if err := f.fx.Reconcile(ctx, "", f.name, f.name); err != nil {
		f.t.Fatal(err)
	}
	if err := f.fx.WaitApplied(ctx, "", f.name, f.name, flux.Revision("main", sha)); err != nil {
		f.t.Fatal(err)
	}
}

// TestSyncStatusGitOps follows a provider made through the REST API in
// GitOps mode from its commit to the cluster and back, with the console
// deciding by the grace period (no --sync-flux-kustomization; real Flux
// applies the repository): Pending (listed from Git) → applied → Synced at
// the commit, a hand edit → Drifted naming the field, reconciled → Synced,
// DELETE → pending deletion → pruned → gone; the WebSocket stream reports
// each step as sync events.
func TestSyncStatusGitOps(t *testing.T) {
	g := newGitOpsEnv(t)
	ns := newNamespace(t)
	const grace = 5 * time.Second
	con := g.console(t, "sync", true, func(cfg *app.Config) {
		cfg.Sync = app.SyncConfig{Grace: grace, Interval: time.Second}
	})
	ws := dialStream(t, con, false)
	ws.send(stream.Request{Type: stream.TypeSubscribe, ID: "s", Kinds: []string{"providers", "sync"}, Namespace: ns})
	ws.expect(stream.TypeSubscribed, stream.TypeSnapshot)
	applier := startFlux(t, g, "grace-"+ns)
	report := func() syncReport {
		var r syncReport
		if resp := getJSON(t, con.URL+"/api/v1/sync?namespace="+ns, &r); resp.Status != 200 {
			t.Fatalf("GET /api/v1/sync: %d %s", resp.Status, resp.Body)
		}
		return r
	}
	providerSync := func() *syncstatus.Summary {
		var p syncedProviderView
		if resp := getJSON(t, con.URL+"/api/v1/providers/openai?namespace="+ns, &p); resp.Status != 200 {
			t.Fatalf("GET provider: %d %s", resp.Status, resp.Body)
		}
		return p.Sync
	}

	// Create: one commit, every object Pending creation at that commit,
	// the provider listed from Git before anything is live.
	start := time.Now()
	r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, openAIWithKey("openai", g.canary(t)))
	var created gitWriteAnswer
	r.decode(t, &created)
	if r.Status != 201 || created.GitOps == nil {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	c1 := created.GitOps.Commit
	files := objectFiles(t, g.repo, ns)
	rep := report()
	if rep.Head != c1 || rep.Applier.Type != "GracePeriod" || len(rep.Objects) != len(files) || rep.Counts.Pending != len(files) {
		t.Fatalf("right after the commit: head %s (want %s), %d objects for %d files: %+v", rep.Head, c1, len(rep.Objects), len(files), rep)
	}
	for _, o := range rep.Objects {
		if o.State != syncstatus.Pending || o.Operation != syncstatus.Create || o.DesiredCommit != c1 || !slices.Contains(files, o.Path) {
			t.Errorf("%s: %+v, want Pending create at %s", o.Path, o, c1)
		}
	}
	var list struct {
		Items []syncedProviderView `json:"items"`
	}
	getJSON(t, con.URL+"/api/v1/providers?namespace="+ns, &list)
	if len(list.Items) != 1 || list.Items[0].Name != "openai" || list.Items[0].Sync == nil || list.Items[0].Sync.State != syncstatus.Pending || list.Items[0].Sync.DesiredCommit != c1 {
		t.Fatalf("the list does not show the provider pending creation: %+v", list.Items)
	}
	seen := map[string]syncstatus.Object{}
	collect := func(what string, done func() bool) {
		t.Helper()
		deadline := time.Now().Add(40 * time.Second)
		for !done() {
			m, ok := ws.tryNext(time.Until(deadline))
			if !ok {
				t.Fatalf("stream: timed out waiting for %s; seen %+v", what, seen)
			}
			if !strings.HasPrefix(m.env.Type, "sync_") {
				continue
			}
			it := m.item(t)
			if m.env.Type == "sync_deleted" {
				delete(seen, it.Name)
				continue
			}
			var o syncstatus.Object
			if err := json.Unmarshal(it.Object, &o); err != nil {
				t.Fatal(err)
			}
			seen[it.Name] = o
		}
	}
	allIn := func(state syncstatus.State, commit string) func() bool {
		return func() bool {
			if len(seen) != len(files) {
				return false
			}
			for _, o := range seen {
				if o.State != state || o.DesiredCommit != commit {
					return false
				}
			}
			return true
		}
	}
	collect("sync_created Pending for every file", allIn(syncstatus.Pending, c1))

	// The applier applies the commit: the objects appear (provider_created)
	// and every object becomes Synced at c1 (the Secret once the grace
	// period shows no applier would still change it: its value cannot be
	// compared).
	applier.create()
	applier.sync(c1)
	applied := time.Now()
	collect("every object Synced at "+c1, allIn(syncstatus.Synced, c1))
	t.Logf("commit → Synced: %s (applied after %s; the Secret waits for the %s grace period)", time.Since(start).Round(time.Millisecond), applied.Sub(start).Round(time.Millisecond), grace)
	if s := providerSync(); s == nil || s.State != syncstatus.Synced || s.DesiredCommit != c1 || len(s.Objects) != len(files) {
		t.Fatalf("provider sync: %+v", s)
	}
	var raw map[string]any
	getJSON(t, con.URL+"/api/v1/resources/aiservicebackends/openai?namespace="+ns, &raw)
	if st, _, _ := unstructured.NestedString(raw, "sync", "state"); st != string(syncstatus.Synced) {
		t.Errorf("raw view sync: %v", raw["sync"])
	}

	// A hand edit of the Backend: Drifted, naming the field.
	be := &unstructured.Unstructured{}
	be.SetAPIVersion("gateway.envoyproxy.io/v1alpha1")
	be.SetKind("Backend")
	if err := adminClient(t).Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "openai"}, be); err != nil {
		t.Fatal(err)
	}
	eps, _, _ := unstructured.NestedSlice(be.Object, "spec", "endpoints")
	_ = unstructured.SetNestedField(eps[0].(map[string]any), "evil.example.com", "fqdn", "hostname")
	_ = unstructured.SetNestedSlice(be.Object, eps, "spec", "endpoints")
	if err := adminClient(t).Update(context.Background(), be); err != nil {
		t.Fatal(err)
	}
	collect("the Backend Drifted", func() bool { return seen["backends/openai"].State == syncstatus.Drifted })
	if o := seen["backends/openai"]; o.Operation != syncstatus.Update || !slices.Contains(o.Fields, "spec.endpoints[0].fqdn.hostname") {
		t.Errorf("drifted Backend: %+v", o)
	}
	if s := providerSync(); s.State != syncstatus.Drifted {
		t.Errorf("provider sync with a drifted Backend: %+v", s)
	}
	applier.sync(c1)
	collect("the Backend Synced again", func() bool { return seen["backends/openai"].State == syncstatus.Synced })

	// Delete: the files go in one commit; the objects are pending deletion
	// at it until pruned, then leave the report.
	r = call(t, "DELETE", con.URL+"/api/v1/providers/openai?namespace="+ns, nil)
	var deleted gitWriteAnswer
	r.decode(t, &deleted)
	if r.Status != 200 || deleted.GitOps == nil {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	c2 := deleted.GitOps.Commit
	rep = report()
	if rep.Head != c2 || len(rep.Objects) != len(files) {
		t.Fatalf("after the delete commit: %+v", rep)
	}
	for _, o := range rep.Objects {
		if o.State != syncstatus.Pending || o.Operation != syncstatus.Delete || o.DesiredCommit != c2 {
			t.Errorf("%s: %+v, want Pending delete at %s", o.Path, o, c2)
		}
	}
	pruneStart := time.Now()
	applier.sync(c2)
	var providerDeleted bool
	deadline := time.Now().Add(20 * time.Second)
	for !providerDeleted || len(seen) > 0 {
		m, ok := ws.tryNext(time.Until(deadline))
		if !ok {
			t.Fatalf("stream: provider_deleted %v, sync items left %+v", providerDeleted, seen)
		}
		switch m.env.Type {
		case "provider_deleted":
			providerDeleted = true
		case "sync_deleted":
			delete(seen, m.item(t).Name)
		}
	}
	t.Logf("prune → provider_deleted and every sync_deleted: %s", time.Since(pruneStart).Round(time.Millisecond))
	if rep := report(); len(rep.Objects) != 0 {
		t.Errorf("objects left after the prune: %+v", rep.Objects)
	}
}

// TestSyncStatusDirectMode: without GitOps mode there is no sync status.
func TestSyncStatusDirectMode(t *testing.T) {
	con := startConsole(t)
	r := call(t, "GET", con.URL+"/api/v1/sync", nil)
	if p := r.problem(t); r.Status != 404 || p.Code != "NotGitOpsMode" {
		t.Fatalf("GET /api/v1/sync in direct mode: %d %s", r.Status, r.Body)
	}
}

// TestSyncStatusSeesOtherWriters: commits the console did not make itself
// (another replica's, a pull request merged on the forge) show up in the
// sync status within --sync-interval, at their own commits: the merge
// commit for a merged pull request.
func TestSyncStatusSeesOtherWriters(t *testing.T) {
	g := newGitOpsEnv(t)
	ns := newNamespace(t)
	con := g.console(t, "reader", true, func(cfg *app.Config) {
		cfg.Sync = app.SyncConfig{Grace: time.Hour, Interval: time.Second}
	})
	ws := dialStream(t, con, false)
	ws.send(stream.Request{Type: stream.TypeSubscribe, ID: "s", Kinds: []string{"sync"}, Namespace: ns})
	ws.expect(stream.TypeSubscribed, stream.TypeSnapshot)
	backend := func(name string) string {
		return "apiVersion: gateway.envoyproxy.io/v1alpha1\nkind: Backend\nmetadata:\n  name: " + name + "\n  namespace: " + ns +
			"\nspec:\n  endpoints:\n  - fqdn:\n      hostname: " + name + ".example.com\n      port: 443\n"
	}
	waitEvent := func(name, commit string) time.Duration {
		t.Helper()
		start := time.Now()
		deadline := start.Add(20 * time.Second)
		for {
			m, ok := ws.tryNext(time.Until(deadline))
			if !ok {
				t.Fatalf("no sync event for %s at %s", name, commit)
			}
			if m.env.Type != "sync_created" && m.env.Type != "sync_updated" {
				continue
			}
			it := m.item(t)
			var o syncstatus.Object
			if err := json.Unmarshal(it.Object, &o); err != nil {
				t.Fatal(err)
			}
			if it.Name == "backends/"+name && o.DesiredCommit == commit {
				if o.State != syncstatus.Pending || o.Operation != syncstatus.Create {
					t.Errorf("%s: %+v", name, o)
				}
				return time.Since(start)
			}
		}
	}

	// Another replica pushes to main.
	other := g.repo.Commit(t, "main", "another replica", map[string]string{"clusters/default/" + ns + "/backend/other.yaml": backend("other")}, nil)
	t.Logf("another replica's commit seen after %s (interval 1s)", waitEvent("other", other).Round(time.Millisecond))

	// A pull request merged with a merge commit on the forge.
	g.repo.Commit(t, "pr-1", "add merged", map[string]string{"clusters/default/" + ns + "/backend/merged.yaml": backend("merged")}, nil)
	wt := filepath.Join(t.TempDir(), "wt")
	gitserver.Git(t, filepath.Dir(wt), "clone", "--quiet", g.repo.Dir, wt)
	gitserver.Git(t, wt, "merge", "--quiet", "--no-ff", "-m", "Merge pull request #1", "origin/pr-1")
	gitserver.Git(t, wt, "push", "--quiet", "origin", "HEAD:refs/heads/main")
	merge := g.repo.Head(t, "main")
	t.Logf("merged pull request seen at its merge commit after %s", waitEvent("merged", merge).Round(time.Millisecond))
	var rep syncReport
	getJSON(t, con.URL+"/api/v1/sync?namespace="+ns, &rep)
	if rep.Head != merge || len(rep.Objects) != 2 {
		t.Fatalf("report: %+v", rep)
	}
}
