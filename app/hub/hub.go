package hub

import (
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// Defaults of Options.
const (
	// DefaultHistory is how many events the hub keeps for resuming.
	DefaultHistory = 10_000
	// DefaultQueueLength is the bound of each subscriber's queue.
	DefaultQueueLength = 1024
)

// Options configure New. The zero value works.
type Options struct {
	// History is how many of the latest events are kept so that a
	// subscriber can resume after a reconnect. A client that was away for
	// more events than this gets a resync instead. Default: 10,000
	// (DefaultHistory).
	History int
	// QueueLength bounds each subscriber's queue of undelivered events;
	// past it the queue is dropped and the subscriber resyncs. Memory per
	// stalled subscriber is at most QueueLength events. Default: 1,024
	// (DefaultQueueLength).
	QueueLength int
	// Epoch names this hub's log in cursors, so that a cursor of another
	// process is recognised. Default: 8 random hex digits; tests set it.
	Epoch string
	// Logger receives recovered panics. Default: slog.Default().
	Logger *slog.Logger
}

// Hub is the fan-out between the watcher and the stream. Its methods are
// safe for concurrent use.
type Hub struct {
	history    int
	queueLen   int
	coalesceAt int
	epoch      string
	log        *slog.Logger

	mu    sync.Mutex
	seq   uint64         // position of the last published event
	ring  []*record      // the last len(ring) events, at (seq-1) % len(ring)
	state map[Key]*Event // the latest event of every live object
	subs  map[*Subscription]struct{}

	queued    atomic.Int64
	published atomic.Uint64
	dropped   atomic.Uint64
	coalesced atomic.Uint64
	resyncs   atomic.Uint64
}

// record is one published event at its position, with the state of the
// object before it so that filters can tell an object entering or leaving
// their selection.
type record struct {
	seq  uint64
	ev   *Event
	prev *Event // nil when the object did not exist
}

// New returns an empty hub.
func New(opts Options) *Hub {
	if opts.History <= 0 {
		opts.History = DefaultHistory
	}
	if opts.QueueLength <= 0 {
		opts.QueueLength = DefaultQueueLength
	}
	if opts.Epoch == "" {
		opts.Epoch = newEpoch()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Hub{
		history:    opts.History,
		queueLen:   opts.QueueLength,
		coalesceAt: max(opts.QueueLength/2, 1),
		epoch:      opts.Epoch,
		log:        opts.Logger,
		ring:       make([]*record, opts.History),
		state:      map[Key]*Event{},
		subs:       map[*Subscription]struct{}{},
	}
}

// Publish appends events to the log in order, folds them into the state
// and offers each to every subscriber. It never blocks on a subscriber.
func (h *Hub) Publish(events ...Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i := range events {
		ev := events[i]
		prev := h.state[ev.Key]
		switch {
		case ev.Op == Deleted && prev == nil:
			continue // nothing to delete: the state never held it
		case ev.Op == Deleted:
			delete(h.state, ev.Key)
			if len(ev.Data) == 0 {
				ev.Data, ev.Labels = prev.Data, prev.Labels
			}
		case prev == nil:
			ev.Op = Added
		default:
			ev.Op = Modified
		}
		p := &ev
		if ev.Op != Deleted {
			h.state[ev.Key] = p
		}
		h.seq++
		r := &record{seq: h.seq, ev: p, prev: prev}
		h.ring[(h.seq-1)%uint64(len(h.ring))] = r
		h.published.Add(1)
		for s := range h.subs {
			s.offer(r)
		}
	}
}

// first is the position of the oldest event in the ring. Call with mu held.
func (h *Hub) first() uint64 {
	if h.seq < uint64(len(h.ring)) {
		return 1
	}
	return h.seq - uint64(len(h.ring)) + 1
}

// SubscribeOptions configure one subscription.
type SubscribeOptions struct {
	// Filter selects the objects the subscriber wants. Default: all.
	Filter Filter
	// Notify is called, under the hub's lock, whenever Next has something
	// new. It must not block or call the hub; a size-1 channel and a
	// select with default is the intended use. Default: none (the
	// subscriber polls).
	Notify func()
	// From resumes after this cursor (a Message.Cursor received earlier).
	// Default: "" (start with a snapshot).
	From string
}

// Subscribe registers a subscriber. It reports whether From was honored:
// true means Next replays exactly the matching events after From; false
// means Next starts with a snapshot, preceded by MessageResyncRequired when
// From was given but is not covered.
func (h *Hub) Subscribe(opts SubscribeOptions) (*Subscription, bool) {
	s := &Subscription{hub: h, filter: opts.Filter, notifyFn: opts.Notify}
	if s.filter == nil {
		s.filter = func(Event) bool { return true }
	}
	s.q.latest = map[Key]int64{}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s] = struct{}{}
	s.mu.Lock()
	defer s.mu.Unlock()
	if opts.From == "" {
		s.state = stateSnapshot
		s.notify()
		return s, false
	}
	epoch, from, ok := parseCursor(opts.From)
	switch {
	case !ok:
		s.resync = fmt.Sprintf("resourceVersion %q is not a position of this stream", opts.From)
	case epoch != h.epoch:
		s.resync = fmt.Sprintf("resourceVersion %q is from another server instance (restarted, or another replica)", opts.From)
	case from > h.seq:
		s.resync = fmt.Sprintf("resourceVersion %q is ahead of this server's log", opts.From)
	case from+1 < h.first():
		s.resync = fmt.Sprintf("resourceVersion %q is older than the last %d events this server keeps", opts.From, len(h.ring))
	}
	if s.resync != "" {
		h.resyncs.Add(1)
		s.state = stateSnapshot
		s.notify()
		return s, false
	}
	s.state = stateLive
	s.seen = from
	for seq := from + 1; seq <= h.seq; seq++ {
		s.offerLocked(h.ring[(seq-1)%uint64(len(h.ring))])
	}
	s.notify()
	return s, s.state == stateLive
}

// Stats are the hub's counters and gauges, for metrics.
type Stats struct {
	// Subscribers is the number of open subscriptions.
	Subscribers int
	// Queued is the number of events waiting in all subscriber queues.
	Queued int64
	// MaxQueued is the length of the longest subscriber queue.
	MaxQueued int
	// Published counts events appended to the log.
	Published uint64
	// Dropped counts events discarded with an overflowing queue.
	Dropped uint64
	// Coalesced counts events merged into a newer event for the same
	// object while their subscriber was behind.
	Coalesced uint64
	// Resyncs counts snapshots sent because events were lost: overflowed
	// queues and resume cursors that were not covered.
	Resyncs uint64
}

// Stats returns the current counters.
func (h *Hub) Stats() Stats {
	h.mu.Lock()
	st := Stats{Subscribers: len(h.subs)}
	for s := range h.subs {
		s.mu.Lock()
		st.MaxQueued = max(st.MaxQueued, s.q.live)
		s.mu.Unlock()
	}
	h.mu.Unlock()
	st.Queued = h.queued.Load()
	st.Published = h.published.Load()
	st.Dropped = h.dropped.Load()
	st.Coalesced = h.coalesced.Load()
	st.Resyncs = h.resyncs.Load()
	return st
}

// Position returns the cursor of the last published event.
func (h *Hub) Position() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cursor(h.seq)
}

// recovered logs a panic of one subscriber and returns it as a reason.
func (h *Hub) recovered(what string, p any) string {
	h.log.Error("hub: recovered a panic", "in", what, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
	return fmt.Sprintf("internal error in the subscription's %s", what)
}
