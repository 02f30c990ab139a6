package gitops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/sink"
)

// BenchmarkHistory10k measures History.Read on a branch that holds 10,000
// object files (100 namespaces x 4 kinds x 25 objects, seeded in one
// commit, then 20 one-object commits), in the sink's clone of a real Git
// server (git-http-backend on 127.0.0.1):
//
//	go test ./gitops/ -run '^$' -bench History10k -benchtime 20x -benchmem
//
// head-unchanged: the common case between commits (a ref read).
// one-new-commit: the head moved by one commit of one object (the commit
// itself is made outside the timer). cold: a new History, a full walk.
func BenchmarkHistory10k(b *testing.B) {
	ctx := context.Background()
	kinds := []string{"Backend", "AIServiceBackend", "BackendTLSPolicy", "BackendSecurityPolicy"}
	g := newGitServer(b)
	s := newSink(b, g)
	var seed []*unstructured.Unstructured
	for n := range 100 {
		for _, k := range kinds {
			for i := range 25 {
				seed = append(seed, manifest(k, fmt.Sprintf("team-%03d", n), fmt.Sprintf("obj-%04d", i), "seed"))
			}
		}
	}
	start := time.Now()
	if _, err := s.Apply(ctx, sink.ChangeSet{Apply: seed, Summary: "seed"}); err != nil {
		b.Fatal(err)
	}
	for i := range 20 {
		obj := manifest(kinds[i%4], fmt.Sprintf("team-%03d", i), "obj-0000", fmt.Sprintf("edit-%d", i))
		if _, err := s.Apply(ctx, sink.ChangeSet{Apply: []*unstructured.Unstructured{obj}}); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("seeded 10,000 objects + 20 commits in %s", time.Since(start).Round(time.Millisecond))
	check := func(b *testing.B, snap *Snapshot) {
		if len(snap.Files) != 10000 {
			b.Fatalf("%d files", len(snap.Files))
		}
	}

	h, err := s.History(HistoryOptions{})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := h.Read(ctx, false); err != nil {
		b.Fatal(err)
	}
	b.Run("head-unchanged", func(b *testing.B) {
		for range b.N {
			snap, err := h.Read(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			check(b, snap)
		}
	})
	b.Run("one-new-commit", func(b *testing.B) {
		for i := range b.N {
			b.StopTimer()
			obj := manifest(kinds[1], "team-050", "obj-0010", fmt.Sprintf("run-%d-%d", b.N, i))
			res, err := s.Apply(ctx, sink.ChangeSet{Apply: []*unstructured.Unstructured{obj}})
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			snap, err := h.Read(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			check(b, snap)
			if f := snap.Files["clusters/default/team-050/aiservicebackend/obj-0010.yaml"]; f.Commit.String() != CommitOf(res) {
				b.Fatalf("desired commit %s, want %s", f.Commit, CommitOf(res))
			}
		}
	})
	b.Run("cold", func(b *testing.B) {
		for range b.N {
			cold, err := s.History(HistoryOptions{})
			if err != nil {
				b.Fatal(err)
			}
			snap, err := cold.Read(ctx, false)
			if err != nil {
				b.Fatal(err)
			}
			check(b, snap)
		}
	})
}
