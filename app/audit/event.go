package audit

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// The reasons of the console's Events.
const (
	ReasonApplied = "ConsoleApplied"
	ReasonDeleted = "ConsoleDeleted"
	ReasonDryRun  = "ConsoleDryRun"
	ReasonDenied  = "ConsoleDenied"
	ReasonInvalid = "ConsoleInvalid"
	ReasonFailed  = "ConsoleFailed"
)

// RequestIDAnnotation on an Event holds the request ID of its record.
const RequestIDAnnotation = "aigw-console.io/request-id"

// Component is the Event source.
const Component = "aigw-console"

// Event is the Kubernetes Event of one record.
type Event struct {
	// Name is the Event's name: the object's name and a hash of the
	// request ID, so the Event of a request can be found by name.
	Name      string
	RequestID string
	// Object is the object the Event is about.
	Object  Object
	Type    string // Normal or Warning
	Reason  string
	Message string
	Time    time.Time
}

// EventName is the name of the Event for a request on an object.
func EventName(object, requestID string) string {
	sum := sha256.Sum256([]byte(requestID))
	if len(object) > 200 {
		object = object[:200]
	}
	return object + ".aigw-" + hex.EncodeToString(sum[:8])
}

// involved maps the record's primary object to the Kubernetes object the
// Event is about: a provider is its AIServiceBackend, a route its
// AIGatewayRoute, a raw resource itself.
func involved(rec Record) (Object, bool) {
	if rec.Target != nil {
		return *rec.Target, true
	}
	if rec.Name == "" {
		return Object{}, false
	}
	ns := rec.Namespace
	if ns == "" {
		ns = "default"
	}
	o := Object{Namespace: ns, Name: rec.Name}
	switch rec.Kind {
	case "provider":
		o.APIVersion, o.Kind = "aigateway.envoyproxy.io/v1beta1", "AIServiceBackend"
	case "route":
		o.APIVersion, o.Kind = "aigateway.envoyproxy.io/v1beta1", "AIGatewayRoute"
	default:
		if rec.resourceKind.Kind == "" {
			return Object{}, false
		}
		o.APIVersion, o.Kind = rec.resourceKind.APIVersion, rec.resourceKind.Kind
	}
	for _, x := range rec.Objects {
		if x.Kind == o.Kind && x.Name == o.Name && x.Namespace == o.Namespace && x.ResourceVersion != "" {
			o.ResourceVersion = x.ResourceVersion
		}
	}
	return o, true
}

// Reason returns the Event reason and type for a record's result.
func Reason(rec Record) (reason, typ string) {
	st := rec.Result.Status
	switch {
	case st < 300 && rec.DryRun:
		return ReasonDryRun, corev1.EventTypeNormal
	case st < 300 && rec.Operation == "delete":
		return ReasonDeleted, corev1.EventTypeNormal
	case st < 300:
		return ReasonApplied, corev1.EventTypeNormal
	case st == http.StatusForbidden || rec.Result.Code == "PolicyDenied":
		return ReasonDenied, corev1.EventTypeWarning
	case st >= 400 && st < 500:
		return ReasonInvalid, corev1.EventTypeWarning
	default:
		return ReasonFailed, corev1.EventTypeWarning
	}
}

// EventDue reports whether a record gets an Event: it must name an object,
// and a request refused before authentication (401, or 413 and 431 from
// the HTTP server) or by the rate limit (429) never makes the console write
// to the cluster.
func EventDue(rec Record) bool {
	switch rec.Result.Status {
	case http.StatusUnauthorized, http.StatusTooManyRequests, http.StatusRequestEntityTooLarge, http.StatusRequestHeaderFieldsTooLarge:
		return false
	}
	_, ok := involved(rec)
	return ok
}

// EventFor returns the Event of rec, scrubbed by s, or false when none is
// due.
func EventFor(rec Record, s *Scrubber) (Event, bool) {
	if !EventDue(rec) {
		return Event{}, false
	}
	obj, _ := involved(rec)
	reason, typ := Reason(rec)
	who := rec.User
	if who == "" {
		who = "an unauthenticated client"
	}
	msg := fmt.Sprintf("%s %s %s %s/%s", who, verb(rec), rec.Kind, obj.Namespace, obj.Name)
	if rec.DryRun {
		msg += " (dry run)"
	}
	msg += fmt.Sprintf(": %d", rec.Result.Status)
	if rec.Result.Code != "" {
		msg += " " + rec.Result.Code
	}
	if rec.Result.Error != "" {
		msg += ": " + rec.Result.Error
	}
	if rec.Result.Commit != "" {
		msg += "; commit " + rec.Result.Commit
	}
	if rec.Result.PullRequestURL != "" {
		msg += "; pull request " + rec.Result.PullRequestURL
	}
	msg += "; request " + rec.RequestID
	if len(msg) > 1024 {
		msg = msg[:1021] + "..."
	}
	return Event{
		Name:      EventName(obj.Name, rec.RequestID),
		RequestID: rec.RequestID,
		Object:    obj,
		Type:      typ,
		Reason:    reason,
		Message:   s.String(msg),
		Time:      rec.Time,
	}, true
}

func verb(rec Record) string {
	switch rec.Operation {
	case "create":
		return "created"
	case "update":
		return "updated"
	case "delete":
		return "deleted"
	}
	return strings.ToLower(rec.Method)
}

// Events creates Events through the API server with the console's own
// identity.
type Events struct {
	client kubernetes.Interface
}

// NewEvents returns Events for cfg.
func NewEvents(cfg *rest.Config) (*Events, error) {
	c, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("audit events client: %w", err)
	}
	return &Events{client: c}, nil
}

// CreateEvent implements EventWriter.
func (e *Events) CreateEvent(ctx context.Context, ev Event) error {
	t := metav1.NewTime(ev.Time)
	obj := &corev1.Event{
		ObjectMeta: metav1.ObjectMeta{
			Name:        ev.Name,
			Namespace:   ev.Object.Namespace,
			Annotations: map[string]string{RequestIDAnnotation: ev.RequestID},
		},
		InvolvedObject: corev1.ObjectReference{
			APIVersion:      ev.Object.APIVersion,
			Kind:            ev.Object.Kind,
			Namespace:       ev.Object.Namespace,
			Name:            ev.Object.Name,
			ResourceVersion: ev.Object.ResourceVersion,
		},
		Reason:         ev.Reason,
		Message:        ev.Message,
		Type:           ev.Type,
		Source:         corev1.EventSource{Component: Component},
		FirstTimestamp: t,
		LastTimestamp:  t,
		Count:          1,
	}
	_, err := e.client.CoreV1().Events(ev.Object.Namespace).Create(ctx, obj, metav1.CreateOptions{})
	return err
}
