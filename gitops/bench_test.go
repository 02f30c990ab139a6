package gitops

import (
	"context"
	"fmt"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/sink"
)

// BenchmarkCommitPush10k measures one change (one object configured:
// fetch, lay onto the head, commit, push) into a repository that already
// holds 10,000 rendered object files, on a real Git server
// (git-http-backend over HTTP on 127.0.0.1), with the replica's clone warm.
//
//	go test ./gitops/ -run '^$' -bench CommitPush10k -benchtime 50x
//
// Two layouts: 100 namespaces x 4 kinds x 25 objects, and 10,000 objects
// in one folder (the worst case: one tree object of 10,000 entries is
// rewritten by every commit).
func BenchmarkCommitPush10k(b *testing.B) {
	kinds := []string{"Backend", "AIServiceBackend", "BackendTLSPolicy", "BackendSecurityPolicy"}
	for _, layout := range []struct {
		name              string
		namespaces, kinds int
	}{
		{"spread", 100, 4},
		{"one-folder", 1, 1},
	} {
		perFolder := 10000 / (layout.namespaces * layout.kinds)
		g := newGitServer(b)
		s := newSink(b, g)
		var seed []*unstructured.Unstructured
		for n := range layout.namespaces {
			for k := range layout.kinds {
				for i := range perFolder {
					seed = append(seed, manifest(kinds[k], fmt.Sprintf("team-%03d", n), fmt.Sprintf("obj-%04d", i), "seed"))
				}
			}
		}
		start := time.Now()
		if _, err := s.Apply(context.Background(), sink.ChangeSet{Apply: seed, Summary: "seed"}); err != nil {
			b.Fatal(err)
		}
		if got := len(g.files(b)); got < 10000 {
			b.Fatalf("the repository holds %d files", got)
		}
		b.Logf("%s: seeded %d objects (%d files) in one commit in %s", layout.name, len(seed), len(g.files(b)), time.Since(start).Round(time.Millisecond))

		b.Run(layout.name+"/commit+push", func(b *testing.B) {
			for i := range b.N {
				obj := manifest(kinds[0], "team-000", "obj-0000", fmt.Sprintf("run-%d-%d", b.N, i))
				res, err := s.Apply(context.Background(), sink.ChangeSet{Apply: []*unstructured.Unstructured{obj}})
				if err != nil {
					b.Fatal(err)
				}
				if res.Entries[0].Action != sink.Configured {
					b.Fatalf("action %s", res.Entries[0].Action)
				}
			}
		})
		b.Run(layout.name+"/no-op", func(b *testing.B) {
			obj := manifest(kinds[0], "team-000", "obj-0001", "seed")
			for range b.N {
				res, err := s.Apply(context.Background(), sink.ChangeSet{Apply: []*unstructured.Unstructured{obj}})
				if err != nil {
					b.Fatal(err)
				}
				if res.Entries[0].Action != sink.Unchanged {
					b.Fatalf("action %s", res.Entries[0].Action)
				}
			}
		})
	}
}

// manifest is a small object of any kind the console writes.
func manifest(kind, ns, name, value string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "aigateway.envoyproxy.io/v1beta1",
		"kind":       kind,
		"metadata": map[string]any{
			"name": name, "namespace": ns,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "aigw-console"},
		},
		"spec": map[string]any{"value": value, "endpoints": []any{map[string]any{"hostname": name + ".example.com", "port": int64(443)}}},
	}}
}
