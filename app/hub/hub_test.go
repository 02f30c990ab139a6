package hub

import (
	"fmt"
	"log/slog"
	"maps"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// ev builds an event of kind "things" in namespace ns.
func ev(op Op, ns, name, data string, labels ...string) Event {
	l := map[string]string{}
	for i := 0; i+1 < len(labels); i += 2 {
		l[labels[i]] = labels[i+1]
	}
	return Event{Op: op, Key: Key{Kind: "things", Namespace: ns, Name: name}, Labels: l, Data: []byte(data)}
}

// got is a message reduced to what the tests compare.
type got struct {
	Type string
	Op   string
	Key  string
	Data string
}

func summarize(msgs []Message) []got {
	var out []got
	for _, m := range msgs {
		switch m.Type {
		case MessageEvent:
			out = append(out, got{Type: "event", Op: m.Op.String(), Key: m.Event.Key.Namespace + "/" + m.Event.Key.Name, Data: string(m.Event.Data)})
		case MessageSnapshot:
			var names []string
			for _, it := range m.Items {
				names = append(names, it.Key.Namespace+"/"+it.Key.Name+"="+string(it.Data))
			}
			out = append(out, got{Type: "snapshot", Data: strings.Join(names, ",")})
		case MessageResyncRequired:
			out = append(out, got{Type: "resync"})
		case MessageFailed:
			out = append(out, got{Type: "failed"})
		}
	}
	return out
}

// drain returns every waiting message.
func drain(s *Subscription) []Message {
	var out []Message
	for {
		m := s.Next(16)
		if len(m) == 0 {
			return out
		}
		out = append(out, m...)
	}
}

func lastCursor(t *testing.T, msgs []Message) string {
	t.Helper()
	for i := len(msgs) - 1; i >= 0; i-- {
		if msgs[i].Cursor != "" {
			return msgs[i].Cursor
		}
	}
	t.Fatal("no message with a cursor")
	return ""
}

func TestSubscribe(t *testing.T) {
	t.Run("a new subscriber gets the state as a snapshot, then every later event in order", func(t *testing.T) {
		h := newHub(Options{Epoch: "e1"})
		h.Publish(ev(Added, "a", "x", "1"), ev(Added, "a", "y", "1"), ev(Modified, "a", "x", "2"), ev(Added, "a", "z", "1"), ev(Deleted, "a", "z", ""))
		s, resumed := h.Subscribe(SubscribeOptions{})
		if resumed {
			t.Error("resumed without a cursor")
		}
		msgs := s.Next(10) // the snapshot is cut here
		h.Publish(ev(Modified, "a", "y", "2"), ev(Added, "a", "w", "1"), ev(Deleted, "a", "x", ""))
		msgs = append(msgs, drain(s)...)
		want := []got{
			{Type: "snapshot", Data: "a/x=2,a/y=1"},
			{Type: "event", Op: "modified", Key: "a/y", Data: "2"},
			{Type: "event", Op: "added", Key: "a/w", Data: "1"},
			{Type: "event", Op: "deleted", Key: "a/x", Data: "2"},
		}
		if diff := cmp.Diff(want, summarize(msgs)); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
		wantCursors := []string{"e1.5", "e1.6", "e1.7", "e1.8"}
		for i, m := range msgs {
			if m.Cursor != wantCursors[i] {
				t.Errorf("message %d has cursor %q, want %q", i, m.Cursor, wantCursors[i])
			}
		}
	})

	t.Run("operations are corrected against the state", func(t *testing.T) {
		h := newHub(Options{})
		s, _ := h.Subscribe(SubscribeOptions{})
		drain(s)
		h.Publish(ev(Modified, "a", "x", "1"), ev(Added, "a", "x", "2"), ev(Deleted, "a", "nope", ""))
		want := []got{{Type: "event", Op: "added", Key: "a/x", Data: "1"}, {Type: "event", Op: "modified", Key: "a/x", Data: "2"}}
		if diff := cmp.Diff(want, summarize(drain(s))); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
	})

	t.Run("notify is called when something is waiting", func(t *testing.T) {
		h := newHub(Options{})
		calls := 0
		s, _ := h.Subscribe(SubscribeOptions{Notify: func() { calls++ }})
		if calls == 0 {
			t.Error("not notified of the pending snapshot")
		}
		drain(s)
		calls = 0
		h.Publish(ev(Added, "a", "x", "1"))
		if calls != 1 {
			t.Errorf("notified %d times for one event, want 1", calls)
		}
	})
}

func TestResume(t *testing.T) {
	t.Run("a cursor the ring covers replays exactly the events after it", func(t *testing.T) {
		h := newHub(Options{History: 100})
		s, _ := h.Subscribe(SubscribeOptions{})
		h.Publish(ev(Added, "a", "x", "1"), ev(Added, "a", "y", "1"))
		first := drain(s)
		cursor := lastCursor(t, first)
		s.Close()
		h.Publish(ev(Modified, "a", "x", "2"), ev(Added, "b", "q", "1"), ev(Deleted, "a", "y", ""))

		r, resumed := h.Subscribe(SubscribeOptions{From: cursor})
		if !resumed {
			t.Fatal("not resumed")
		}
		want := []got{
			{Type: "event", Op: "modified", Key: "a/x", Data: "2"},
			{Type: "event", Op: "added", Key: "b/q", Data: "1"},
			{Type: "event", Op: "deleted", Key: "a/y", Data: "1"},
		}
		if diff := cmp.Diff(want, summarize(drain(r))); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
	})

	t.Run("resuming from the newest position replays nothing", func(t *testing.T) {
		h := newHub(Options{})
		h.Publish(ev(Added, "a", "x", "1"))
		r, resumed := h.Subscribe(SubscribeOptions{From: h.Position()})
		if !resumed {
			t.Fatal("not resumed")
		}
		if msgs := drain(r); len(msgs) != 0 {
			t.Errorf("got %v, want nothing", summarize(msgs))
		}
	})

	t.Run("the oldest covered position still resumes", func(t *testing.T) {
		h := newHub(Options{History: 3, Epoch: "e"})
		for i := range 5 {
			h.Publish(ev(Added, "a", fmt.Sprint(i), "1"))
		}
		// The ring holds events 3, 4 and 5: resuming after 2 is exact.
		r, resumed := h.Subscribe(SubscribeOptions{From: "e.2"})
		if !resumed {
			t.Fatal("not resumed")
		}
		if n := len(drain(r)); n != 3 {
			t.Errorf("replayed %d events, want 3", n)
		}
	})

	for _, tc := range []struct{ name, from, reason string }{
		{"a cursor older than the ring", "e.1", "older than the last 3 events"},
		{"a cursor of another epoch", "other.4", "another server instance"},
		{"a cursor ahead of the log", "e.99", "ahead of this server's log"},
		{"a malformed cursor", "12345", "not a position of this stream"},
	} {
		t.Run(tc.name+" gets a resync and a fresh snapshot", func(t *testing.T) {
			h := newHub(Options{History: 3, Epoch: "e"})
			for i := range 5 {
				h.Publish(ev(Added, "a", fmt.Sprint(i), "1"))
			}
			r, resumed := h.Subscribe(SubscribeOptions{From: tc.from})
			if resumed {
				t.Fatal("resumed")
			}
			msgs := drain(r)
			want := []got{{Type: "resync"}, {Type: "snapshot", Data: "a/0=1,a/1=1,a/2=1,a/3=1,a/4=1"}}
			if diff := cmp.Diff(want, summarize(msgs)); diff != "" {
				t.Errorf("messages (-want +got):\n%s", diff)
			}
			if !strings.Contains(msgs[0].Reason, tc.reason) {
				t.Errorf("reason %q does not say %q", msgs[0].Reason, tc.reason)
			}
			if msgs[1].Cursor != "e.5" {
				t.Errorf("snapshot cursor %q, want e.5", msgs[1].Cursor)
			}
			if st := h.Stats(); st.Resyncs != 1 {
				t.Errorf("Stats().Resyncs = %d, want 1", st.Resyncs)
			}
		})
	}
}

func TestBackpressure(t *testing.T) {
	t.Run("a subscriber behind gets the latest event per object", func(t *testing.T) {
		h := newHub(Options{QueueLength: 8})
		s, _ := h.Subscribe(SubscribeOptions{})
		drain(s)
		h.Publish(ev(Added, "a", "gone", "1"))
		for i := range 4 {
			h.Publish(ev(Added, "a", fmt.Sprint("k", i), "1"))
		}
		// Half full: from here on events for waiting objects are merged.
		for i := range 100 {
			h.Publish(ev(Modified, "a", "k1", fmt.Sprint(i)))
		}
		h.Publish(ev(Deleted, "a", "gone", ""), ev(Deleted, "a", "k2", ""))
		if n := s.Len(); n > 8 {
			t.Fatalf("queue holds %d events, bound is 8", n)
		}
		want := []got{
			{Type: "event", Op: "added", Key: "a/k0", Data: "1"},
			{Type: "event", Op: "added", Key: "a/k3", Data: "1"},
			{Type: "event", Op: "added", Key: "a/k1", Data: "99"},
		}
		if diff := cmp.Diff(want, summarize(drain(s))); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
		if st := h.Stats(); st.Coalesced != 102 || st.Dropped != 0 || st.Queued != 0 {
			t.Errorf("Stats() = %+v, want 102 coalesced, none dropped or queued", st)
		}
	})

	t.Run("a subscriber past the bound loses its queue and resyncs", func(t *testing.T) {
		h := newHub(Options{QueueLength: 4})
		s, _ := h.Subscribe(SubscribeOptions{})
		drain(s)
		for i := range 10 {
			h.Publish(ev(Added, "a", fmt.Sprint(i), "1"))
		}
		if st := h.Stats(); st.Queued != 0 || st.Dropped != 5 || st.Resyncs != 1 {
			t.Errorf("Stats() = %+v, want nothing queued, 5 dropped, 1 resync", st)
		}
		h.Publish(ev(Deleted, "a", "0", ""))
		msgs := drain(s)
		want := []got{{Type: "resync"}, {Type: "snapshot", Data: "a/1=1,a/2=1,a/3=1,a/4=1,a/5=1,a/6=1,a/7=1,a/8=1,a/9=1"}}
		if diff := cmp.Diff(want, summarize(msgs)); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
		h.Publish(ev(Added, "a", "10", "1"))
		if diff := cmp.Diff([]got{{Type: "event", Op: "added", Key: "a/10", Data: "1"}}, summarize(drain(s))); diff != "" {
			t.Errorf("after the resync (-want +got):\n%s", diff)
		}
	})

	t.Run("a stalled subscriber neither slows nor starves another", func(t *testing.T) {
		h := newHub(Options{QueueLength: 64})
		stalled, _ := h.Subscribe(SubscribeOptions{})
		drain(stalled) // takes its snapshot, then stops reading
		wake := make(chan struct{}, 1)
		fast, _ := h.Subscribe(SubscribeOptions{Notify: func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		}})
		drain(fast)
		const n, burst = 20_000, 32
		var counted atomic.Int64
		stop := make(chan struct{})
		go func() {
			for {
				select {
				case <-wake:
				case <-stop:
					return
				}
				for _, m := range drain(fast) {
					if m.Type != MessageEvent {
						t.Errorf("the fast subscriber got message type %d, want only events", m.Type)
					}
					counted.Add(1)
				}
			}
		}()
		defer close(stop)
		for i := 0; i < n; i += burst {
			for j := i; j < i+burst; j++ {
				h.Publish(ev(Added, "a", fmt.Sprint(j), "x"))
			}
			if l := stalled.Len(); l > 64 {
				t.Fatalf("the stalled queue holds %d events, bound is 64", l)
			}
			// Keep pace with the fast subscriber, as a socket would.
			deadline := time.Now().Add(10 * time.Second)
			for counted.Load() < int64(i+burst) {
				if time.Now().After(deadline) {
					t.Fatalf("the fast subscriber has %d of %d events after 10s", counted.Load(), i+burst)
				}
				time.Sleep(20 * time.Microsecond)
			}
		}
		if st := h.Stats(); st.Resyncs != 1 || st.MaxQueued > 64 {
			t.Errorf("Stats() = %+v, want one resync (the stalled one) and no queue over 64", st)
		}
	})
}

func TestFilter(t *testing.T) {
	t.Run("a namespace filter sees only its namespace, in snapshot and events", func(t *testing.T) {
		h := newHub(Options{})
		h.Publish(ev(Added, "a", "x", "1"), ev(Added, "b", "y", "1"))
		s, _ := h.Subscribe(SubscribeOptions{Filter: func(e Event) bool { return e.Key.Namespace == "a" }})
		msgs := s.Next(10)
		h.Publish(ev(Added, "b", "z", "1"), ev(Modified, "a", "x", "2"))
		want := []got{{Type: "snapshot", Data: "a/x=1"}, {Type: "event", Op: "modified", Key: "a/x", Data: "2"}}
		if diff := cmp.Diff(want, summarize(append(msgs, drain(s)...))); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
	})

	t.Run("an object entering a label selection is added, one leaving it is deleted", func(t *testing.T) {
		h := newHub(Options{})
		s, _ := h.Subscribe(SubscribeOptions{Filter: func(e Event) bool { return e.Labels["tier"] == "gold" }})
		drain(s)
		h.Publish(
			ev(Added, "a", "x", "1", "tier", "silver"),
			ev(Modified, "a", "x", "2", "tier", "gold"),
			ev(Modified, "a", "x", "3", "tier", "gold"),
			ev(Modified, "a", "x", "4", "tier", "silver"),
			ev(Deleted, "a", "x", ""),
		)
		want := []got{
			{Type: "event", Op: "added", Key: "a/x", Data: "2"},
			{Type: "event", Op: "modified", Key: "a/x", Data: "3"},
			{Type: "event", Op: "deleted", Key: "a/x", Data: "4"},
		}
		if diff := cmp.Diff(want, summarize(drain(s))); diff != "" {
			t.Errorf("messages (-want +got):\n%s", diff)
		}
	})

	t.Run("And stacks filters and skips nil ones", func(t *testing.T) {
		f := And(nil, func(e Event) bool { return e.Key.Namespace == "a" }, func(e Event) bool { return e.Key.Name == "x" })
		if !f(ev(Added, "a", "x", "")) || f(ev(Added, "a", "y", "")) || f(ev(Added, "b", "x", "")) {
			t.Error("And does not combine its filters")
		}
	})
}

func TestPanics(t *testing.T) {
	t.Run("a panicking filter ends its own subscription only", func(t *testing.T) {
		h := newHub(Options{})
		bad, _ := h.Subscribe(SubscribeOptions{Filter: func(e Event) bool {
			if e.Key.Name == "boom" {
				panic("filter bug")
			}
			return true
		}})
		good, _ := h.Subscribe(SubscribeOptions{})
		drain(bad)
		drain(good)
		h.Publish(ev(Added, "a", "boom", "1"), ev(Added, "a", "ok", "1"))
		if diff := cmp.Diff([]got{{Type: "failed"}}, summarize(drain(bad))); diff != "" {
			t.Errorf("bad subscriber (-want +got):\n%s", diff)
		}
		want := []got{{Type: "event", Op: "added", Key: "a/boom", Data: "1"}, {Type: "event", Op: "added", Key: "a/ok", Data: "1"}}
		if diff := cmp.Diff(want, summarize(drain(good))); diff != "" {
			t.Errorf("good subscriber (-want +got):\n%s", diff)
		}
		bad.Close()
		if st := h.Stats(); st.Subscribers != 1 {
			t.Errorf("%d subscribers after Close, want 1", st.Subscribers)
		}
	})

	t.Run("a filter panicking on the snapshot fails the subscription", func(t *testing.T) {
		h := newHub(Options{})
		h.Publish(ev(Added, "a", "x", "1"))
		s, _ := h.Subscribe(SubscribeOptions{Filter: func(Event) bool { panic("bug") }})
		if diff := cmp.Diff([]got{{Type: "failed"}}, summarize(drain(s))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})

	t.Run("a panicking notify function fails its subscription only", func(t *testing.T) {
		h := newHub(Options{})
		s, _ := h.Subscribe(SubscribeOptions{Notify: func() { panic("notify bug") }})
		other, _ := h.Subscribe(SubscribeOptions{})
		h.Publish(ev(Added, "a", "x", "1"))
		if diff := cmp.Diff([]got{{Type: "failed"}}, summarize(drain(s))); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if n := len(drain(other)); n != 1 {
			t.Errorf("other subscriber got %d messages, want the snapshot", n)
		}
	})
}

// TestConvergence runs publishers, slow and fast subscribers with small
// queues and filters, and subscribers that drop and resume, all at once;
// every subscriber's view, rebuilt from its messages only, must equal the
// filtered state of the hub at the end. This is the "no silent gap"
// property under coalescing, overflow, resync and resume. Run with -race.
func TestConvergence(t *testing.T) {
	h := newHub(Options{History: 300, QueueLength: 16})
	const publishers, perPublisher, keys = 4, 3000, 40
	filters := []Filter{
		nil,
		func(e Event) bool { return e.Key.Namespace == "n1" },
		func(e Event) bool { return e.Labels["c"] == "red" },
	}

	var wg sync.WaitGroup
	done := make(chan struct{})
	views := make([]map[Key]string, 0)
	var viewsMu sync.Mutex
	for i := range 9 {
		filter := filters[i%len(filters)]
		resumeEvery := 0
		if i >= 6 {
			resumeEvery = 50 // drop the subscription every 50 messages and resume
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			view := map[Key]string{}
			wake := make(chan struct{}, 1)
			notify := func() {
				select {
				case wake <- struct{}{}:
				default:
				}
			}
			s, _ := h.Subscribe(SubscribeOptions{Filter: filter, Notify: notify})
			cursor, n, finishing := "", 0, false
			for {
				msgs := s.Next(8)
				for _, m := range msgs {
					switch m.Type {
					case MessageSnapshot:
						clear(view)
						for _, it := range m.Items {
							view[it.Key] = string(it.Data)
						}
					case MessageEvent:
						if m.Op == Deleted {
							delete(view, m.Event.Key)
						} else {
							view[m.Event.Key] = string(m.Event.Data)
						}
					case MessageFailed:
						t.Errorf("subscription failed: %s", m.Reason)
						return
					}
					if m.Cursor != "" {
						cursor = m.Cursor
					}
					n++
					if resumeEvery > 0 && n%resumeEvery == 0 && cursor != "" {
						s.Close()
						s, _ = h.Subscribe(SubscribeOptions{Filter: filter, Notify: notify, From: cursor})
						break
					}
				}
				if len(msgs) > 0 {
					continue
				}
				if finishing {
					break
				}
				if i%3 == 0 {
					// A slow consumer: pause so that its queue overflows.
					for range 100 {
						select {
						case <-done:
						default:
						}
					}
				}
				select {
				case <-wake:
				case <-done:
					finishing = true // drain once more after the last publish
				}
			}
			s.Close()
			viewsMu.Lock()
			views = append(views, view)
			viewsMu.Unlock()
		}()
	}

	var pub sync.WaitGroup
	for p := range publishers {
		pub.Add(1)
		go func() {
			defer pub.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 1))
			for i := range perPublisher {
				ns := fmt.Sprint("n", rng.IntN(2))
				name := fmt.Sprint("p", p, "k", rng.IntN(keys))
				color := []string{"red", "blue"}[rng.IntN(2)]
				op := Modified
				if rng.IntN(6) == 0 {
					op = Deleted
				}
				h.Publish(ev(op, ns, name, fmt.Sprint(p, ":", i), "c", color))
			}
		}()
	}
	pub.Wait()
	close(done)
	wg.Wait()

	if len(views) != 9 {
		t.Fatalf("%d subscribers finished, want 9", len(views))
	}
	h.mu.Lock()
	state := maps.Clone(h.state)
	h.mu.Unlock()
	viewsMu.Lock()
	defer viewsMu.Unlock()
	// Which filter each view used is lost in the append order, so compare
	// each view with the state under every filter and require a match.
	wantViews := make([]map[Key]string, len(filters))
	for i, f := range filters {
		wantViews[i] = map[Key]string{}
		for k, e := range state {
			if f == nil || f(*e) {
				wantViews[i][k] = string(e.Data)
			}
		}
	}
	for i, v := range views {
		matched := false
		for _, w := range wantViews {
			if cmp.Equal(w, v) {
				matched = true
			}
		}
		if !matched {
			t.Errorf("subscriber view %d (%d objects) matches no filtered state: a gap or a stale object", i, len(v))
		}
	}
	st := h.Stats()
	t.Logf("stats: %+v", st)
	if st.Queued != 0 || st.Subscribers != 0 {
		t.Errorf("after every Close: %d queued, %d subscribers", st.Queued, st.Subscribers)
	}
}

// newHub is New with the panic log discarded.
func newHub(opts Options) *Hub {
	opts.Logger = slog.New(slog.DiscardHandler)
	return New(opts)
}
