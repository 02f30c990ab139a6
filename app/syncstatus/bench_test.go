package syncstatus

import (
	"context"
	"fmt"
	"log/slog"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/gitops"
)

// memLive holds live objects in memory, in the cache's shape, so that the
// benchmark measures the comparison and not an API server.
type memLive map[string]*unstructured.Unstructured

func (m memLive) Get(k cluster.Kind, ns, name string) (*unstructured.Unstructured, error) {
	if u, ok := m[k.Name+"/"+ns+"/"+name]; ok {
		return u, nil
	}
	return nil, apierrors.NewNotFound(k.GVR().GroupResource(), name)
}

// AddEventHandler makes memLive a Source that never changes.
func (m memLive) AddEventHandler(cluster.Kind, cache.ResourceEventHandler) error { return nil }

// BenchmarkReport10k measures one report over 10,000 objects (Git: 100
// namespaces x 4 kinds x 25 objects in the clone of a real Git server;
// live: the same objects as the cache holds them, one in a hundred
// edited by hand):
//
//	go test ./app/syncstatus/ -run '^$' -bench Report10k -benchtime 20x -benchmem
//
// unchanged: nothing moved since the last report (head, applier, cache):
// the report is reused. warm: the cache changed, every object is compared
// again (desired objects parsed before).
// cold: a new tracker, every file read and parsed.
func BenchmarkReport10k(b *testing.B) {
	ctx := context.Background()
	s, err := gitops.New(ctx, gitops.Options{URL: gitServer(b), CacheDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	kinds := []cluster.Kind{cluster.Backend, cluster.AIServiceBackend, cluster.BackendTLSPolicy, cluster.BackendSecurityPolicy}
	live := memLive{}
	var seed []*unstructured.Unstructured
	for n := range 100 {
		for _, k := range kinds {
			for i := range 25 {
				ns, name := fmt.Sprintf("team-%03d", n), fmt.Sprintf("obj-%04d", i)
				u := backendObj(ns, name, name+".example.com")
				u.SetAPIVersion(k.GVK.GroupVersion().String())
				u.SetKind(k.GVK.Kind)
				seed = append(seed, u)
				l := u.DeepCopy()
				l.SetResourceVersion("1")
				l.Object["status"] = map[string]any{"conditions": []any{}}
				if i == 0 {
					_ = unstructured.SetNestedField(l.Object, "edited", "spec", "note")
					_ = unstructured.SetNestedSlice(l.Object, []any{map[string]any{"fqdn": map[string]any{"hostname": "hand.example.com", "port": int64(443)}}}, "spec", "endpoints")
				}
				live[k.Name+"/"+ns+"/"+name] = l
			}
		}
	}
	start := time.Now()
	if _, err := s.Apply(ctx, sink.ChangeSet{Apply: seed, Summary: "seed"}); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded 10,000 objects in %s", time.Since(start).Round(time.Millisecond))
	newTracker := func(b *testing.B, src ...Source) *Tracker {
		h, err := s.History(gitops.HistoryOptions{})
		if err != nil {
			b.Fatal(err)
		}
		opts := Options{History: h, Live: live, Logger: slog.New(slog.DiscardHandler)}
		if len(src) > 0 {
			opts.Source = src[0]
		}
		t, err := New(opts)
		if err != nil {
			b.Fatal(err)
		}
		return t
	}
	check := func(b *testing.B, r *Report) {
		if len(r.Objects) != 10000 || r.Counts.Synced != 9600 || r.Counts.Pending+r.Counts.Drifted != 400 {
			b.Fatalf("report: %d objects, %+v", len(r.Objects), r.Counts)
		}
	}
	warm := newTracker(b)
	if _, err := warm.Report(ctx); err != nil {
		b.Fatal(err)
	}
	b.Run("unchanged", func(b *testing.B) {
		t := newTracker(b, live)
		first, err := t.Report(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ResetTimer()
		for range b.N {
			r, err := t.Report(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if r != first {
				b.Fatal("the report was made again")
			}
		}
	})
	b.Run("warm", func(b *testing.B) {
		for range b.N {
			r, err := warm.Report(ctx)
			if err != nil {
				b.Fatal(err)
			}
			check(b, r)
		}
	})
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			r, err := newTracker(b).Report(ctx)
			if err != nil {
				b.Fatal(err)
			}
			check(b, r)
		}
	})
}
