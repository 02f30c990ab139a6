package direct

import (
	"context"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app/sink"
)

// resourceVersions fills each applied entry's resourceVersion from the API
// server (ssa applies copies and does not hand the answers back); the audit
// record and the answer then name the version the change produced. An
// object that cannot be read keeps an empty resourceVersion: the change
// itself has succeeded.
func (s *Sink) resourceVersions(ctx context.Context, entries []sink.Entry) {
	for i := range entries {
		e := &entries[i]
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(e.GVK)
		if err := s.client.Get(ctx, client.ObjectKey{Namespace: e.Namespace, Name: e.Name}, live); err == nil {
			e.ResourceVersion = live.GetResourceVersion()
		}
	}
}
