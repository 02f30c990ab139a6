package app

import (
	"context"
	"strings"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/authz"
	"github.com/aigw-console/aigw-console/app/cluster"
	directsink "github.com/aigw-console/aigw-console/app/sink/direct"
	"github.com/aigw-console/aigw-console/app/stream"
	"github.com/aigw-console/aigw-console/app/syncstatus"
)

// authorization is the RBAC wiring shared by the REST API, the stream and
// the write side.
type authorization struct {
	authorizer *authz.Authorizer
	namespaces func() []string
	sink       *directsink.PerUser
}

// newAuthorization builds the SubjectAccessReview authorizer and the
// impersonating direct sink from the console's own identity. Nothing here
// is active for a request without an authenticated user: then the console
// acts as itself.
func newAuthorization(cfg Config, cache *cluster.Cache) (*authorization, error) {
	az, err := authz.New(cfg.RestConfig, authz.Options{CacheTTL: cfg.Authz.CacheTTL, CacheSize: cfg.Authz.CacheSize, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	s, err := directsink.NewPerUser(cfg.RestConfig, directsink.PerUserOptions{MaxUsers: cfg.Authz.ImpersonationCacheSize, TTL: cfg.Authz.ImpersonationCacheTTL})
	if err != nil {
		return nil, err
	}
	fixed := cfg.Namespaces
	return &authorization{
		authorizer: az,
		namespaces: func() []string { return authz.Namespaces(cache, fixed) },
		sink:       s,
	}, nil
}

// streamAccess is stream.Options.Access: the connection's user, decided
// with the verb watch on the kinds behind each API kind.
func (a *authorization) streamAccess(ctx context.Context) (stream.Access, error) {
	u, ok := auth.FromContext(ctx)
	if !ok {
		return nil, nil // no user: authentication is off, nothing to filter
	}
	return &userStreamAccess{az: a.authorizer, user: u, namespaces: a.namespaces}, nil
}

type userStreamAccess struct {
	az         *authz.Authorizer
	user       auth.User
	namespaces func() []string
}

func (s *userStreamAccess) Allowed(ctx context.Context, kind, ns string) (bool, error) {
	// A sync event is decided by the resource it describes.
	if resource, ok := strings.CutPrefix(kind, syncstatus.KindSync+"/"); ok {
		kind = resource
	}
	return s.az.AllowedAPIKind(auth.NewContext(ctx, s.user), "watch", kind, ns)
}

// Expand implements stream.Expander: the kind "sync" is decided per
// resource its events describe.
func (s *userStreamAccess) Expand(kind string) []string {
	if kind != syncstatus.KindSync {
		return nil
	}
	var out []string
	for _, k := range cluster.Kinds() {
		out = append(out, syncstatus.KindSync+"/"+k.Name)
	}
	return out
}

func (s *userStreamAccess) Namespaces() []string { return s.namespaces() }
