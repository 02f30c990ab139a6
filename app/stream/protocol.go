package stream

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/aigw-console/aigw-console/app/hub"
)

// Client message types.
const (
	// TypeSubscribe opens a subscription.
	TypeSubscribe = "subscribe"
	// TypeUnsubscribe closes one.
	TypeUnsubscribe = "unsubscribe"
)

// Server message types besides the event types (see EventType).
const (
	// TypeSubscribed acknowledges a subscribe; data says whether it resumed.
	TypeSubscribed = "subscribed"
	// TypeUnsubscribed acknowledges an unsubscribe; nothing more comes for
	// that subscription.
	TypeUnsubscribed = "unsubscribed"
	// TypeSnapshot carries the current state of a subscription.
	TypeSnapshot = "snapshot"
	// TypeResyncRequired says that events were lost for a subscription; a
	// snapshot follows and replaces everything the client holds for it.
	TypeResyncRequired = "resync_required"
	// TypeBookmark carries a resourceVersion to resume from, for a
	// subscription that had nothing to send for a while.
	TypeBookmark = "bookmark"
	// TypeError reports a client message the server cannot act on, or a
	// subscription that failed; the connection stays up.
	TypeError = "error"
)

// Error codes of TypeError messages.
const (
	// CodeInvalidMessage: not JSON, not text, an unknown field or type.
	CodeInvalidMessage = "InvalidMessage"
	// CodeInvalidSubscription: a subscribe with an invalid field.
	CodeInvalidSubscription = "InvalidSubscription"
	// CodeDuplicateSubscription: the id is already open on the connection.
	CodeDuplicateSubscription = "DuplicateSubscription"
	// CodeUnknownSubscription: an unsubscribe for an id that is not open.
	CodeUnknownSubscription = "UnknownSubscription"
	// CodeTooManySubscriptions: Options.MaxSubscriptions are open.
	CodeTooManySubscriptions = "TooManySubscriptions"
	// CodeSubscriptionFailed: an internal error ended the subscription.
	CodeSubscriptionFailed = "SubscriptionFailed"
)

// Request is a message from the client.
type Request struct {
	// Type is TypeSubscribe or TypeUnsubscribe.
	Type string `json:"type"`
	// ID names the subscription on this connection: 1 to 64 characters of
	// letters, digits and "._:-".
	ID string `json:"id"`
	// Kinds are the kinds to receive (subscribe only): "providers",
	// "routes" or a raw kind such as "aiservicebackends".
	Kinds []string `json:"kinds,omitempty"`
	// Namespace limits the subscription to one namespace; "" is all.
	Namespace string `json:"namespace,omitempty"`
	// Name limits the subscription to objects of this name.
	Name string `json:"name,omitempty"`
	// LabelSelector limits the subscription to objects whose labels match,
	// in Kubernetes syntax ("team=a,tier!=gold").
	LabelSelector string `json:"labelSelector,omitempty"`
	// ResourceVersion resumes after this position (the resourceVersion of
	// the last message received); "" starts with a snapshot.
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// Envelope is a message from the server, as clients decode it.
type Envelope struct {
	// Type is the message type.
	Type string `json:"type"`
	// Subscription is the id of the subscription the message belongs to;
	// empty for an error about a message without a usable id.
	Subscription string `json:"subscription,omitempty"`
	// ResourceVersion is the stream position after this message, on events,
	// snapshots and bookmarks: send it back to resume.
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// Data is the payload: an Item for events, a SnapshotData, SubscribedData,
	// ResyncData or ErrorData.
	Data json.RawMessage `json:"data,omitempty"`
}

// Item is one object of a snapshot, and the data of an event.
type Item struct {
	// Kind is "providers", "routes" or a raw kind.
	Kind string `json:"kind"`
	// Namespace is the object's namespace.
	Namespace string `json:"namespace"`
	// Name is the object's name.
	Name string `json:"name"`
	// ResourceVersion is the Kubernetes resourceVersion of the change that
	// gave this state (an etcd revision, decimal).
	ResourceVersion string `json:"resourceVersion"`
	// Object is the provider view, the route view or the raw object; for a
	// deletion, its last state.
	Object json.RawMessage `json:"object"`
}

// SnapshotData is the data of a snapshot.
type SnapshotData struct {
	// Items are the objects, sorted by kind, namespace and name.
	Items []Item `json:"items"`
}

// SubscribedData is the data of a subscribed message.
type SubscribedData struct {
	// Resumed is true when the subscription continues after the requested
	// resourceVersion; false when a snapshot comes first.
	Resumed bool `json:"resumed"`
}

// ResyncData is the data of a resync_required message.
type ResyncData struct {
	// Reason says why events were lost.
	Reason string `json:"reason"`
}

// ErrorData is the data of an error message.
type ErrorData struct {
	// Code is one of the Code constants.
	Code string `json:"code"`
	// Message explains the error for a person.
	Message string `json:"message"`
}

// EventType is the message type of an event: provider_created,
// provider_updated and provider_deleted for "providers"; route_created,
// route_updated and route_deleted for "routes"; resource_added,
// resource_modified and resource_deleted for every raw kind; sync_created,
// sync_updated and sync_deleted for "sync" (GitOps mode).
func EventType(kind string, op hub.Op) string {
	prefix, verbs := "resource_", [...]string{"added", "modified", "deleted"}
	switch kind {
	case "providers":
		prefix, verbs = "provider_", [...]string{"created", "updated", "deleted"}
	case "routes":
		prefix, verbs = "route_", [...]string{"created", "updated", "deleted"}
	case "sync":
		prefix, verbs = "sync_", [...]string{"created", "updated", "deleted"}
	}
	switch op {
	case hub.Added:
		return prefix + verbs[0]
	case hub.Modified:
		return prefix + verbs[1]
	default:
		return prefix + verbs[2]
	}
}

// appendEnvelope appends a server message whose data is already JSON.
func appendEnvelope(b []byte, typ, sub, rv string, data func([]byte) []byte) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, typ)
	if sub != "" {
		b = append(b, `,"subscription":`...)
		b = appendString(b, sub)
	}
	if rv != "" {
		b = append(b, `,"resourceVersion":`...)
		b = appendString(b, rv)
	}
	if data != nil {
		b = append(b, `,"data":`...)
		b = data(b)
	}
	return append(b, '}')
}

// appendItem appends the Item of an event.
func appendItem(b []byte, e *hub.Event) []byte {
	b = append(b, `{"kind":`...)
	b = appendString(b, e.Key.Kind)
	b = append(b, `,"namespace":`...)
	b = appendString(b, e.Key.Namespace)
	b = append(b, `,"name":`...)
	b = appendString(b, e.Key.Name)
	b = append(b, `,"resourceVersion":"`...)
	b = strconv.AppendUint(b, e.ResourceVersion, 10)
	b = append(b, `","object":`...)
	if len(e.Data) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, e.Data...)
	}
	return append(b, '}')
}

// appendSnapshot appends SnapshotData.
func appendSnapshot(b []byte, items []*hub.Event) []byte {
	b = append(b, `{"items":[`...)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendItem(b, it)
	}
	return append(b, "]}"...)
}

// appendJSON appends v encoded; v is one of the data types above, which
// always encode.
func appendJSON(v any) func([]byte) []byte {
	return func(b []byte) []byte {
		raw, _ := json.Marshal(v)
		return append(b, raw...)
	}
}

// appendString appends s as a JSON string.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
		}
	}
	return append(b, '"')
}
