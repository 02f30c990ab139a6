// Package hub fans domain events out to many subscribers, each with its own
// filter and its own bounded queue, and lets a subscriber that lost its
// connection resume exactly where it stopped.
//
// The hub sits between the watcher (package watch), which publishes events
// in the API's terms, and the WebSocket stream (package stream), which
// writes them to sockets. It knows nothing of Kubernetes client types or of
// sockets: an Event is a key, an operation, labels and pre-encoded JSON.
//
// # State, log and positions
//
// Publish assigns every event the next sequence number of this hub and
// folds it into the hub's state, the latest event of every live object.
// The last Options.History events are kept in a ring buffer. A position in
// that log is a cursor, "<epoch>.<seq>", where the epoch is random per hub,
// so a cursor from another process or replica is never mistaken for one of
// ours. The cursor is what the stream calls the resourceVersion of a
// message; clients treat it as opaque.
//
// # Subscribing
//
// Subscribe with no cursor starts with a snapshot: the filtered state at
// some position P, followed by every matching event after P, in order.
// Because the snapshot is cut from the hub's own state under the same lock
// that orders the log, there is neither a gap nor an overlap between the
// two. Subscribe with a cursor the ring still covers replays exactly the
// matching events after it, then continues live. A cursor the ring no
// longer covers (too old, from another epoch, malformed) yields a
// ResyncRequired message followed by a fresh snapshot: never a silent gap.
//
// A filter sees an object before and after each change, as a Kubernetes
// watch with a label selector does: an object that starts matching is
// delivered as Added, one that stops matching as Deleted.
//
// # Backpressure
//
// Publish never blocks on a subscriber. Each subscriber has a queue of at
// most Options.QueueLength events. Once the queue is half full the
// subscriber is falling behind, and a new event for an object that still
// has one waiting replaces it (Added then Modified is Added, Modified then
// Deleted is Deleted, Added then Deleted is nothing). When the queue is
// full anyway, it is dropped and the subscriber is marked for resync: its
// next messages are ResyncRequired and a snapshot, built when it asks for
// them, so a stalled subscriber costs at most QueueLength queued events.
// One slow subscriber never slows the others, and the hub never writes to
// a socket: it calls the subscriber's Notify (which must not block) and
// the consumer pulls with Next.
//
// # Failure
//
// A panic in a subscriber's filter or Notify is recovered: that
// subscription ends with a Failed message and the others carry on.
package hub
