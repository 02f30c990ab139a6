package direct

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	utilcache "k8s.io/apimachinery/pkg/util/cache"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/sink"
)

// Defaults of PerUserOptions.
const (
	DefaultUserClients   = 256
	DefaultUserClientTTL = 10 * time.Minute
)

// PerUserOptions configure NewPerUser.
type PerUserOptions struct {
	Options
	// MaxUsers bounds the users with a client of their own (least
	// recently used go first). Default: 256.
	MaxUsers int
	// TTL is how long an unused user's client is kept. Default: 10m.
	TTL time.Duration
}

// PerUser is the Sink that writes as the caller: every change set goes to
// the API server impersonating the user in its context (auth.FromContext:
// user, UID, groups, extra), so the API server's RBAC and admission decide
// it and its audit log names the person. Without a user (authentication
// disabled) the console's own identity writes. One direct Sink per user is
// kept in a bounded LRU; they share the console's scheme and REST mapper,
// so a new user costs no discovery.
//
// The console's identity needs the impersonate verb on users, groups,
// uids, userextras (and serviceaccounts, for ServiceAccount callers).
type PerUser struct {
	base  *rest.Config
	opts  Options
	own   *Sink
	users *utilcache.LRUExpireCache
	ttl   time.Duration
}

var _ sink.Sink = (*PerUser)(nil)

// NewPerUser returns a PerUser sink over the API server behind cfg.
func NewPerUser(cfg *rest.Config, opts PerUserOptions) (*PerUser, error) {
	if opts.MaxUsers <= 0 {
		opts.MaxUsers = DefaultUserClients
	}
	if opts.TTL <= 0 {
		opts.TTL = DefaultUserClientTTL
	}
	own, err := New(cfg, opts.Options)
	if err != nil {
		return nil, err
	}
	return &PerUser{base: cfg, opts: opts.Options, own: own, users: utilcache.NewLRUExpireCache(opts.MaxUsers), ttl: opts.TTL}, nil
}

// Apply implements sink.Sink as the caller in ctx.
func (p *PerUser) Apply(ctx context.Context, cs sink.ChangeSet) (sink.Result, error) {
	s, err := p.For(ctx)
	if err != nil {
		return sink.Result{}, err
	}
	return s.Apply(ctx, cs)
}

// For returns the Sink that acts as the caller in ctx, or the console's
// own when ctx carries no user. GitOps mode uses it for its server-side
// dry-run, so that dry-run is the caller's too.
func (p *PerUser) For(ctx context.Context) (*Sink, error) {
	u, ok := auth.FromContext(ctx)
	if !ok {
		return p.own, nil
	}
	key := userKey(u)
	if v, ok := p.users.Get(key); ok {
		return v.(*Sink), nil
	}
	cfg := rest.CopyConfig(p.base)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: u.Name, UID: u.UID, Groups: slices.Clone(u.Groups), Extra: map[string][]string{}}
	for k, v := range u.Extra {
		cfg.Impersonate.Extra[k] = slices.Clone(v)
	}
	c, err := client.New(cfg, client.Options{Scheme: p.own.client.Scheme(), Mapper: p.own.client.RESTMapper()})
	if err != nil {
		return nil, fmt.Errorf("kubernetes client for %q: %w", u.Name, err)
	}
	poller := polling.NewStatusPoller(c, c.RESTMapper(), polling.Options{})
	m := ssa.NewResourceManager(c, poller, ssa.Owner{Field: p.own.owner, Group: "aigw-console.io"})
	s := &Sink{client: c, manager: m, owner: p.own.owner, timeout: p.own.timeout}
	p.users.Add(key, s, p.ttl)
	return s, nil
}

// Users is how many users have a client now (for tests and metrics).
func (p *PerUser) Users() int { return len(p.users.Keys()) }

// userKey identifies everything impersonation sends.
func userKey(u auth.User) string {
	var b strings.Builder
	w := func(s string) { b.WriteString(strconv.Itoa(len(s)) + ":" + s) }
	w(u.Name)
	w(u.UID)
	groups := slices.Clone(u.Groups)
	sort.Strings(groups)
	for _, g := range groups {
		w("g" + g)
	}
	keys := make([]string, 0, len(u.Extra))
	for k := range u.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs := slices.Clone(u.Extra[k])
		sort.Strings(vs)
		w("x" + k + "=" + strings.Join(vs, "\x00"))
	}
	return b.String()
}
