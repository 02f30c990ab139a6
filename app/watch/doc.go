// Package watch turns the shared informer cache's notifications into the
// API's events and publishes them to the hub.
//
// It is the only stage of the live path that sees Kubernetes objects: the
// hub and the stream receive hub.Event values whose data is JSON encoded
// here, once for every subscriber.
//
// # Events
//
// Every change of a cached object gives, in this order:
//
//   - a raw event of the object's kind ("aiservicebackends", "secrets", ...):
//     added, modified or deleted, with the object as cached. Secrets are
//     cached reduced to metadata and key fingerprints (package cluster), and
//     the watcher drops any data field it would still find, so no event
//     carries a Secret value;
//   - for an AIGatewayRoute, a "routes" event with the route view
//     (route.FromObject);
//   - for an object labelled aigw-console.io/provider, a "providers" event
//     with the provider view: provider.FromObjects over the objects with
//     the same label value in the namespace, the objects GET
//     /api/v1/providers/{name} reads. The watcher indexes them by provider
//     from the notifications themselves, so a view costs its own few
//     objects, not a scan of the namespace, and follows the event order
//     exactly. The provider is added when the
//     first object of its set appears, deleted when the last one goes, and
//     modified whenever its view changes, which includes status changes
//     (Accepted and NotAccepted) and a deletion that started (a
//     deletionTimestamp). A change that leaves the view as it was gives no
//     provider event. An object whose label changes affects both the
//     provider it left and the one it joined.
//
// Each event carries the object's resourceVersion, the etcd revision of the
// change. Updates that do not change the resourceVersion (informer
// resyncs and relists) give no event.
//
// # Ordering
//
// The informers of the different kinds notify concurrently; the watcher
// serializes them and publishes the events of one change together, so the
// hub's order is the order in which the watcher saw the changes. Events of
// one object are in the order of its resourceVersions.
package watch
