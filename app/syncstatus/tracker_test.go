package syncstatus

import (
	"context"
	"encoding/base64"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"filippo.io/age"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/gitops"
)

// fixture is one console replica's sync side over a real Git server and the
// real API server.
type fixture struct {
	ns      string
	sink    *gitops.Sink
	cache   *cluster.Cache
	dyn     dynamic.Interface
	tracker *Tracker
	now     atomic.Pointer[time.Time]
	applied atomic.Pointer[string]
	events  *recorder
}

// staticApplier reports the revision a test sets, as the Flux reader
// reports the Kustomization's (the e2e runs the real Flux).
type staticApplier struct{ f *fixture }

func (a staticApplier) Applied(context.Context) (Applier, error) {
	rev := *a.f.applied.Load()
	return Applier{Type: "FluxKustomization", Namespace: "flux-system", Name: "console", LastAppliedRevision: rev, LastAppliedCommit: RevisionCommit(rev)}, nil
}

type recorder struct {
	mu     sync.Mutex
	events []hub.Event
}

func (r *recorder) Publish(events ...hub.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, events...)
}

func (r *recorder) take() []hub.Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.events
	r.events = nil
	return out
}

func newFixture(t *testing.T, withApplier bool) *fixture {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	f := &fixture{ns: env.Namespace(t), events: &recorder{}}
	start := time.Now()
	f.now.Store(&start)
	empty := ""
	f.applied.Store(&empty)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	f.sink, err = gitops.New(ctx, gitops.Options{URL: gitServer(t), CacheDir: t.TempDir(), Recipients: []string{id.Recipient().String()}, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	h, err := f.sink.History(gitops.HistoryOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if f.dyn, err = dynamic.NewForConfig(env.Admin); err != nil {
		t.Fatal(err)
	}
	if f.cache, err = cluster.NewCache(f.dyn, cluster.CacheOptions{Namespaces: []string{f.ns}}); err != nil {
		t.Fatal(err)
	}
	opts := Options{History: h, Live: f.cache, Publisher: f.events, Grace: time.Minute, Branch: "main", Path: "clusters/default",
		Now: func() time.Time { return *f.now.Load() }, Logger: slog.New(slog.DiscardHandler)}
	if withApplier {
		opts.Applier = staticApplier{f}
	}
	if f.tracker, err = New(opts); err != nil {
		t.Fatal(err)
	}
	f.cache.Start(ctx)
	if !f.cache.WaitForSync(ctx) {
		t.Fatal("cache did not sync")
	}
	return f
}

func (f *fixture) commit(t *testing.T, cs sink.ChangeSet) string {
	t.Helper()
	res, err := f.sink.Apply(context.Background(), cs)
	if err != nil {
		t.Fatal(err)
	}
	return gitops.CommitOf(res)
}

func (f *fixture) report(t *testing.T) *Report {
	t.Helper()
	r, err := f.tracker.Report(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// waitReport reports until cond holds (the cache follows the API server
// within milliseconds).
func (f *fixture) waitReport(t *testing.T, what string, cond func(*Report) bool) *Report {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		r := f.report(t)
		if cond(r) {
			return r
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last report: %+v", what, r.Objects)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (f *fixture) advance(d time.Duration) {
	n := f.now.Load().Add(d)
	f.now.Store(&n)
}

// create applies objects to the cluster as an applier would.
func (f *fixture) create(t *testing.T, objs ...*unstructured.Unstructured) {
	t.Helper()
	for _, u := range objs {
		k, _ := cluster.KindOf(u.GroupVersionKind().GroupKind())
		if _, err := f.dyn.Resource(k.GVR()).Namespace(u.GetNamespace()).Create(context.Background(), u.DeepCopy(), metav1.CreateOptions{}); err != nil {
			t.Fatalf("create %s: %v", u.GetName(), err)
		}
	}
}

func backendObj(ns, name, host string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.envoyproxy.io/v1alpha1", "kind": "Backend",
		"metadata": map[string]any{"name": name, "namespace": ns, "labels": map[string]any{"app.kubernetes.io/managed-by": "aigw-console"}},
		"spec":     map[string]any{"endpoints": []any{map[string]any{"fqdn": map[string]any{"hostname": host, "port": int64(443)}}}},
	}}
}

func secretObj(ns, name, value string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": name, "namespace": ns},
		"data":     map[string]any{"apiKey": base64.StdEncoding.EncodeToString([]byte(value))},
	}}
}

func find(r *Report, k cluster.Kind, ns, name string) Object {
	o, _ := r.Lookup(k, ns, name)
	return o
}

// TestTrackerGracePeriod walks one object set through create, apply, a
// hand edit, a key rotation and a delete, deciding "applied" by the grace
// period (no applier configured).
func TestTrackerGracePeriod(t *testing.T) {
	f := newFixture(t, false)
	be, sec := backendObj(f.ns, "openai", "api.openai.com"), secretObj(f.ns, "openai-key", "sk-tracker-canary")
	c1 := f.commit(t, sink.ChangeSet{Apply: []*unstructured.Unstructured{be, sec}})

	// Committed, not live: pending creation, listed from Git.
	r := f.report(t)
	if r.Head != c1 || len(r.Objects) != 2 || r.Counts.Pending != 2 || r.Applier.Type != "GracePeriod" {
		t.Fatalf("after the commit: head %s (want %s), %+v", r.Head, c1, r)
	}
	for _, o := range r.Objects {
		if o.State != Pending || o.Operation != Create || o.DesiredCommit != c1 || o.CommittedAt == nil {
			t.Errorf("%s: %+v, want Pending create at %s", o.Name, o, c1)
		}
	}
	pending := r.PendingCreations(cluster.Secret, f.ns)
	if len(pending) != 1 || pending[0].Object["data"] != nil {
		t.Fatalf("pending Secret: %v", pending)
	}
	if keys, _ := pending[0].Object[cluster.SecretKeysField].(map[string]any); len(keys) != 1 || keys["apiKey"] != "" {
		t.Errorf("pending Secret keys: %v", pending[0].Object)
	}
	if got := f.events.take(); len(got) != 2 || got[0].Key.Kind != KindSync {
		t.Errorf("events after the commit: %+v", got)
	}

	// The grace period passes with nothing applied: missing objects drift.
	f.advance(2 * time.Minute)
	if o := find(f.report(t), cluster.Backend, f.ns, "openai"); o.State != Drifted || o.Operation != Create {
		t.Fatalf("unapplied after the grace: %+v", o)
	}
	f.advance(-2 * time.Minute)

	// The applier creates them: the Backend is Synced at once; the Secret
	// has the same keys but its value cannot be compared, so it stays
	// Pending for the grace period.
	f.create(t, be, sec)
	r = f.waitReport(t, "both objects live", func(r *Report) bool {
		return find(r, cluster.Backend, f.ns, "openai").LiveResourceVersion != "" && find(r, cluster.Secret, f.ns, "openai-key").LiveResourceVersion != ""
	})
	if o := find(r, cluster.Backend, f.ns, "openai"); o.State != Synced || o.Operation != "" || o.DesiredCommit != c1 {
		t.Errorf("live Backend: %+v", o)
	}
	if o := find(r, cluster.Secret, f.ns, "openai-key"); o.State != Pending || o.Operation != Update {
		t.Errorf("live Secret within the grace: %+v", o)
	}
	if len(r.PendingCreations(cluster.Backend, "")) != 0 {
		t.Error("a live object is still listed as pending creation")
	}
	f.advance(2 * time.Minute)
	if o := find(f.report(t), cluster.Secret, f.ns, "openai-key"); o.State != Synced {
		t.Errorf("Secret after the grace: %+v", o)
	}

	// A hand edit in the cluster: Drifted, naming the field.
	live, err := f.dyn.Resource(cluster.Backend.GVR()).Namespace(f.ns).Get(context.Background(), "openai", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_ = unstructured.SetNestedSlice(live.Object, []any{map[string]any{"fqdn": map[string]any{"hostname": "evil.example.com", "port": int64(443)}}}, "spec", "endpoints")
	if _, err := f.dyn.Resource(cluster.Backend.GVR()).Namespace(f.ns).Update(context.Background(), live, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	r = f.waitReport(t, "the drift", func(r *Report) bool { return find(r, cluster.Backend, f.ns, "openai").State == Drifted })
	if o := find(r, cluster.Backend, f.ns, "openai"); o.Operation != Update || !slices.Equal(o.Fields, []string{"spec.endpoints[0].fqdn.hostname"}) {
		t.Errorf("drifted Backend: %+v", o)
	}
	f.events.take()

	// Delete in Git: the live object is pending deletion at the delete
	// commit; once it is gone it leaves the report with a sync_deleted.
	n := time.Now()
	f.now.Store(&n)
	c2 := f.commit(t, sink.ChangeSet{Delete: []sink.Ref{sink.RefOf(be)}})
	r = f.report(t)
	if o := find(r, cluster.Backend, f.ns, "openai"); o.State != Pending || o.Operation != Delete || o.DesiredCommit != c2 {
		t.Fatalf("after the delete commit: %+v (want Pending delete at %s)", o, c2)
	}
	if err := f.dyn.Resource(cluster.Backend.GVR()).Namespace(f.ns).Delete(context.Background(), "openai", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	r = f.waitReport(t, "the pruned Backend to leave the report", func(r *Report) bool {
		_, ok := r.Lookup(cluster.Backend, f.ns, "openai")
		return !ok
	})
	if len(r.Objects) != 1 {
		t.Errorf("objects after the prune: %+v", r.Objects)
	}
	var deleted bool
	for _, e := range f.events.take() {
		if e.Op == hub.Deleted && e.Key == (hub.Key{Kind: KindSync, Namespace: f.ns, Name: "backends/openai"}) {
			deleted = true
		}
	}
	if !deleted {
		t.Error("no sync delete event for the pruned Backend")
	}
}

// TestTrackerApplier decides with the applier's last applied revision: a
// change is Pending until the applier reports its commit (or a later one),
// and a difference after that is drift.
func TestTrackerApplier(t *testing.T) {
	f := newFixture(t, true)
	be, sec := backendObj(f.ns, "openai", "api.openai.com"), secretObj(f.ns, "openai-key", "sk-one")
	c1 := f.commit(t, sink.ChangeSet{Apply: []*unstructured.Unstructured{be, sec}})
	f.create(t, be, sec)
	// Both kinds come from informers of their own: wait for each.
	f.waitReport(t, "live objects", func(r *Report) bool {
		return find(r, cluster.Secret, f.ns, "openai-key").LiveResourceVersion != "" && find(r, cluster.Backend, f.ns, "openai").LiveResourceVersion != ""
	})

	// The applier has applied nothing yet: the Secret (value unknown) is
	// Pending even long after the commit; the Backend matches and is Synced.
	f.advance(time.Hour)
	r := f.report(t)
	if o := find(r, cluster.Secret, f.ns, "openai-key"); o.State != Pending {
		t.Errorf("Secret before the applier reports: %+v", o)
	}
	if o := find(r, cluster.Backend, f.ns, "openai"); o.State != Synced {
		t.Errorf("Backend: %+v", o)
	}

	rev := "main@sha1:" + c1
	f.applied.Store(&rev)
	r = f.report(t)
	if r.Applier.LastAppliedCommit != c1 || r.Counts.Synced != 2 {
		t.Fatalf("after the applier reported %s: %+v", c1, r)
	}

	// Rotate the key and add a second Backend: both Pending until applied.
	c2 := f.commit(t, sink.ChangeSet{Apply: []*unstructured.Unstructured{secretObj(f.ns, "openai-key", "sk-two"), backendObj(f.ns, "azure", "azure.example.com")}})
	r = f.report(t)
	if o := find(r, cluster.Secret, f.ns, "openai-key"); o.State != Pending || o.DesiredCommit != c2 {
		t.Errorf("rotated Secret: %+v", o)
	}
	if o := find(r, cluster.Backend, f.ns, "azure"); o.State != Pending || o.Operation != Create {
		t.Errorf("new Backend: %+v", o)
	}
	if o := find(r, cluster.Backend, f.ns, "openai"); o.State != Synced || o.DesiredCommit != c1 {
		t.Errorf("untouched Backend: %+v", o)
	}
	// Applied, but the new Backend never appeared: that is drift.
	rev = "main@sha1:" + c2
	f.applied.Store(&rev)
	r = f.report(t)
	if o := find(r, cluster.Backend, f.ns, "azure"); o.State != Drifted || o.Operation != Create {
		t.Errorf("applied but missing: %+v", o)
	}
	if o := find(r, cluster.Secret, f.ns, "openai-key"); o.State != Synced {
		t.Errorf("rotated Secret after the applier: %+v", o)
	}
}

func TestRevisionCommit(t *testing.T) {
	sha := "0123456789abcdef0123456789abcdef01234567"
	for in, want := range map[string]string{
		"main@sha1:" + sha: sha, "main/" + sha: sha, sha: sha, "": "", "main@sha1:short": "", "main@sha256:" + sha + "00": "",
	} {
		if got := RevisionCommit(in); got != want {
			t.Errorf("RevisionCommit(%q) = %q, want %q", in, got, want)
		}
	}
	if ns, n, err := ParseKustomization("flux-system/console"); err != nil || ns != "flux-system" || n != "console" {
		t.Errorf("ParseKustomization: %q %q %v", ns, n, err)
	}
	for _, bad := range []string{"", "console", "/console", "a/b/c", "ns/"} {
		if _, _, err := ParseKustomization(bad); err == nil {
			t.Errorf("ParseKustomization(%q) accepted", bad)
		}
	}
}

func TestDiff(t *testing.T) {
	desired := backendObj("ns", "b", "a.example.com")
	live := backendObj("ns", "b", "a.example.com")
	live.Object["status"] = map[string]any{"conditions": []any{}}
	live.SetResourceVersion("42")
	live.Object["spec"].(map[string]any)["extra"] = "defaulted" // server-set: not drift
	if d := Diff(desired, live); len(d) != 0 {
		t.Errorf("equal objects differ at %v", d)
	}
	live.SetLabels(nil)
	live.Object["spec"].(map[string]any)["endpoints"] = []any{map[string]any{"fqdn": map[string]any{"hostname": "b.example.com", "port": float64(443)}}}
	if d := Diff(desired, live); !slices.Equal(d, []string{"metadata.labels", "spec.endpoints[0].fqdn.hostname"}) {
		t.Errorf("diff %v", d)
	}
	s := secretObj("ns", "s", "one")
	reduced := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
		"metadata": map[string]any{"name": "s"}, cluster.SecretKeysField: map[string]any{"apiKey": cluster.Fingerprint([]byte("other"))}}}
	if d := Diff(s, reduced); len(d) != 0 {
		t.Errorf("Secrets with the same keys differ at %v (values are never compared)", d)
	}
	reduced.Object[cluster.SecretKeysField] = map[string]any{"token": "sha256:00000000"}
	if d := Diff(s, reduced); !slices.Equal(d, []string{"data.apiKey", "data.token"}) {
		t.Errorf("Secret key diff %v", d)
	}
}
