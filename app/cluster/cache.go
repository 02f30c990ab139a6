package cluster

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
)

// CacheOptions configure NewCache. The zero value watches all namespaces.
type CacheOptions struct {
	// Namespaces limits the cache to these namespaces. Default: all.
	Namespaces []string
	// Resync is the informers' resync period. Default: 0 (no resync; the
	// watch keeps the cache current).
	Resync time.Duration
}

// Cache is the shared informer cache over Kinds.
type Cache struct {
	informers map[string][]cache.SharedIndexInformer // kind name -> one per namespace scope
	factories []dynamicinformer.DynamicSharedInformerFactory
}

// SecretKeysField is the top-level field of a cached Secret that maps each
// data key to a fingerprint of its value ("sha256:" + 8 hex digits). Cached
// Secrets carry no data, stringData or managedFields.
const SecretKeysField = "keys"

// NewCache builds the informers; Start runs them.
func NewCache(client dynamic.Interface, opts CacheOptions) (*Cache, error) {
	scopes := opts.Namespaces
	if len(scopes) == 0 {
		scopes = []string{""} // all namespaces
	}
	c := &Cache{informers: map[string][]cache.SharedIndexInformer{}}
	for _, ns := range scopes {
		f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(client, opts.Resync, ns, nil)
		c.factories = append(c.factories, f)
		for _, k := range Kinds() {
			inf := f.ForResource(k.GVR()).Informer()
			transform := stripManagedFields
			if k == Secret {
				transform = reduceSecret
			}
			if err := inf.SetTransform(transform); err != nil {
				return nil, fmt.Errorf("%s informer: %w", k.Name, err)
			}
			c.informers[k.Name] = append(c.informers[k.Name], inf)
		}
	}
	return c, nil
}

// Start runs the informers until ctx ends. It does not wait for the sync.
func (c *Cache) Start(ctx context.Context) {
	for _, f := range c.factories {
		f.Start(ctx.Done())
	}
}

// WaitForSync blocks until every informer has synced or ctx ends, and
// reports whether they all synced.
func (c *Cache) WaitForSync(ctx context.Context) bool {
	var synced []cache.InformerSynced
	for _, infs := range c.informers {
		for _, inf := range infs {
			synced = append(synced, inf.HasSynced)
		}
	}
	return cache.WaitForCacheSync(ctx.Done(), synced...)
}

// Unsynced returns the names of the kinds whose informers have not synced
// yet, sorted; empty when the cache is ready.
func (c *Cache) Unsynced() []string {
	var out []string
	for name, infs := range c.informers {
		for _, inf := range infs {
			if !inf.HasSynced() {
				out = append(out, name)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// AddEventHandler registers h on every informer of kind k.
func (c *Cache) AddEventHandler(k Kind, h cache.ResourceEventHandler) error {
	for _, inf := range c.informers[k.Name] {
		if _, err := inf.AddEventHandler(h); err != nil {
			return fmt.Errorf("%s informer: %w", k.Name, err)
		}
	}
	return nil
}

// List returns the cached objects of kind k in namespace ns ("" = all)
// matching sel (nil = everything), sorted by namespace and name. The
// objects are shared: do not modify them.
func (c *Cache) List(k Kind, ns string, sel labels.Selector) []*unstructured.Unstructured {
	if sel == nil {
		sel = labels.Everything()
	}
	var out []*unstructured.Unstructured
	for _, inf := range c.informers[k.Name] {
		var items []any
		if ns == "" {
			items = inf.GetStore().List()
		} else {
			items, _ = inf.GetIndexer().ByIndex(cache.NamespaceIndex, ns)
		}
		for _, it := range items {
			u, ok := it.(*unstructured.Unstructured)
			if ok && sel.Matches(labels.Set(u.GetLabels())) {
				out = append(out, u)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].GetNamespace() != out[j].GetNamespace() {
			return out[i].GetNamespace() < out[j].GetNamespace()
		}
		return out[i].GetName() < out[j].GetName()
	})
	return out
}

// Get returns the cached object or a Kubernetes NotFound error.
func (c *Cache) Get(k Kind, ns, name string) (*unstructured.Unstructured, error) {
	key := name
	if ns != "" {
		key = ns + "/" + name
	}
	for _, inf := range c.informers[k.Name] {
		it, ok, err := inf.GetStore().GetByKey(key)
		if err != nil {
			return nil, err
		}
		if ok {
			if u, ok := it.(*unstructured.Unstructured); ok {
				return u, nil
			}
		}
	}
	return nil, apierrors.NewNotFound(k.GVR().GroupResource(), name)
}

func stripManagedFields(obj any) (any, error) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		u.SetManagedFields(nil)
	}
	return obj, nil
}

// reduceSecret keeps a Secret's metadata and type, and replaces its data by
// key names with a fingerprint of each value.
func reduceSecret(obj any) (any, error) {
	u, ok := obj.(*unstructured.Unstructured)
	if !ok {
		return obj, nil
	}
	keys := map[string]any{}
	data, _, _ := unstructured.NestedMap(u.Object, "data")
	for k, v := range data {
		s, _ := v.(string)
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			raw = []byte(s)
		}
		keys[k] = Fingerprint(raw)
	}
	out := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion":    u.GetAPIVersion(),
		"kind":          u.GetKind(),
		"metadata":      u.Object["metadata"],
		SecretKeysField: keys,
	}}
	if t, ok := u.Object["type"]; ok {
		out.Object["type"] = t
	}
	out.SetManagedFields(nil)
	// The last-applied annotation of client-side apply holds the values.
	ann := out.GetAnnotations()
	delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
	if len(ann) == 0 {
		ann = nil
	}
	out.SetAnnotations(ann)
	return out, nil
}

// Fingerprint is a short, non-reversible identifier of a secret value:
// "sha256:" and the first 8 hex digits of its SHA-256.
func Fingerprint(value []byte) string {
	sum := sha256.Sum256(value)
	return "sha256:" + hex.EncodeToString(sum[:4])
}
