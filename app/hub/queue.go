package hub

// entry is one queued event with the operation its subscriber sees; a nil
// r is the hole left by an event that was coalesced into a newer one.
type entry struct {
	r  *record
	op Op
}

// queue is a subscriber's FIFO of events with an index of the waiting
// event per object, so that a newer event can replace a waiting one in
// O(1).
type queue struct {
	entries []entry
	head    int           // entries[head:] are pending
	base    int64         // absolute index of entries[0]
	live    int           // pending entries that are not holes
	latest  map[Key]int64 // absolute index of the waiting entry per object
}

// pending is the number of slots in use, holes included.
func (q *queue) pending() int { return len(q.entries) - q.head }

func (q *queue) push(e entry) {
	q.entries = append(q.entries, e)
	q.latest[e.r.ev.Key] = q.base + int64(len(q.entries)-1)
	q.live++
}

// pop removes the oldest event.
func (q *queue) pop() (entry, bool) {
	for q.head < len(q.entries) {
		e := q.entries[q.head]
		q.entries[q.head] = entry{} // let the record go
		q.head++
		if e.r == nil {
			continue
		}
		q.live--
		if abs := q.base + int64(q.head-1); q.latest[e.r.ev.Key] == abs {
			delete(q.latest, e.r.ev.Key)
		}
		q.shrink()
		return e, true
	}
	q.shrink()
	return entry{}, false
}

// shrink reuses the slice's front once most of it has been popped.
func (q *queue) shrink() {
	if q.head == len(q.entries) {
		q.base += int64(q.head)
		q.entries, q.head = q.entries[:0], 0
		return
	}
	if q.head > 64 && q.head > len(q.entries)/2 {
		n := copy(q.entries, q.entries[q.head:])
		clear(q.entries[n:])
		q.base += int64(q.head)
		q.entries, q.head = q.entries[:n], 0
	}
}

// coalesce merges r into the event still waiting for the same object, if
// any: the waiting one becomes a hole and the merged event goes to the
// back, with r's position, so positions stay increasing. It returns the
// change in live entries and whether it merged.
func (q *queue) coalesce(r *record, op Op) (delta int, merged bool) {
	abs, ok := q.latest[r.ev.Key]
	if !ok {
		return 0, false
	}
	i := int(abs - q.base)
	old := q.entries[i]
	q.entries[i] = entry{}
	q.live--
	delete(q.latest, r.ev.Key)
	if m, keep := mergeOps(old.op, op); keep {
		q.push(entry{r: r, op: m})
		return 0, true
	}
	return -1, true
}

// mergeOps is the operation a subscriber sees for two changes in a row,
// and false when nothing is left to tell.
func mergeOps(older, newer Op) (Op, bool) {
	switch {
	case older == Added && newer == Deleted:
		return 0, false // it came and went before the subscriber heard of it
	case older == Added:
		return Added, true
	case newer == Deleted:
		return Deleted, true
	default:
		// Modified then Modified, or Deleted then Added again: the
		// subscriber holds an older state of the object.
		return Modified, true
	}
}

// compact removes the holes.
func (q *queue) compact() {
	live := q.entries[q.head:]
	out := make([]entry, 0, max(q.live, 16))
	clear(q.latest)
	q.base += int64(len(q.entries))
	for _, e := range live {
		if e.r != nil {
			q.latest[e.r.ev.Key] = q.base + int64(len(out))
			out = append(out, e)
		}
	}
	q.entries, q.head = out, 0
}

// reset empties the queue.
func (q *queue) reset() {
	q.base += int64(len(q.entries))
	q.entries, q.head, q.live = nil, 0, 0
	clear(q.latest)
}
