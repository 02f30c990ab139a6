package direct

import (
	"context"
	"sync"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app/sink"
)

// resourceVersions fills each applied entry's resourceVersion from the API
// server (ssa applies copies and does not hand the answers back); the audit
// record and the answer then name the version the change produced. The
// reads run in parallel. An object that cannot be read keeps an empty
// resourceVersion: the change itself has succeeded.
func (s *Sink) resourceVersions(ctx context.Context, entries []sink.Entry) {
	var wg sync.WaitGroup
	for i := range entries {
		wg.Add(1)
		go func(e *sink.Entry) {
			defer wg.Done()
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(e.GVK)
			if err := s.client.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: e.Name}, live); err == nil {
				e.ResourceVersion = live.GetResourceVersion()
			}
		}(&entries[i])
	}
	wg.Wait()
}
