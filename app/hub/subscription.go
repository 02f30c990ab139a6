package hub

import (
	"cmp"
	"fmt"
	"slices"
	"sync"
)

// subState is where a subscription stands.
type subState uint8

const (
	// stateSnapshot: the next Next cuts a snapshot (the first one, or the
	// one after a resync). Events are not queued meanwhile: the snapshot
	// will hold their result.
	stateSnapshot subState = iota
	// stateLive: events are queued.
	stateLive
	// stateFailed: a panic ended the subscription; Next reports it once.
	stateFailed
	// stateClosed: nothing more.
	stateClosed
)

// Subscription is one subscriber's view of the hub. Next must be called
// from one goroutine at a time; Bookmark and Close from any.
type Subscription struct {
	hub      *Hub
	filter   Filter
	notifyFn func()

	mu     sync.Mutex
	state  subState
	resync string // reason of a pending resync; "" for the first snapshot
	failed string // reason of stateFailed
	seen   uint64 // the last position offered while live
	q      queue
}

// offer queues r for the subscriber if its filter wants it. Called by
// Publish with the hub's lock held.
func (s *Subscription) offer(r *record) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.offerLocked(r)
	s.notify()
}

// offerLocked is offer with s.mu held and without the notification.
func (s *Subscription) offerLocked(r *record) {
	if s.state != stateLive {
		return
	}
	s.seen = r.seq
	op, ok := s.classify(r)
	if !ok {
		return
	}
	h := s.hub
	if s.q.live >= h.coalesceAt {
		if n, merged := s.q.coalesce(r, op); merged {
			h.coalesced.Add(1)
			h.queued.Add(int64(n))
			return
		}
	}
	if s.q.live >= h.queueLen {
		h.dropped.Add(uint64(s.q.live) + 1)
		h.queued.Add(-int64(s.q.live))
		h.resyncs.Add(1)
		s.q.reset()
		s.state = stateSnapshot
		s.resync = fmt.Sprintf("the subscriber fell more than %d events behind", h.queueLen)
		return
	}
	s.q.push(entry{r: r, op: op})
	h.queued.Add(1)
	if s.q.pending() > 2*h.queueLen {
		s.q.compact()
	}
}

// classify applies the filter to the object before and after r, as a
// watch with a selector does: entering the selection is Added, leaving it
// is Deleted. A panicking filter fails the subscription.
func (s *Subscription) classify(r *record) (op Op, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			s.fail(s.hub.recovered("filter", p))
			op, ok = 0, false
		}
	}()
	now := r.ev.Op != Deleted && s.filter(*r.ev)
	before := r.prev != nil && s.filter(*r.prev)
	switch {
	case now && before:
		return Modified, true
	case now:
		return Added, true
	case before:
		return Deleted, true
	}
	return 0, false
}

// fail ends the subscription with reason. Call with s.mu held.
func (s *Subscription) fail(reason string) {
	s.hub.queued.Add(-int64(s.q.live))
	s.q.reset()
	s.state = stateFailed
	s.failed = reason
}

// notify calls Notify; a panic in it fails the subscription. Call with
// s.mu held.
func (s *Subscription) notify() {
	if s.notifyFn == nil {
		return
	}
	defer func() {
		if p := recover(); p != nil {
			s.fail(s.hub.recovered("notify function", p))
		}
	}()
	s.notifyFn()
}

// Next returns up to max messages (at least 1 is asked for), or none when
// nothing is waiting. The first messages of a subscription that did not
// resume are a snapshot (after MessageResyncRequired when a resume was
// refused or the subscriber fell behind); a snapshot is cut when Next is
// called, not when the need arises, so a stalled subscriber holds none.
func (s *Subscription) Next(max int) []Message {
	max = cmp.Or(max, 1)
	s.mu.Lock()
	switch s.state {
	case stateClosed:
		s.mu.Unlock()
		return nil
	case stateFailed:
		s.state = stateClosed
		reason := s.failed
		s.mu.Unlock()
		return []Message{{Type: MessageFailed, Reason: reason}}
	case stateSnapshot:
		s.mu.Unlock()
		return s.snapshot()
	}
	defer s.mu.Unlock()
	var out []Message
	for len(out) < max {
		e, ok := s.q.pop()
		if !ok {
			break
		}
		s.hub.queued.Add(-1)
		out = append(out, Message{Type: MessageEvent, Cursor: s.hub.cursor(e.r.seq), Op: e.op, Event: e.r.ev})
	}
	return out
}

// snapshot cuts the filtered state at the current position and makes the
// subscription live from there. The hub's lock makes the cut and the
// switch to live one step, so the next event queued is the first one after
// the snapshot.
func (s *Subscription) snapshot() (msgs []Message) {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateSnapshot {
		return nil
	}
	var items []*Event
	func() {
		defer func() {
			if p := recover(); p != nil {
				s.fail(h.recovered("filter", p))
				items = nil
			}
		}()
		for _, ev := range h.state {
			if s.filter(*ev) {
				items = append(items, ev)
			}
		}
	}()
	if s.state == stateFailed {
		s.state = stateClosed
		return []Message{{Type: MessageFailed, Reason: s.failed}}
	}
	slices.SortFunc(items, func(a, b *Event) int {
		return cmp.Or(cmp.Compare(a.Key.Kind, b.Key.Kind), cmp.Compare(a.Key.Namespace, b.Key.Namespace), cmp.Compare(a.Key.Name, b.Key.Name))
	})
	if s.resync != "" {
		msgs = append(msgs, Message{Type: MessageResyncRequired, Reason: s.resync})
		s.resync = ""
	}
	s.state = stateLive
	s.seen = h.seq
	return append(msgs, Message{Type: MessageSnapshot, Cursor: h.cursor(h.seq), Items: items})
}

// Bookmark returns the subscription's current position when everything up
// to it has been returned by Next: a cursor the subscriber may resume from
// even though no event of its own came by. ok is false while messages are
// waiting or a snapshot is due.
func (s *Subscription) Bookmark() (cursor string, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state != stateLive || s.q.live > 0 {
		return "", false
	}
	return s.hub.cursor(s.seen), true
}

// Len returns the number of events waiting.
func (s *Subscription) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.q.live
}

// Close ends the subscription and frees its queue. It is idempotent.
func (s *Subscription) Close() {
	h := s.hub
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.subs, s)
	s.mu.Lock()
	defer s.mu.Unlock()
	h.queued.Add(-int64(s.q.live))
	s.q.reset()
	s.state = stateClosed
}
