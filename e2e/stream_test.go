package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/app/stream"
)

// The e2e tests of the live stream, GET /api/v1/ws (docs/websocket.md).
// Every message the server sends in them, and every message they send, is
// checked against docs/websocket.schema.json by streamClient.

// providerKindsAll are the kinds a provider's objects have, raw.
var providerKindsAll = []string{"secrets", "backends", "backendtlspolicies", "aiservicebackends", "backendsecuritypolicies"}

func subscribeReq(id, ns string, kinds ...string) stream.Request {
	return stream.Request{Type: stream.TypeSubscribe, ID: id, Kinds: kinds, Namespace: ns}
}

func openAIBody(name, key string) map[string]any {
	return map[string]any{"name": name, "template": "openai", "auth": map[string]any{"type": "APIKey", "apiKey": key}}
}

func providersURL(con *console, ns, name string) string {
	u := con.URL + "/api/v1/providers"
	if name != "" {
		u += "/" + name
	}
	return u + "?namespace=" + ns
}

// mustCall is call that fails the test unless the status is want.
func mustCall(t *testing.T, want int, method, url string, body any) response {
	t.Helper()
	r := call(t, method, url, body)
	if r.Status != want {
		t.Fatalf("%s %s: status %d, want %d: %s", method, url, r.Status, want, r.Body)
	}
	return r
}

// providerView is what the tests read of a provider view.
type providerView struct {
	Name            string `json:"name"`
	ResourceVersion string `json:"resourceVersion"`
	Objects         []struct {
		Kind string `json:"kind"`
		Name string `json:"name"`
	} `json:"objects"`
	Status struct {
		Conditions []struct {
			Kind, Type, Status string
		} `json:"conditions"`
	} `json:"status"`
}

// objectName returns the name of the provider's object of kind.
func (p providerView) objectName(t *testing.T, kind string) string {
	t.Helper()
	for _, o := range p.Objects {
		if o.Kind == kind {
			return o.Name
		}
	}
	t.Fatalf("provider %s has no %s", p.Name, kind)
	return ""
}

// restProvider reads a provider through the REST API; ok is false on 404.
func restProvider(t *testing.T, con *console, ns, name string) (providerView, bool) {
	t.Helper()
	r := call(t, "GET", providersURL(con, ns, name), nil)
	if r.Status == http.StatusNotFound {
		return providerView{}, false
	}
	if r.Status != http.StatusOK {
		t.Fatalf("GET provider %s: %d %s", name, r.Status, r.Body)
	}
	var p providerView
	r.decode(t, &p)
	return p, true
}

// fold applies messages to a view: kind/name -> object JSON, as a client
// does (a snapshot replaces everything).
func fold(t *testing.T, view map[string]json.RawMessage, msgs ...streamMsg) {
	t.Helper()
	for _, m := range msgs {
		switch {
		case m.env.Type == stream.TypeSnapshot:
			var s stream.SnapshotData
			if err := json.Unmarshal(m.env.Data, &s); err != nil {
				t.Fatal(err)
			}
			clear(view)
			for _, it := range s.Items {
				view[it.Kind+"/"+it.Name] = it.Object
			}
		case strings.HasSuffix(m.env.Type, "_deleted"):
			it := m.item(t)
			delete(view, it.Kind+"/"+it.Name)
		case strings.Contains(m.env.Type, "_"):
			if m.env.Type == stream.TypeResyncRequired {
				continue
			}
			it := m.item(t)
			view[it.Kind+"/"+it.Name] = it.Object
		}
	}
}

// settled reports whether the folded view shows each provider as the REST
// API does (absent when it is 404).
func settled(t *testing.T, con *console, ns string, view map[string]json.RawMessage, names ...string) bool {
	t.Helper()
	for _, n := range names {
		rest, ok := restProvider(t, con, ns, n)
		raw, seen := view["providers/"+n]
		if !ok {
			if seen {
				return false
			}
			continue
		}
		var got providerView
		if !seen || json.Unmarshal(raw, &got) != nil || got.ResourceVersion != rest.ResourceVersion {
			return false
		}
	}
	return true
}

// collect reads messages until done holds for everything read so far,
// checked whenever the stream is quiet for 100ms.
func collect(t *testing.T, c *streamClient, timeout time.Duration, view map[string]json.RawMessage, done func() bool) []streamMsg {
	t.Helper()
	var out []streamMsg
	deadline := time.Now().Add(timeout)
	for {
		m, ok := c.tryNext(100 * time.Millisecond)
		if ok {
			if m.err != nil {
				t.Fatalf("the connection ended: %v", m.err)
			}
			out = append(out, m)
			fold(t, view, m)
			continue
		}
		if done() {
			return out
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled after %s; got %d messages", timeout, len(out))
		}
	}
}

func typesOf(msgs []streamMsg) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.env.Type)
	}
	return out
}

// quiet checks that nothing more comes for a while: no duplicate, no
// stray event.
func quiet(t *testing.T, c *streamClient, d time.Duration) {
	t.Helper()
	if m, ok := c.tryNext(d); ok {
		t.Errorf("unexpected message: %.300s", m.raw)
	}
}

func patchMerge(t *testing.T, k cluster.Kind, ns, name, patch string, status bool) {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(k.GVK)
	u.SetNamespace(ns)
	u.SetName(name)
	p := client.RawPatch(types.MergePatchType, []byte(patch))
	var err error
	if status {
		err = adminClient(t).Status().Patch(context.Background(), u, p)
	} else {
		err = adminClient(t).Patch(context.Background(), u, p)
	}
	if err != nil {
		t.Fatalf("patch %s %s/%s: %v", k.Name, ns, name, err)
	}
}

func TestStreamProviderEventsArriveInOrder(t *testing.T) {
	ns := newNamespace(t)
	con := startConsole(t)
	canary := fmt.Sprintf("sk-stream-canary-%08x", rand.Uint32())
	c := dialStream(t, con, false)
	c.send(subscribeReq("p", ns, "providers"))
	first := c.expect(stream.TypeSubscribed, stream.TypeSnapshot)
	view := map[string]json.RawMessage{}
	fold(t, view, first...)
	if len(view) != 0 {
		t.Fatalf("the snapshot of a fresh namespace holds %d objects", len(view))
	}
	all := slices.Clone(first)
	phase := func(name string, change func()) []streamMsg {
		t.Helper()
		change()
		msgs := collect(t, c, 15*time.Second, view, func() bool { return settled(t, con, ns, view, "p1") })
		t.Logf("%s: %v", name, typesOf(msgs))
		all = append(all, msgs...)
		return msgs
	}
	onlyUpdates := func(t *testing.T, msgs []streamMsg) {
		t.Helper()
		for _, m := range msgs {
			if m.env.Type != "provider_updated" {
				t.Errorf("got %s, want only provider_updated", m.env.Type)
			}
		}
	}

	t.Run("a provider created through the REST API is created, then updated as its objects appear", func(t *testing.T) {
		msgs := phase("create", func() { mustCall(t, 201, "POST", providersURL(con, ns, ""), openAIBody("p1", canary)) })
		if len(msgs) == 0 || msgs[0].env.Type != "provider_created" {
			t.Fatalf("first event %v, want provider_created", typesOf(msgs))
		}
		onlyUpdates(t, msgs[1:])
	})
	t.Run("an update through the REST API is provider_updated", func(t *testing.T) {
		msgs := phase("update", func() { mustCall(t, 200, "PUT", providersURL(con, ns, "p1"), openAIBody("p1", canary+"-2")) })
		if len(msgs) == 0 {
			t.Fatal("no event")
		}
		onlyUpdates(t, msgs)
	})
	p1, _ := restProvider(t, con, ns, "p1")
	asb := p1.objectName(t, "AIServiceBackend")
	t.Run("one object changed by hand is exactly one provider_updated", func(t *testing.T) {
		msgs := phase("by hand", func() {
			patchMerge(t, cluster.AIServiceBackend, ns, asb, `{"metadata":{"annotations":{"e2e.aigw-console.io/by-hand":"yes"}}}`, false)
		})
		if diff := slices.Compare(typesOf(msgs), []string{"provider_updated"}); diff != 0 {
			t.Errorf("got %v, want one provider_updated", typesOf(msgs))
		}
	})
	t.Run("a status change is a provider_updated showing the condition", func(t *testing.T) {
		msgs := phase("status", func() {
			patchMerge(t, cluster.AIServiceBackend, ns, asb, `{"status":{"conditions":[{"type":"NotAccepted","status":"True","reason":"Invalid","message":"by the e2e test","lastTransitionTime":"2026-01-01T00:00:00Z"}]}}`, true)
		})
		if len(msgs) != 1 || msgs[0].env.Type != "provider_updated" {
			t.Fatalf("got %v, want one provider_updated", typesOf(msgs))
		}
		var v providerView
		_ = json.Unmarshal(msgs[0].item(t).Object, &v)
		if !slices.ContainsFunc(v.Status.Conditions, func(c struct{ Kind, Type, Status string }) bool {
			return c.Kind == "AIServiceBackend" && c.Type == "NotAccepted"
		}) {
			t.Errorf("the view does not show the NotAccepted condition: %+v", v.Status)
		}
	})
	t.Run("a delete through the REST API ends with provider_deleted", func(t *testing.T) {
		msgs := phase("delete", func() { mustCall(t, 200, "DELETE", providersURL(con, ns, "p1"), nil) })
		if len(msgs) == 0 || msgs[len(msgs)-1].env.Type != "provider_deleted" {
			t.Fatalf("got %v, want provider_deleted last", typesOf(msgs))
		}
		onlyUpdates(t, msgs[:len(msgs)-1])
		if it := msgs[len(msgs)-1].item(t); it.Name != "p1" || it.Namespace != ns || it.Kind != "providers" {
			t.Errorf("deleted item %+v", it)
		}
		quiet(t, c, 500*time.Millisecond)
	})
	t.Run("positions increase and no message carries the credential", func(t *testing.T) {
		var last uint64
		for _, m := range all {
			if m.env.ResourceVersion == "" {
				continue
			}
			if p := position(t, m.env.ResourceVersion); p <= last && m.env.Type != stream.TypeSnapshot {
				t.Errorf("%s at position %d after %d", m.env.Type, p, last)
			} else {
				last = p
			}
			for _, secret := range []string{canary, base64.StdEncoding.EncodeToString([]byte(canary))} {
				if strings.Contains(string(m.raw), secret) {
					t.Errorf("a %s message carries the credential", m.env.Type)
				}
			}
		}
	})
}

func TestStreamResumesExactlyAfterADroppedConnection(t *testing.T) {
	ns := newNamespace(t)
	con := startConsole(t)
	kinds := append([]string{"providers"}, providerKindsAll...)
	control := dialStream(t, con, false) // stays connected: the reference
	control.send(subscribeReq("s", ns, kinds...))
	controlMsgs := control.expect(stream.TypeSubscribed, stream.TypeSnapshot)
	a := dialStream(t, con, false)
	a.send(subscribeReq("s", ns, kinds...))
	aMsgs := a.expect(stream.TypeSubscribed, stream.TypeSnapshot)
	aView, controlView := map[string]json.RawMessage{}, map[string]json.RawMessage{}

	mustCall(t, 201, "POST", providersURL(con, ns, ""), openAIBody("p1", "sk-one"))
	aMsgs = append(aMsgs, collect(t, a, 15*time.Second, aView, func() bool { return settled(t, con, ns, aView, "p1") })...)
	last := aMsgs[len(aMsgs)-1].env.ResourceVersion
	a.kill()

	// Changes while a is away: through the REST API and by hand.
	mustCall(t, 200, "PUT", providersURL(con, ns, "p1"), openAIBody("p1", "sk-two"))
	p1, _ := restProvider(t, con, ns, "p1")
	patchMerge(t, cluster.Backend, ns, p1.objectName(t, "Backend"), `{"metadata":{"labels":{"e2e":"by-hand"}}}`, false)
	mustCall(t, 201, "POST", providersURL(con, ns, ""), openAIBody("p2", "sk-three"))
	mustCall(t, 200, "DELETE", providersURL(con, ns, "p2"), nil)
	controlMsgs = append(controlMsgs, collect(t, control, 15*time.Second, controlView, func() bool {
		return settled(t, con, ns, controlView, "p1", "p2")
	})...)
	i := slices.IndexFunc(controlMsgs, func(m streamMsg) bool { return m.env.ResourceVersion == last })
	if i < 0 {
		t.Fatalf("the reference client never saw position %s", last)
	}
	var missed []string
	for _, m := range controlMsgs[i+1:] {
		missed = append(missed, string(m.raw))
	}
	if len(missed) == 0 {
		t.Fatal("nothing happened while the client was away")
	}

	t.Run("a client that resumes from its last resourceVersion gets exactly the missed events", func(t *testing.T) {
		b := dialStream(t, con, false)
		b.send(stream.Request{Type: stream.TypeSubscribe, ID: "s", Kinds: kinds, Namespace: ns, ResourceVersion: last})
		sub := b.expect(stream.TypeSubscribed)[0]
		var d stream.SubscribedData
		_ = json.Unmarshal(sub.env.Data, &d)
		if !d.Resumed {
			t.Fatalf("not resumed: %s", sub.raw)
		}
		var got []string
		for range missed {
			got = append(got, string(b.next(10*time.Second).raw))
		}
		if diff := slices.Compare(missed, got); diff != 0 {
			t.Errorf("the resumed client got other messages than the reference client after %s:\nwant %d: %.2000v\ngot %d: %.2000v", last, len(missed), missed, len(got), got)
		}
		quiet(t, b, time.Second) // no duplicate after the missed events
		t.Logf("resumed from %s: %d missed events replayed", last, len(missed))
	})

	t.Run("a resourceVersion older than the history kept gets resync_required and a snapshot", func(t *testing.T) {
		ns2 := newNamespace(t)
		small := startConsole(t, func(c *app.Config) { c.WebSocket.History = 16 })
		c := dialStream(t, small, false)
		c.send(subscribeReq("s", ns2, "secrets"))
		old := c.expect(stream.TypeSubscribed, stream.TypeSnapshot)[1].env.ResourceVersion
		for i := range 20 {
			s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns2, Name: fmt.Sprint("s", i)}, Data: map[string][]byte{"k": []byte("v")}}
			if err := adminClient(t).Create(context.Background(), s); err != nil {
				t.Fatal(err)
			}
		}
		for range 20 {
			c.expect("resource_added")
		}
		r := dialStream(t, small, false)
		r.send(stream.Request{Type: stream.TypeSubscribe, ID: "s", Kinds: []string{"secrets"}, Namespace: ns2, ResourceVersion: old})
		msgs := r.expect(stream.TypeSubscribed, stream.TypeResyncRequired, stream.TypeSnapshot)
		var reason stream.ResyncData
		_ = json.Unmarshal(msgs[1].env.Data, &reason)
		if !strings.Contains(reason.Reason, "older than the last 16 events") {
			t.Errorf("resync reason %q", reason.Reason)
		}
		var snap stream.SnapshotData
		_ = json.Unmarshal(msgs[2].env.Data, &snap)
		if len(snap.Items) != 20 {
			t.Errorf("the snapshot has %d Secrets, want 20", len(snap.Items))
		}
	})
}

// TestStreamConsoleRestart restarts the console under a connected client.
// The client gets a close frame 1001 and reconnects, here to a new process
// on a new port (as to another replica). The new process has no history:
// the client's last resourceVersion names the old process's log (its
// epoch), so the answer is resync_required and a snapshot of the current
// state, which includes the changes made while no console ran. Nothing is
// lost; the client replaces its state with the snapshot.
func TestStreamConsoleRestart(t *testing.T) {
	ns := newNamespace(t)
	first := startConsole(t)
	c := dialStream(t, first, false)
	c.send(subscribeReq("p", ns, "providers"))
	view := map[string]json.RawMessage{}
	fold(t, view, c.expect(stream.TypeSubscribed, stream.TypeSnapshot)...)
	mustCall(t, 201, "POST", providersURL(first, ns, ""), openAIBody("p1", "sk-one"))
	msgs := collect(t, c, 15*time.Second, view, func() bool { return settled(t, first, ns, view, "p1") })
	last := msgs[len(msgs)-1].env.ResourceVersion
	p1, _ := restProvider(t, first, ns, "p1")

	first.stop()
	if code := c.closeCode(10 * time.Second); code != 1001 {
		t.Errorf("close code %d at shutdown, want 1001 (going away)", code)
	}

	// While no console runs: one object changed, another provider made by hand.
	patchMerge(t, cluster.AIServiceBackend, ns, p1.objectName(t, "AIServiceBackend"), `{"metadata":{"annotations":{"e2e":"offline"}}}`, false)
	be := &unstructured.Unstructured{Object: map[string]any{"spec": map[string]any{
		"endpoints": []any{map[string]any{"fqdn": map[string]any{"hostname": "p2.example", "port": int64(443)}}},
	}}}
	be.SetGroupVersionKind(cluster.Backend.GVK)
	be.SetNamespace(ns)
	be.SetName("p2")
	be.SetLabels(map[string]string{provider.LabelProvider: "p2"})
	if err := adminClient(t).Create(context.Background(), be); err != nil {
		t.Fatal(err)
	}

	second := startConsole(t)
	r := dialStream(t, second, false)
	r.send(stream.Request{Type: stream.TypeSubscribe, ID: "p", Kinds: []string{"providers"}, Namespace: ns, ResourceVersion: last})
	got := r.expect(stream.TypeSubscribed, stream.TypeResyncRequired, stream.TypeSnapshot)
	var reason stream.ResyncData
	_ = json.Unmarshal(got[1].env.Data, &reason)
	if !strings.Contains(reason.Reason, "another server instance") {
		t.Errorf("resync reason %q", reason.Reason)
	}
	fold(t, view, got[2])
	if !settled(t, second, ns, view, "p1", "p2") {
		t.Errorf("the snapshot after the restart does not show the current providers: %d items", len(view))
	}
	// And the new process streams on.
	mustCall(t, 200, "PUT", providersURL(second, ns, "p1"), openAIBody("p1", "sk-two"))
	collect(t, r, 15*time.Second, view, func() bool { return settled(t, second, ns, view, "p1", "p2") })
}

// TestStreamSurvivesAPIServerRestart stops kube-apiserver (etcd keeps
// running) under a subscribed client. /readyz turns 503 while the API
// server is away and 200 when it is back; the informers watch again from
// their last resourceVersion, so every change made after the restart
// reaches the client as events (or, had the watch history been compacted,
// as resync_required and a snapshot).
func TestStreamSurvivesAPIServerRestart(t *testing.T) {
	if env.ControlPlane == nil {
		t.Skip("needs the local control plane: an external cluster's API server cannot be restarted")
	}
	ns := newNamespace(t)
	con := startConsole(t)
	c := dialStream(t, con, false)
	c.send(subscribeReq("s", ns, "providers", "secrets"))
	view := map[string]json.RawMessage{}
	fold(t, view, c.expect(stream.TypeSubscribed, stream.TypeSnapshot)...)
	readyz := func() int {
		resp, err := http.Get(con.URL + "/readyz")
		if err != nil {
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}

	stopping := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- env.ControlPlane.StopAPIServer() }()
	running := false
	t.Cleanup(func() {
		if !running {
			_ = env.ControlPlane.StartAPIServer(context.Background())
		}
	})
	waitFor(t, 15*time.Second, "/readyz 503 with the API server going down", func() bool { return readyz() == http.StatusServiceUnavailable })
	t.Logf("/readyz 503 %s after the API server was told to stop", time.Since(stopping).Round(time.Millisecond))
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	t.Logf("kube-apiserver exited %s after SIGTERM", time.Since(stopping).Round(time.Millisecond))
	if readyz() != http.StatusServiceUnavailable {
		t.Error("/readyz is not 503 with the API server down")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := env.ControlPlane.StartAPIServer(ctx); err != nil {
		t.Fatal(err)
	}
	running = true
	started := time.Now()
	waitFor(t, 30*time.Second, "/readyz 200 with the API server back", func() bool { return readyz() == http.StatusOK })
	t.Logf("/readyz 200 %s after the API server was ready again", time.Since(started).Round(time.Millisecond))

	mustCall(t, 201, "POST", providersURL(con, ns, ""), openAIBody("p1", "sk-one"))
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "by-hand"}, Data: map[string][]byte{"k": []byte("v")}}
	if err := adminClient(t).Create(context.Background(), s); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	msgs := collect(t, c, 90*time.Second, view, func() bool {
		_, secret := view["secrets/by-hand"]
		return secret && settled(t, con, ns, view, "p1")
	})
	t.Logf("changes after the restart reached the client within %s: %v", time.Since(changed).Round(time.Millisecond), typesOf(msgs))
	for _, m := range msgs {
		if m.env.Type == stream.TypeError {
			t.Errorf("the outage ended the subscription: %s", m.env.Data)
		}
	}
}

// TestStreamSlowClient has one client stop reading while 10,000 events
// flow and another read them all. The events come from 2,500 Secrets of
// 1 KiB, each labelled as its own provider, created and then changed once
// by 16 writers: each write gives a resource event and a provider event. What the stalled client
// may hold is its queue, at most 1,024 events (--ws-queue-length), which
// point to events the hub shares with every subscriber; past it the queue
// is dropped and the client marked for resync, which it gets when it reads
// again. Its socket buffers are the kernel's. The reading client must get
// every event within 2s of the write (p99).
func TestStreamSlowClient(t *testing.T) {
	const objects, events, writers = 2_500, 10_000, 16
	ns := newNamespace(t)
	// A client that does not read does not answer pings either: keep it
	// long enough to see it resync instead of being dropped.
	con := startConsole(t, func(c *app.Config) {
		c.WebSocket.WriteTimeout, c.WebSocket.PongTimeout = 5*time.Minute, 5*time.Minute
	})
	if env.ControlPlane == nil {
		// An external cluster outlives the run; the local control plane
		// is thrown away, and deleting 2,500 Secrets takes seconds.
		t.Cleanup(func() {
			con.stop()
			_ = adminClient(t).DeleteAllOf(context.Background(), &corev1.Secret{}, client.InNamespace(ns))
		})
	}
	stalled := dialStream(t, con, true)
	stalled.send(subscribeReq("s", ns, "secrets", "providers"))
	fast := dialStream(t, con, false)
	fast.send(subscribeReq("s", ns, "secrets", "providers"))
	fast.expect(stream.TypeSubscribed, stream.TypeSnapshot)

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heapBefore := ms.HeapInuse
	var heapMax, queueMax atomic.Uint64
	stopSampling := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for {
			var ms runtime.MemStats
			runtime.ReadMemStats(&ms)
			if ms.HeapInuse > heapMax.Load() {
				heapMax.Store(ms.HeapInuse)
			}
			if q := uint64(scrape(t, con, "aigw_console_websocket_queue_depth_max")); q > queueMax.Load() {
				queueMax.Store(q)
			}
			select {
			case <-stopSampling:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()

	var mu sync.Mutex
	written := make([]time.Time, 2*objects) // by write: creates, then changes
	lags := make([]time.Duration, 0, events)
	received := make(chan struct{})
	go func() {
		defer close(received)
		for len(lags) < events {
			m, ok := fast.tryNext(30 * time.Second)
			if !ok || m.err != nil {
				return
			}
			var offset int
			switch m.env.Type {
			case "resource_added", "provider_created":
			case "resource_modified", "provider_updated":
				offset = objects
			default:
				t.Errorf("the reading client got %s", m.env.Type)
				continue
			}
			i, _ := strconv.Atoi(m.item(t).Name[1:]) // s<i> or p<i>
			i += offset
			mu.Lock()
			at := written[i]
			mu.Unlock()
			lag := time.Duration(0)
			if !at.IsZero() {
				lag = max(m.at.Sub(at), 0) // the event may come before Create returns
			}
			lags = append(lags, lag)
		}
	}()

	pad := strings.Repeat("x", 1<<10)
	began := time.Now()
	var next atomic.Int64
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cl := adminClient(t)
			for w := next.Add(1) - 1; w < 2*objects; w = next.Add(1) - 1 {
				i := w % objects
				s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
					Namespace: ns, Name: fmt.Sprint("s", i),
					// Managed: the Secret is one of the provider's objects,
					// so a change of it changes the provider view.
					Labels:      map[string]string{provider.LabelProvider: fmt.Sprint("p", i), provider.LabelManagedBy: provider.ManagedBy},
					Annotations: map[string]string{"pad": pad},
				}}
				var err error
				if w < objects {
					err = cl.Create(context.Background(), s)
				} else {
					err = cl.Patch(context.Background(), s, client.RawPatch(types.MergePatchType, []byte(`{"metadata":{"annotations":{"changed":"yes"}}}`)))
				}
				if err != nil {
					t.Errorf("write %d: %v", w, err)
					return
				}
				mu.Lock()
				written[w] = time.Now()
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	flowed := time.Since(began)
	<-received
	close(stopSampling)
	<-sampled

	if len(lags) != events {
		t.Fatalf("the reading client got %d of %d events", len(lags), events)
	}
	slices.Sort(lags)
	p50, p99 := lags[events/2], lags[events*99/100]
	t.Logf("%d events in %s; reading client lag p50 %s, p99 %s, max %s", events, flowed.Round(time.Millisecond), p50, p99, lags[events-1])
	if p99 > 2*time.Second {
		t.Errorf("the reading client lagged %s at p99 behind the stalled one", p99)
	}
	growth := int64(heapMax.Load()) - int64(heapBefore)
	t.Logf("peak heap in use %d MiB above the start (the cache and the hub's state now hold 2,500 more Secrets and providers); longest subscription queue %d events; dropped %v, resyncs %v",
		growth>>20, queueMax.Load(), scrape(t, con, "aigw_console_websocket_events_dropped_total"), scrape(t, con, "aigw_console_websocket_resyncs_total"))
	if q := queueMax.Load(); q > 1024 {
		t.Errorf("a subscription queue held %d events, bound is 1,024", q)
	}
	if growth > 256<<20 {
		t.Errorf("heap grew by %d MiB while one client stalled", growth>>20)
	}
	if scrape(t, con, "aigw_console_websocket_resyncs_total") < 1 {
		t.Error("the stalled client never overflowed its queue")
	}

	// The stalled client reads again: after what its socket held it is told
	// to resync and gets a snapshot of every Secret and provider.
	resumed := time.Now()
	defer func() { t.Logf("the stalled client caught up in %s", time.Since(resumed).Round(time.Millisecond)) }()
	stalled.resume()
	for sawResync := false; ; {
		m := stalled.next(time.Minute)
		if m.env.Type == stream.TypeResyncRequired {
			sawResync = true
		}
		if m.env.Type == stream.TypeSnapshot && sawResync {
			var snap stream.SnapshotData
			_ = json.Unmarshal(m.env.Data, &snap)
			if len(snap.Items) != 2*objects {
				t.Errorf("the resync snapshot holds %d items, want %d", len(snap.Items), 2*objects)
			}
			break
		}
	}
}

// scrape returns the value of an unlabelled metric from GET /metrics.
func scrape(t *testing.T, con *console, name string) float64 {
	t.Helper()
	r := call(t, "GET", con.URL+"/metrics", nil)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return f
		}
	}
	t.Fatalf("GET /metrics has no %s", name)
	return 0
}

func TestStreamLimitsAreWired(t *testing.T) {
	con := startConsole(t, func(c *app.Config) { c.WebSocket.MaxConnectionsPerClient = 1 })
	first := dialStream(t, con, false)
	first.send(subscribeReq("s", "", "providers"))
	first.expect(stream.TypeSubscribed, stream.TypeSnapshot)
	url := "ws" + strings.TrimPrefix(con.URL, "http") + "/api/v1/ws"
	refused := func(header http.Header) *http.Response {
		t.Helper()
		h := bearer(t)
		for k, v := range header {
			h[k] = v
		}
		ws, resp, err := websocket.DefaultDialer.Dial(url, h)
		if err == nil {
			_ = ws.Close()
			t.Fatal("the connection was accepted")
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		_ = resp.Body.Close()
		return resp
	}
	t.Run("a second connection of one client is 429 problem+json with Retry-After", func(t *testing.T) {
		resp := refused(nil) //nolint:bodyclose // refused closes it
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "5" || resp.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("HTTP %d, Retry-After %q, Content-Type %q", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
		}
	})
	t.Run("a browser from another origin is 403", func(t *testing.T) {
		if resp := refused(http.Header{"Origin": {"https://evil.example"}}); resp.StatusCode != http.StatusForbidden { //nolint:bodyclose // refused closes it
			t.Errorf("HTTP %d, want 403", resp.StatusCode)
		}
	})
	t.Run("a plain GET is 426", func(t *testing.T) {
		if r := call(t, "GET", con.URL+"/api/v1/ws", nil); r.Status != http.StatusUpgradeRequired {
			t.Errorf("HTTP %d, want 426", r.Status)
		}
	})
	t.Run("the metrics count the connection and its subscription", func(t *testing.T) {
		if v := scrape(t, con, "aigw_console_websocket_connections"); v != 1 {
			t.Errorf("connections = %v, want 1", v)
		}
		if v := scrape(t, con, "aigw_console_websocket_subscriptions"); v != 1 {
			t.Errorf("subscriptions = %v, want 1", v)
		}
	})
}
