package hub

import (
	"fmt"
)

// Op is what happened to an object.
type Op uint8

// The operations.
const (
	// Added reports an object that appeared (or started matching a filter).
	Added Op = iota + 1
	// Modified reports a change to an object that existed before.
	Modified
	// Deleted reports an object that went away (or stopped matching a
	// filter).
	Deleted
)

// String returns "added", "modified" or "deleted".
func (o Op) String() string {
	switch o {
	case Added:
		return "added"
	case Modified:
		return "modified"
	case Deleted:
		return "deleted"
	}
	return fmt.Sprintf("Op(%d)", uint8(o))
}

// Key names one object of the hub's state: a kind of the API (for
// example "providers", "routes" or a raw kind such as "secrets"), a
// namespace and a name.
type Key struct {
	// Kind is the API kind, e.g. "providers".
	Kind string
	// Namespace is the object's namespace ("" for cluster-scoped objects).
	Namespace string
	// Name is the object's name.
	Name string
}

// String returns kind/namespace/name.
func (k Key) String() string { return k.Kind + "/" + k.Namespace + "/" + k.Name }

// Event is one change in the API's terms. Published events are shared by
// every subscriber and must not be modified.
type Event struct {
	// Op is what happened. The hub corrects it against its state: Modified
	// for an object it does not hold becomes Added, Added for one it holds
	// becomes Modified, and Deleted for one it does not hold is dropped.
	Op Op
	// Key names the object.
	Key Key
	// ResourceVersion is the Kubernetes resourceVersion (an etcd revision)
	// of the change that caused the event.
	ResourceVersion uint64
	// Labels are the object's labels, for label selectors.
	Labels map[string]string
	// Data is the object as JSON, encoded once for every subscriber. For
	// Deleted it is the last state seen.
	Data []byte
}

// Filter reports whether a subscriber wants an object in the given state.
// It is called under the hub's lock for every published event, twice (the
// state before and after), so it must be fast and must not call the hub.
// A filter that panics ends its subscription only.
type Filter func(Event) bool

// And returns a filter that matches when every non-nil filter matches; it
// is how a per-user authorization filter is stacked on a subscription's
// selector.
func And(filters ...Filter) Filter {
	var fs []Filter
	for _, f := range filters {
		if f != nil {
			fs = append(fs, f)
		}
	}
	return func(e Event) bool {
		for _, f := range fs {
			if !f(e) {
				return false
			}
		}
		return true
	}
}

// MessageType says what a Message carries.
type MessageType uint8

// The message types.
const (
	// MessageEvent carries one event.
	MessageEvent MessageType = iota + 1
	// MessageSnapshot carries the filtered state at Cursor.
	MessageSnapshot
	// MessageResyncRequired says that events were lost for this
	// subscriber (it fell too far behind, or its resume cursor is not
	// covered); a MessageSnapshot follows.
	MessageResyncRequired
	// MessageFailed ends the subscription after an internal error; Reason
	// says which. Nothing follows.
	MessageFailed
)

// Message is what a subscriber receives from Next.
type Message struct {
	// Type says what the message carries.
	Type MessageType
	// Cursor is the position after this message: the event's own position,
	// or the position the snapshot was cut at. Empty for
	// MessageResyncRequired and MessageFailed.
	Cursor string
	// Op is the event's operation as this subscriber sees it (a change
	// that makes an object match its filter is Added, one that makes it
	// stop matching is Deleted); set for MessageEvent.
	Op Op
	// Event is the event; set for MessageEvent. Its Op is the published
	// one: use Message.Op.
	Event *Event
	// Items is the snapshot, sorted by kind, namespace and name; set for
	// MessageSnapshot.
	Items []*Event
	// Reason explains a MessageResyncRequired or MessageFailed.
	Reason string
}
