// Package cluster is the console's only door to the Kubernetes API for reads:
// the scheme, the table of kinds the console manages, and the shared informer
// cache every read is served from.
//
// # Cache
//
// Cache runs one dynamic shared informer per managed kind (and per watched
// namespace when the console is limited to a list of namespaces). REST reads
// and the live stream are both served from it; no request ever LISTs the API
// server. Secrets are cached reduced: metadata, the names of their data keys
// and a short fingerprint of each value — never a value — so a Secret's
// content cannot leak from the cache into a response, a log or an event.
//
// Objects returned by the cache are shared with the informers and must be
// treated as read-only; copy before changing one.
package cluster
