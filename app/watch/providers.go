package watch

import (
	"bytes"
	"encoding/json"
	"slices"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/app/provider"
)

// providerState is the last provider view the watcher published.
type providerState struct {
	data   []byte
	labels map[string]string
}

// groupKey names a provider: its namespace and the value of its label.
type groupKey struct{ ns, name string }

// objectKey names one object of a provider set.
type objectKey struct {
	kind string
	ns   string
	name string
}

// providerIndex holds the objects of every provider set as the
// notifications delivered them, so a provider view is rebuilt from its own
// few objects, never from a scan of the namespace.
type providerIndex struct {
	groups map[groupKey]map[objectKey]*unstructured.Unstructured
	member map[objectKey]string // the provider each indexed object belongs to
}

func newProviderIndex() providerIndex {
	return providerIndex{groups: map[groupKey]map[objectKey]*unstructured.Unstructured{}, member: map[objectKey]string{}}
}

// update records u (nil when deleted) under key and returns the providers
// it belonged to before and after: none, one, or two when its label
// changed.
func (x providerIndex) update(key objectKey, u *unstructured.Unstructured) []string {
	var affected []string
	if before, ok := x.member[key]; ok {
		affected = append(affected, before)
		g := groupKey{key.ns, before}
		delete(x.groups[g], key)
		if len(x.groups[g]) == 0 {
			delete(x.groups, g)
		}
		delete(x.member, key)
	}
	if u == nil {
		return affected
	}
	name := u.GetLabels()[provider.LabelProvider]
	if name == "" {
		return affected
	}
	g := groupKey{key.ns, name}
	if x.groups[g] == nil {
		x.groups[g] = map[objectKey]*unstructured.Unstructured{}
	}
	x.groups[g][key] = u
	x.member[key] = name
	if !slices.Contains(affected, name) {
		affected = append(affected, name)
	}
	return affected
}

// objects returns the objects of provider ns/name.
func (x providerIndex) objects(ns, name string) []*unstructured.Unstructured {
	g := x.groups[groupKey{ns, name}]
	out := make([]*unstructured.Unstructured, 0, len(g))
	for _, u := range g {
		out = append(out, u)
	}
	return out
}

// providerKinds are the kinds a provider's objects can have.
var providerKinds = []cluster.Kind{cluster.Secret, cluster.Backend, cluster.BackendTLSPolicy, cluster.AIServiceBackend, cluster.BackendSecurityPolicy}

func isProviderKind(k cluster.Kind) bool { return slices.Contains(providerKinds, k) }

// providerEvent rebuilds the view of provider ns/name from its indexed
// objects and returns the event that moves subscribers from the last
// published view to it, if the view changed. Call with w.mu held.
func (w *Watcher) providerEvent(ns, name string, rv uint64) (hub.Event, bool) {
	key := hub.Key{Kind: KindProviders, Namespace: ns, Name: name}
	prev, known := w.providers[key]
	objs := w.index.objects(ns, name)
	if len(objs) == 0 {
		if !known {
			return hub.Event{}, false
		}
		delete(w.providers, key)
		return hub.Event{Op: hub.Deleted, Key: key, ResourceVersion: rv, Labels: prev.labels, Data: prev.data}, true
	}
	view, err := provider.FromObjects(name, objs)
	if err != nil {
		w.log.Error("watch: no provider view", "namespace", ns, "name", name, "error", err)
		return hub.Event{}, false
	}
	data, err := json.Marshal(view)
	if err != nil {
		w.log.Error("watch: cannot encode provider view", "namespace", ns, "name", name, "error", err)
		return hub.Event{}, false
	}
	if known && bytes.Equal(data, prev.data) {
		return hub.Event{}, false
	}
	st := providerState{data: data, labels: commonLabels(objs)}
	w.providers[key] = st
	op := hub.Modified
	if !known {
		op = hub.Added
	}
	return hub.Event{Op: op, Key: key, ResourceVersion: rv, Labels: st.labels, Data: data}, true
}

// commonLabels returns the labels every object carries with the same
// value: the labels of a provider, for label selectors (they include
// aigw-console.io/provider).
func commonLabels(objs []*unstructured.Unstructured) map[string]string {
	out := objs[0].GetLabels()
	for _, u := range objs[1:] {
		l := u.GetLabels()
		for k, v := range out {
			if l[k] != v {
				delete(out, k)
			}
		}
	}
	return out
}
