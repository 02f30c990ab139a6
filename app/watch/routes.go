package watch

import (
	"encoding/json"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/app/route"
)

// routeEvent is the route view of an AIGatewayRoute change. An object the
// view cannot decode is logged and left to its raw event.
func (w *Watcher) routeEvent(op hub.Op, u *unstructured.Unstructured, rv uint64) (hub.Event, bool) {
	r, err := route.FromObject(u)
	if err == nil {
		var data []byte
		if data, err = json.Marshal(r); err == nil {
			return hub.Event{
				Op:              op,
				Key:             hub.Key{Kind: KindRoutes, Namespace: u.GetNamespace(), Name: u.GetName()},
				ResourceVersion: rv,
				Labels:          u.GetLabels(),
				Data:            data,
			}, true
		}
	}
	w.log.Error("watch: no route view", "namespace", u.GetNamespace(), "name", u.GetName(), "error", err)
	return hub.Event{}, false
}
