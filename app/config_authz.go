package app

import (
	"time"
)

// AuthzConfig configures authorization through the cluster's RBAC
// (package authz) and writes as the caller (sink/direct.PerUser). A zero
// field takes the default given in brackets.
type AuthzConfig struct {
	// CacheTTL is how long a SubjectAccessReview decision is reused; a
	// revoked permission stops showing data in REST reads within it [10s].
	CacheTTL time.Duration
	// CacheSize bounds the remembered decisions [10,000].
	CacheSize int
	// ImpersonationCacheSize bounds the users with an impersonating API
	// client of their own [256].
	ImpersonationCacheSize int
	// ImpersonationCacheTTL is how long an unused user's client is kept
	// [10m].
	ImpersonationCacheTTL time.Duration
	// WSRecheckInterval is how often open WebSocket subscriptions are
	// checked again; a subscription whose access was revoked ends with
	// Forbidden within CacheTTL + WSRecheckInterval [5s].
	WSRecheckInterval time.Duration
}
