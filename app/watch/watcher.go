package watch

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/hub"
)

// The kinds of events that are views rather than raw objects.
const (
	// KindProviders is the kind of provider events (provider.Provider).
	KindProviders = "providers"
	// KindRoutes is the kind of route events (route.Route).
	KindRoutes = "routes"
)

// Kinds returns every kind the watcher publishes: providers, routes and
// the raw kinds of cluster.Kinds, in that order.
func Kinds() []string {
	out := []string{KindProviders, KindRoutes}
	for _, k := range cluster.Kinds() {
		out = append(out, k.Name)
	}
	return out
}

// Source is the shared informer cache as the watcher uses it
// (*cluster.Cache).
type Source interface {
	AddEventHandler(k cluster.Kind, h cache.ResourceEventHandler) error
}

// Publisher receives the events (*hub.Hub).
type Publisher interface {
	Publish(events ...hub.Event)
}

// Options configure New. The zero value works.
type Options struct {
	// Logger receives objects that cannot be translated and recovered
	// panics. Default: slog.Default().
	Logger *slog.Logger
}

// Watcher translates cache notifications into hub events.
type Watcher struct {
	pub Publisher
	log *slog.Logger

	// mu serializes the informers' notifications: the provider state below
	// and the order of Publish calls must agree.
	mu        sync.Mutex
	index     providerIndex
	providers map[hub.Key]providerState
}

// New registers the watcher's handlers on every kind of src. Call it before
// the cache starts, so the initial list flows through the handlers like
// any other change (on a started cache the informers replay their content
// as additions).
func New(src Source, pub Publisher, opts Options) (*Watcher, error) {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	w := &Watcher{pub: pub, log: opts.Logger, index: newProviderIndex(), providers: map[hub.Key]providerState{}}
	for _, k := range cluster.Kinds() {
		if err := src.AddEventHandler(k, w.handler(k)); err != nil {
			return nil, fmt.Errorf("watch %s: %w", k.Name, err)
		}
	}
	return w, nil
}

func (w *Watcher) handler(k cluster.Kind) cache.ResourceEventHandler {
	return cache.ResourceEventHandlerFuncs{
		AddFunc:    func(obj any) { w.handle(k, hub.Added, nil, obj) },
		UpdateFunc: func(old, obj any) { w.handle(k, hub.Modified, old, obj) },
		DeleteFunc: func(obj any) { w.handle(k, hub.Deleted, nil, obj) },
	}
}

// handle translates one notification and publishes its events. A panic
// is logged, not passed on: client-go would crash the process for it.
func (w *Watcher) handle(k cluster.Kind, op hub.Op, oldObj, obj any) {
	defer func() {
		if p := recover(); p != nil {
			w.log.Error("watch: recovered a panic", "kind", k.Name, "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	u, old := asObject(obj), asObject(oldObj)
	if u != nil && k == cluster.Secret {
		u = w.withoutSecretData(u)
	}
	if u == nil {
		return
	}
	if old != nil && old.GetResourceVersion() == u.GetResourceVersion() {
		return // a resync or relist: nothing changed
	}
	rv, _ := strconv.ParseUint(u.GetResourceVersion(), 10, 64)

	w.mu.Lock()
	defer w.mu.Unlock()
	var events []hub.Event
	if ev, ok := w.resourceEvent(k, op, u, rv); ok {
		events = append(events, ev)
	}
	if k == cluster.AIGatewayRoute {
		if ev, ok := w.routeEvent(op, u, rv); ok {
			events = append(events, ev)
		}
	}
	if isProviderKind(k) {
		var now *unstructured.Unstructured
		if op != hub.Deleted {
			now = u
		}
		for _, name := range w.index.update(objectKey{kind: k.Name, ns: u.GetNamespace(), name: u.GetName()}, now) {
			if ev, ok := w.providerEvent(u.GetNamespace(), name, rv); ok {
				events = append(events, ev)
			}
		}
	}
	if len(events) > 0 {
		w.pub.Publish(events...)
	}
}

// resourceEvent is the raw event of one object.
func (w *Watcher) resourceEvent(k cluster.Kind, op hub.Op, u *unstructured.Unstructured, rv uint64) (hub.Event, bool) {
	data, err := json.Marshal(u.Object)
	if err != nil {
		w.log.Error("watch: cannot encode object", "kind", k.Name, "namespace", u.GetNamespace(), "name", u.GetName(), "error", err)
		return hub.Event{}, false
	}
	return hub.Event{
		Op:              op,
		Key:             hub.Key{Kind: k.Name, Namespace: u.GetNamespace(), Name: u.GetName()},
		ResourceVersion: rv,
		Labels:          u.GetLabels(),
		Data:            data,
	}, true
}

// asObject returns the object of a notification, unwrapping the tombstone
// an informer hands over for a deletion it missed while disconnected.
func asObject(obj any) *unstructured.Unstructured {
	if t, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = t.Obj
	}
	u, _ := obj.(*unstructured.Unstructured)
	return u
}

// withoutSecretData makes sure no Secret value leaves the process even if
// the cache's reduction were bypassed: it returns u without data and
// stringData.
func (w *Watcher) withoutSecretData(u *unstructured.Unstructured) *unstructured.Unstructured {
	_, hasData := u.Object["data"]
	_, hasString := u.Object["stringData"]
	if !hasData && !hasString {
		return u
	}
	w.log.Warn("watch: a cached Secret still had values; they were dropped", "namespace", u.GetNamespace(), "name", u.GetName())
	c := &unstructured.Unstructured{Object: make(map[string]any, len(u.Object))}
	for k, v := range u.Object {
		if k != "data" && k != "stringData" {
			c.Object[k] = v
		}
	}
	return c
}
