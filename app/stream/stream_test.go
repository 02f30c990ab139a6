package stream

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/app/watch"
)

// fixture is a hub and a stream server on a loopback port.
type fixture struct {
	hub     *hub.Hub
	srv     *Server
	url     string
	reg     *prometheus.Registry
	schemas protocolSchemas
}

// start serves the stream on a loopback port behind the given middleware
// (app.Run puts authentication there).
func start(t *testing.T, hopts hub.Options, opts Options, middleware ...fiber.Handler) *fixture {
	t.Helper()
	hopts.Logger = slog.New(slog.DiscardHandler)
	h := hub.New(hopts)
	reg := prometheus.NewRegistry()
	opts.Registerer = reg
	opts.Logger = slog.New(slog.DiscardHandler)
	if opts.Kinds == nil {
		opts.Kinds = watch.Kinds()
	}
	srv, err := New(h, opts)
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	for _, m := range middleware {
		app.Use(m)
	}
	app.Get("/ws", srv.Handler())
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		_ = app.Shutdown()
	})
	return &fixture{hub: h, srv: srv, url: "ws://" + ln.Addr().String() + "/ws", reg: reg, schemas: loadSchemas(t)}
}

// client is a WebSocket client that checks every message against the
// protocol schema.
type client struct {
	t  *testing.T
	f  *fixture
	ws *websocket.Conn
}

func (f *fixture) dial(t *testing.T, header http.Header) *client {
	t.Helper()
	return f.dialWith(t, websocket.DefaultDialer, header)
}

func (f *fixture) dialWith(t *testing.T, d *websocket.Dialer, header http.Header) *client {
	t.Helper()
	ws, resp, err := d.Dial(f.url, header)
	if resp != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial: %v (HTTP %d)", err, status)
	}
	t.Cleanup(func() { _ = ws.Close() })
	return &client{t: t, f: f, ws: ws}
}

func (c *client) send(v any) {
	c.t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	if m, ok := v.(Request); !ok || m.Type == TypeSubscribe || m.Type == TypeUnsubscribe {
		if ok {
			validate(c.t, c.f.schemas.client, raw)
		}
	}
	if err := c.ws.WriteMessage(websocket.TextMessage, raw); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) subscribe(id string, kinds []string, mutate ...func(*Request)) {
	c.t.Helper()
	r := Request{Type: TypeSubscribe, ID: id, Kinds: kinds}
	for _, m := range mutate {
		m(&r)
	}
	c.send(r)
}

// next returns the next message, failing after 5s.
func (c *client) next() Envelope {
	c.t.Helper()
	e, err := c.read(5 * time.Second)
	if err != nil {
		c.t.Fatalf("reading: %v", err)
	}
	return e
}

func (c *client) read(timeout time.Duration) (Envelope, error) {
	c.t.Helper()
	_ = c.ws.SetReadDeadline(time.Now().Add(timeout))
	_, raw, err := c.ws.ReadMessage()
	if err != nil {
		return Envelope{}, err
	}
	validate(c.t, c.f.schemas.server, raw)
	var e Envelope
	if err := json.Unmarshal(raw, &e); err != nil {
		c.t.Fatalf("decode %s: %v", raw, err)
	}
	return e, nil
}

// expect reads len(types) messages and checks their types.
func (c *client) expect(types ...string) []Envelope {
	c.t.Helper()
	var out []Envelope
	var got []string
	for range types {
		e := c.next()
		out = append(out, e)
		got = append(got, e.Type)
	}
	if diff := cmp.Diff(types, got); diff != "" {
		c.t.Fatalf("message types (-want +got):\n%s\nlast: %+v", diff, out[len(out)-1])
	}
	return out
}

// closeCode reads until the connection closes and returns the close code.
func (c *client) closeCode(timeout time.Duration) int {
	c.t.Helper()
	return c.closeFrame(timeout).Code
}

// closeFrame reads until the close frame and returns it.
func (c *client) closeFrame(timeout time.Duration) *websocket.CloseError {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		_, err := c.read(time.Until(deadline))
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			return ce
		}
		if err != nil {
			c.t.Fatalf("connection ended without a close frame: %v", err)
		}
	}
}

func backend(op hub.Op, ns, name string, rv uint64, labels map[string]string) hub.Event {
	data := fmt.Sprintf(`{"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"Backend","metadata":{"name":%q,"namespace":%q,"resourceVersion":"%d"}}`, name, ns, rv)
	return hub.Event{Op: op, Key: hub.Key{Kind: "backends", Namespace: ns, Name: name}, ResourceVersion: rv, Labels: labels, Data: []byte(data)}
}

func item(t *testing.T, e Envelope) Item {
	t.Helper()
	var it Item
	if err := json.Unmarshal(e.Data, &it); err != nil {
		t.Fatal(err)
	}
	return it
}

func TestSubscriptions(t *testing.T) {
	t.Run("a subscription gets a snapshot, then events in order with the right types", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{})
		f.hub.Publish(backend(hub.Added, "a", "x", 10, nil), backend(hub.Added, "b", "y", 11, nil))
		c := f.dial(t, nil)
		c.subscribe("s1", []string{"backends"}, func(r *Request) { r.Namespace = "a" })
		msgs := c.expect(TypeSubscribed, TypeSnapshot)
		var sub SubscribedData
		_ = json.Unmarshal(msgs[0].Data, &sub)
		if sub.Resumed || msgs[0].Subscription != "s1" {
			t.Errorf("subscribed = %+v on %q, want not resumed on s1", sub, msgs[0].Subscription)
		}
		var snap SnapshotData
		_ = json.Unmarshal(msgs[1].Data, &snap)
		if len(snap.Items) != 1 || snap.Items[0].Name != "x" || snap.Items[0].ResourceVersion != "10" {
			t.Errorf("snapshot = %+v, want a/x at 10", snap)
		}
		f.hub.Publish(backend(hub.Modified, "a", "x", 12, nil), backend(hub.Added, "b", "z", 13, nil), backend(hub.Deleted, "a", "x", 14, nil))
		evs := c.expect("resource_modified", "resource_deleted")
		if it := item(t, evs[0]); it.Kind != "backends" || it.Namespace != "a" || it.Name != "x" || it.ResourceVersion != "12" {
			t.Errorf("event data = %+v", it)
		}
		if evs[0].ResourceVersion == msgs[1].ResourceVersion || evs[1].ResourceVersion == evs[0].ResourceVersion {
			t.Errorf("stream positions do not advance: %q %q %q", msgs[1].ResourceVersion, evs[0].ResourceVersion, evs[1].ResourceVersion)
		}
	})

	t.Run("one connection multiplexes subscriptions, and unsubscribe ends one", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{})
		c := f.dial(t, nil)
		c.subscribe("a", []string{"backends"}, func(r *Request) { r.Namespace = "a" })
		c.expect(TypeSubscribed, TypeSnapshot)
		c.subscribe("b", []string{"backends"}, func(r *Request) { r.LabelSelector = "team=blue" })
		c.expect(TypeSubscribed, TypeSnapshot)
		f.hub.Publish(backend(hub.Added, "a", "x", 1, map[string]string{"team": "blue"}))
		got := map[string]string{}
		for _, e := range c.expect("resource_added", "resource_added") {
			got[e.Subscription] = item(t, e).Name
		}
		if diff := cmp.Diff(map[string]string{"a": "x", "b": "x"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		c.send(Request{Type: TypeUnsubscribe, ID: "a"})
		c.expect(TypeUnsubscribed)
		f.hub.Publish(backend(hub.Modified, "a", "x", 2, map[string]string{"team": "red"}))
		// Subscription b sees x leave its label selection; a is gone.
		e := c.expect("resource_deleted")[0]
		if e.Subscription != "b" {
			t.Errorf("event for %q, want b", e.Subscription)
		}
	})

	t.Run("a client resumes exactly after the last resourceVersion it saw", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{})
		c := f.dial(t, nil)
		c.subscribe("s", []string{"backends"})
		c.expect(TypeSubscribed, TypeSnapshot)
		f.hub.Publish(backend(hub.Added, "a", "x", 1, nil))
		last := c.expect("resource_added")[0].ResourceVersion
		_ = c.ws.Close()
		f.hub.Publish(backend(hub.Added, "a", "y", 2, nil), backend(hub.Modified, "a", "x", 3, nil))

		c2 := f.dial(t, nil)
		c2.subscribe("s", []string{"backends"}, func(r *Request) { r.ResourceVersion = last })
		msgs := c2.expect(TypeSubscribed, "resource_added", "resource_modified")
		var sub SubscribedData
		_ = json.Unmarshal(msgs[0].Data, &sub)
		if !sub.Resumed {
			t.Error("not resumed")
		}
		if a, b := item(t, msgs[1]), item(t, msgs[2]); a.Name != "y" || b.Name != "x" || b.ResourceVersion != "3" {
			t.Errorf("replayed %+v, %+v", a, b)
		}
	})

	t.Run("a resourceVersion the server does not keep gets resync_required and a snapshot", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{})
		f.hub.Publish(backend(hub.Added, "a", "x", 1, nil))
		c := f.dial(t, nil)
		c.subscribe("s", []string{"backends"}, func(r *Request) { r.ResourceVersion = "deadbeef.1" })
		msgs := c.expect(TypeSubscribed, TypeResyncRequired, TypeSnapshot)
		var r ResyncData
		_ = json.Unmarshal(msgs[1].Data, &r)
		if !strings.Contains(r.Reason, "another server instance") {
			t.Errorf("reason %q", r.Reason)
		}
	})
}

func TestInvalidMessages(t *testing.T) {
	f := start(t, hub.Options{}, Options{MaxSubscriptions: 1})
	c := f.dial(t, nil)
	for _, tc := range []struct {
		name, msg, code, id, says string
	}{
		{"not JSON", `{"type":`, CodeInvalidMessage, "", "invalid JSON"},
		{"an unknown field", `{"type":"subscribe","id":"s","kinds":["backends"],"nme":"x"}`, CodeInvalidMessage, "", `unknown field "nme"`},
		{"an unknown type", `{"type":"watch","id":"s"}`, CodeInvalidMessage, "", `unknown type "watch"`},
		{"a missing type", `{"id":"s"}`, CodeInvalidMessage, "", "type is required"},
		{"a missing id", `{"type":"subscribe","kinds":["backends"]}`, CodeInvalidSubscription, "", "id is required"},
		{"an invalid id", `{"type":"subscribe","id":"a b","kinds":["backends"]}`, CodeInvalidSubscription, "", "id: must be"},
		{"no kinds", `{"type":"subscribe","id":"s"}`, CodeInvalidSubscription, "s", "kinds is required"},
		{"an unknown kind", `{"type":"subscribe","id":"s","kinds":["pods"]}`, CodeInvalidSubscription, "s", `unknown kind "pods"`},
		{"an invalid namespace", `{"type":"subscribe","id":"s","kinds":["backends"],"namespace":"Not_A_NS"}`, CodeInvalidSubscription, "s", "namespace:"},
		{"an invalid label selector", `{"type":"subscribe","id":"s","kinds":["backends"],"labelSelector":"a in (b"}`, CodeInvalidSubscription, "s", "labelSelector:"},
		{"an unsubscribe with a selector", `{"type":"unsubscribe","id":"s","kinds":["backends"]}`, CodeInvalidMessage, "s", "only type and id"},
		{"an unsubscribe of an unknown id", `{"type":"unsubscribe","id":"nope"}`, CodeUnknownSubscription, "nope", "no subscription"},
	} {
		t.Run(tc.name+" is answered with an error and the connection stays up", func(t *testing.T) {
			if err := c.ws.WriteMessage(websocket.TextMessage, []byte(tc.msg)); err != nil {
				t.Fatal(err)
			}
			e := c.expect(TypeError)[0]
			var d ErrorData
			_ = json.Unmarshal(e.Data, &d)
			if d.Code != tc.code || e.Subscription != tc.id || !strings.Contains(d.Message, tc.says) {
				t.Errorf("error on %q: %+v, want code %s on %q saying %q", e.Subscription, d, tc.code, tc.id, tc.says)
			}
		})
	}
	t.Run("a binary message is answered with an error", func(t *testing.T) {
		_ = c.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2})
		c.expect(TypeError)
	})
	t.Run("a duplicate id and too many subscriptions are errors", func(t *testing.T) {
		c.subscribe("s", []string{"backends"})
		c.expect(TypeSubscribed, TypeSnapshot)
		c.subscribe("s", []string{"backends"})
		if e := c.expect(TypeError)[0]; !strings.Contains(string(e.Data), CodeDuplicateSubscription) {
			t.Errorf("got %s", e.Data)
		}
		c.subscribe("t", []string{"backends"})
		if e := c.expect(TypeError)[0]; !strings.Contains(string(e.Data), CodeTooManySubscriptions) {
			t.Errorf("got %s", e.Data)
		}
	})
	t.Run("a message over the size limit closes the connection with 1009", func(t *testing.T) {
		big := `{"type":"subscribe","id":"x","kinds":["backends"],"name":"` + strings.Repeat("a", DefaultMaxMessageBytes) + `"}`
		_ = c.ws.WriteMessage(websocket.TextMessage, []byte(big))
		if code := c.closeCode(5 * time.Second); code != websocket.CloseMessageTooBig {
			t.Errorf("close code %d, want 1009", code)
		}
	})
}

func TestAdmission(t *testing.T) {
	dialStatus := func(f *fixture, header http.Header) int {
		ws, resp, err := websocket.DefaultDialer.Dial(f.url, header)
		if resp != nil {
			_ = resp.Body.Close()
		}
		if err == nil {
			_ = ws.Close()
			return http.StatusSwitchingProtocols
		}
		if resp == nil {
			t.Fatalf("dial: %v", err)
		}
		return resp.StatusCode
	}
	t.Run("without an allow-list only clients without Origin and same-origin browsers get in", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{})
		host := strings.TrimPrefix(strings.TrimSuffix(f.url, "/ws"), "ws://")
		for origin, want := range map[string]int{
			"":                         http.StatusSwitchingProtocols,
			"http://" + host:           http.StatusSwitchingProtocols,
			"https://evil.example":     http.StatusForbidden,
			"http://" + host + ".evil": http.StatusForbidden,
		} {
			h := http.Header{}
			if origin != "" {
				h.Set("Origin", origin)
			}
			if got := dialStatus(f, h); got != want {
				t.Errorf("Origin %q: HTTP %d, want %d", origin, got, want)
			}
		}
	})
	t.Run("an allow-list admits exactly its origins", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{AllowedOrigins: []string{"https://console.example"}})
		for origin, want := range map[string]int{
			"https://console.example": http.StatusSwitchingProtocols,
			"https://other.example":   http.StatusForbidden,
		} {
			if got := dialStatus(f, http.Header{"Origin": {origin}}); got != want {
				t.Errorf("Origin %q: HTTP %d, want %d", origin, got, want)
			}
		}
	})
	t.Run("connections over the limits are refused before the upgrade", func(t *testing.T) {
		// The first connection is counted once its handler runs; a served
		// subscription proves it has.
		counted := func(f *fixture) {
			c := f.dial(t, nil)
			c.subscribe("s", []string{"backends"})
			c.expect(TypeSubscribed, TypeSnapshot)
		}
		perClient := start(t, hub.Options{}, Options{MaxConnections: 2, MaxConnectionsPerClient: 1})
		counted(perClient)
		if got := dialStatus(perClient, nil); got != http.StatusTooManyRequests {
			t.Errorf("second connection of one client: HTTP %d, want 429", got)
		}
		total := start(t, hub.Options{}, Options{MaxConnections: 1, MaxConnectionsPerClient: -1})
		counted(total)
		if got := dialStatus(total, nil); got != http.StatusServiceUnavailable {
			t.Errorf("connection over the total: HTTP %d, want 503", got)
		}
		for _, f := range []*fixture{perClient, total} {
			if v := counterValue(t, f.reg, "aigw_console_websocket_connections_rejected_total"); v != 1 {
				t.Errorf("rejected connections metric = %v, want 1", v)
			}
		}
	})
	t.Run("a plain GET is told to upgrade", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{})
		resp, err := http.Get(strings.Replace(f.url, "ws://", "http://", 1))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUpgradeRequired {
			t.Errorf("HTTP %d, want 426", resp.StatusCode)
		}
	})
	t.Run("an authorization filter restricts every subscription", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{Authorize: func(c *fiber.Ctx) (hub.Filter, error) {
			if c.Get("X-User") == "" {
				return nil, errors.New("who are you?")
			}
			return func(e hub.Event) bool { return e.Key.Namespace == "mine" }, nil
		}})
		if got := dialStatus(f, nil); got != http.StatusForbidden {
			t.Errorf("anonymous: HTTP %d, want 403", got)
		}
		c := f.dial(t, http.Header{"X-User": {"u"}})
		c.subscribe("s", []string{"backends"})
		c.expect(TypeSubscribed, TypeSnapshot)
		f.hub.Publish(backend(hub.Added, "theirs", "x", 1, nil), backend(hub.Added, "mine", "y", 2, nil))
		if it := item(t, c.expect("resource_added")[0]); it.Namespace != "mine" {
			t.Errorf("got an object of namespace %q", it.Namespace)
		}
	})
	t.Run("a panicking authorization filter ends that subscription only", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{Authorize: func(*fiber.Ctx) (hub.Filter, error) {
			return func(e hub.Event) bool {
				if e.Key.Name == "boom" {
					panic("bug")
				}
				return true
			}, nil
		}})
		c := f.dial(t, nil)
		c.subscribe("s", []string{"backends"})
		c.expect(TypeSubscribed, TypeSnapshot)
		f.hub.Publish(backend(hub.Added, "a", "boom", 1, nil))
		if e := c.expect(TypeError)[0]; !strings.Contains(string(e.Data), CodeSubscriptionFailed) {
			t.Errorf("got %s", e.Data)
		}
		c.subscribe("s", []string{"backends"}) // the id is free again
		c.expect(TypeSubscribed)
	})
}

func TestHeartbeat(t *testing.T) {
	t.Run("the server pings, and bookmarks quiet subscriptions", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{PingInterval: 100 * time.Millisecond})
		c := f.dial(t, nil)
		pings := make(chan struct{}, 100)
		c.ws.SetPingHandler(func(string) error {
			pings <- struct{}{}
			return c.ws.WriteControl(websocket.PongMessage, nil, time.Now().Add(time.Second))
		})
		c.subscribe("s", []string{"backends"})
		snap := c.expect(TypeSubscribed, TypeSnapshot)[1]
		f.hub.Publish(backend(hub.Added, "elsewhere", "x", 1, nil))
		// A bookmark carries the newer position, past the filtered-out event.
		var b Envelope
		for b.Type != TypeBookmark {
			b = c.next()
		}
		if b.ResourceVersion == snap.ResourceVersion {
			t.Errorf("bookmark at %q did not move past the event", b.ResourceVersion)
		}
		if len(pings) == 0 {
			t.Error("no ping received")
		}
	})
	t.Run("a client that does not answer pings is dropped", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{PingInterval: 100 * time.Millisecond, PongTimeout: 100 * time.Millisecond})
		c := f.dial(t, nil)
		c.ws.SetPingHandler(func(string) error { return nil }) // no pong
		started := time.Now()
		code := c.closeCode(5 * time.Second)
		if code != websocket.CloseGoingAway {
			t.Errorf("close code %d, want 1001", code)
		}
		if d := time.Since(started); d > 2*time.Second {
			t.Errorf("dropped after %s", d)
		}
	})
	t.Run("a connection without subscriptions is closed when idle", func(t *testing.T) {
		f := start(t, hub.Options{}, Options{PingInterval: 50 * time.Millisecond, IdleTimeout: 200 * time.Millisecond})
		c := f.dial(t, nil)
		if code := c.closeCode(5 * time.Second); code != websocket.CloseNormalClosure {
			t.Errorf("close code %d, want 1000", code)
		}
	})
}

func TestShutdown(t *testing.T) {
	f := start(t, hub.Options{}, Options{})
	var clients []*client
	for range 5 {
		c := f.dial(t, nil)
		c.subscribe("s", []string{"backends"})
		c.expect(TypeSubscribed, TypeSnapshot)
		clients = append(clients, c)
	}
	codes := make(chan int, len(clients))
	var wg sync.WaitGroup
	for _, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- c.closeCode(5 * time.Second)
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := f.srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != websocket.CloseGoingAway {
			t.Errorf("close code %d, want 1001", code)
		}
	}
	_, resp, err := websocket.DefaultDialer.Dial(f.url, nil)
	if resp != nil {
		_ = resp.Body.Close()
	}
	if err == nil || resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("a connection after Shutdown was not refused with 503: %v", err)
	}
	if st := f.hub.Stats(); st.Subscribers != 0 {
		t.Errorf("%d subscriptions left after Shutdown", st.Subscribers)
	}
}

func TestBackpressure(t *testing.T) {
	// A client with a small receive window that does not read fills the
	// socket after a few hundred events of 8 KiB; the queue bound is 16.
	f := start(t, hub.Options{QueueLength: 16}, Options{})
	stalled := f.dialWith(t, &websocket.Dialer{NetDial: smallWindowDialer(t).Dial}, nil)
	stalled.subscribe("s", []string{"backends"})
	stalled.expect(TypeSubscribed, TypeSnapshot)
	reader := f.dial(t, nil)
	reader.subscribe("s", []string{"backends"})
	reader.expect(TypeSubscribed, TypeSnapshot)

	const n = 600
	pad := strings.Repeat("x", 8<<10)
	var count atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		for count.Load() < n {
			e, err := reader.read(10 * time.Second)
			if err != nil {
				return
			}
			if e.Type == "resource_added" {
				count.Add(1)
			}
		}
	}()
	began := time.Now()
	for i := range n {
		e := backend(hub.Added, "a", fmt.Sprint("b", i), uint64(i+1), nil)
		e.Data = []byte(fmt.Sprintf(`{"apiVersion":"v","kind":"Backend","metadata":{"name":"b%d"},"spec":{"pad":%q}}`, i, pad))
		f.hub.Publish(e)
		// Pace the publisher to the reading client, as the API server's
		// rate would: it must never fall behind.
		for deadline := time.Now().Add(10 * time.Second); count.Load() < int64(i+1)-8; {
			if time.Now().After(deadline) {
				t.Fatalf("the reading client has %d of %d events after 10s", count.Load(), i+1)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}
	<-done
	t.Logf("published in %s", time.Since(began))
	if got := count.Load(); got != n {
		t.Errorf("the reading client got %d of %d events", got, n)
	}
	st := f.hub.Stats()
	if st.Resyncs == 0 || st.Dropped == 0 {
		t.Errorf("Stats() = %+v: the stalled client never overflowed", st)
	}
	if st.MaxQueued > 16 {
		t.Errorf("a queue holds %d events, bound is 16", st.MaxQueued)
	}
	// The stalled client reads again: it is told to resync and converges.
	// A snapshot the writer sent while the socket still took bytes may
	// predate later overflows; the client converges on the last one, which
	// must hold every object.
	// Every event here adds a new object, so the client's view is the last
	// resync snapshot plus the adds that follow it.
	var sawResync bool
	have := -1
	for have != n {
		e, err := stalled.read(30 * time.Second) // a backlog of megabytes, checked against the schema
		if err != nil {
			t.Fatalf("the stalled client never converged (it holds %d of %d objects): %v", have, n, err)
		}
		switch {
		case e.Type == TypeResyncRequired:
			sawResync = true
		case e.Type == TypeSnapshot && sawResync:
			var snap SnapshotData
			_ = json.Unmarshal(e.Data, &snap)
			have = len(snap.Items)
		case e.Type == "resource_added" && have >= 0:
			have++
		}
	}
	if v := counterValue(t, f.reg, "aigw_console_websocket_resyncs_total"); v < 1 {
		t.Errorf("resyncs metric = %v", v)
	}
}

func TestMetrics(t *testing.T) {
	f := start(t, hub.Options{}, Options{})
	c := f.dial(t, nil)
	c.subscribe("s", []string{"backends"})
	c.expect(TypeSubscribed, TypeSnapshot)
	f.hub.Publish(backend(hub.Added, "a", "x", 1, nil))
	c.expect("resource_added")
	for name, want := range map[string]float64{
		"aigw_console_websocket_connections":            1,
		"aigw_console_websocket_subscriptions":          1,
		"aigw_console_websocket_events_sent_total":      1,
		"aigw_console_websocket_snapshots_sent_total":   1,
		"aigw_console_websocket_events_published_total": 1,
		"aigw_console_websocket_queue_depth":            0,
		"aigw_console_websocket_events_dropped_total":   0,
	} {
		if got := counterValue(t, f.reg, name); got != want {
			t.Errorf("%s = %v, want %v", name, got, want)
		}
	}
}

// counterValue returns the sum of a metric's samples.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		sum := 0.0
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue() + m.GetGauge().GetValue()
		}
		return sum
	}
	t.Fatalf("metric %s not registered", name)
	return 0
}

func TestEventTypes(t *testing.T) {
	got := map[string]string{}
	for _, k := range []string{watch.KindProviders, watch.KindRoutes, "secrets"} {
		for _, op := range []hub.Op{hub.Added, hub.Modified, hub.Deleted} {
			got[k+" "+op.String()] = EventType(k, op)
		}
	}
	want := map[string]string{
		"providers added": "provider_created", "providers modified": "provider_updated", "providers deleted": "provider_deleted",
		"routes added": "route_created", "routes modified": "route_updated", "routes deleted": "route_deleted",
		"secrets added": "resource_added", "secrets modified": "resource_modified", "secrets deleted": "resource_deleted",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestAppendString(t *testing.T) {
	for _, s := range []string{"plain", `q"uote\back`, "ctl\x01\n", "ünï", "bad\xff"} {
		raw := appendString(nil, s)
		var back string
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Errorf("%q encodes to invalid JSON %s: %v", s, raw, err)
		}
		if want := strings.ToValidUTF8(s, "\ufffd"); back != want {
			t.Errorf("%q round-trips to %q", s, back)
		}
	}
}
