package main

import (
	"flag"

	"github.com/aigw-console/aigw-console/app/authz"
	directsink "github.com/aigw-console/aigw-console/app/sink/direct"
	"github.com/aigw-console/aigw-console/app/stream"
)

// registerAuthz registers authorization through the cluster's RBAC:
// SubjectAccessReview caching, impersonation clients and the WebSocket
// recheck.
func (o *options) registerAuthz(fs *flag.FlagSet) {
	fs.DurationVar(&o.authz.CacheTTL, "authz-cache-ttl", authz.DefaultCacheTTL, "how long a SubjectAccessReview decision is reused; reads see a revoked permission within it")
	fs.IntVar(&o.authz.CacheSize, "authz-cache-size", authz.DefaultCacheSize, "SubjectAccessReview decisions remembered (least recently used go first)")
	fs.IntVar(&o.authz.ImpersonationCacheSize, "impersonation-cache-size", directsink.DefaultUserClients, "users with an impersonating API client of their own (least recently used go first)")
	fs.DurationVar(&o.authz.ImpersonationCacheTTL, "impersonation-cache-ttl", directsink.DefaultUserClientTTL, "how long an unused user's impersonating client is kept")
	fs.DurationVar(&o.authz.WSRecheckInterval, "ws-recheck-interval", stream.DefaultRecheckInterval, "how often open WebSocket subscriptions are re-authorized; revoked ones end with Forbidden")
}
