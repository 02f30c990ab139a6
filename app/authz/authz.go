// Package authz is the console's authorization: the cluster's own RBAC.
//
// The console never keeps a permission system of its own. Every decision
// is a SubjectAccessReview for the authenticated caller (package auth:
// user, UID, groups, extra) asked of the API server, and remembered for a
// short time in a bounded LRU so that filtering a list or an event stream
// does not cost a request per object. Writes additionally reach the API
// server as the caller through impersonation (sink/direct.PerUser), so
// the API server decides them a second time with its own, uncached view.
//
// What a user needs, per console kind (documented in the README):
//
//   - providers are sets of five kinds (AIServiceBackend, Backend,
//     BackendSecurityPolicy, BackendTLSPolicy and the credential Secret).
//     A user sees a provider in a namespace only when allowed the verb
//     (get for one provider, list for lists, watch for the stream) on all
//     five kinds there, Secrets included: the view reports the
//     credential's key names and fingerprint, which come from the Secret,
//     and a view built from a subset of the kinds would report a wrong
//     status. Writing a provider needs the verb on all five as well; each
//     object of the change is then checked on its own (create+patch for a
//     new object, patch for an existing one, delete for a removed one).
//   - routes are AIGatewayRoutes; raw resources are their own kind.
//
// With no user in the context (authentication disabled) everything is
// allowed and writes use the console's own identity.
package authz

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	utilcache "k8s.io/apimachinery/pkg/util/cache"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// Defaults of Options.
const (
	DefaultCacheTTL  = 10 * time.Second
	DefaultCacheSize = 10_000
	// DefaultTimeout bounds one SubjectAccessReview.
	DefaultTimeout = 10 * time.Second
)

// Attributes name one access: verb on a resource of a group in a
// namespace, optionally one object by name.
type Attributes struct {
	Verb      string
	Group     string
	Resource  string
	Namespace string
	Name      string
}

// For returns the attributes of verb on kind k in namespace ns.
func For(verb string, k cluster.Kind, ns string) Attributes {
	return Attributes{Verb: verb, Group: k.GVK.Group, Resource: k.Name, Namespace: ns}
}

// GroupResource is "resource.group" ("secrets" for the core group).
func (a Attributes) GroupResource() string {
	return schema.GroupResource{Group: a.Group, Resource: a.Resource}.String()
}

// String reads as "create aiservicebackends.aigateway.envoyproxy.io in
// namespace "team-b"".
func (a Attributes) String() string {
	s := a.Verb + " " + a.GroupResource()
	if a.Name != "" {
		s += " " + strconv.Quote(a.Name)
	}
	if a.Namespace != "" {
		return s + " in namespace " + strconv.Quote(a.Namespace)
	}
	return s + " cluster-wide"
}

// ForbiddenError is an access the cluster's RBAC refused. It is an
// apimachinery APIStatus (403, reason Forbidden), so the API's error
// mapping shows it like the API server's own refusals.
type ForbiddenError struct {
	// User is the caller's name.
	User string
	Attributes
	// Reason is the authorizer's reason, when it gave one.
	Reason string
}

func (e *ForbiddenError) Error() string {
	s := fmt.Sprintf("user %q may not %s (the cluster's RBAC does not allow it)", e.User, e.Attributes)
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Status implements apierrors.APIStatus.
func (e *ForbiddenError) Status() metav1.Status {
	return metav1.Status{
		Status:  metav1.StatusFailure,
		Code:    403,
		Reason:  metav1.StatusReasonForbidden,
		Message: e.Error(),
		Details: &metav1.StatusDetails{Group: e.Group, Kind: e.Resource, Name: e.Name},
	}
}

// ReviewError is a SubjectAccessReview that could not be made. It maps to
// 503: nothing is allowed on an access that could not be checked.
type ReviewError struct {
	User string
	Attributes
	Err error
}

func (e *ReviewError) Error() string {
	return fmt.Sprintf("could not check whether %q may %s: %v", e.User, e.Attributes, e.Err)
}

// Unwrap returns the API server's error.
func (e *ReviewError) Unwrap() error { return e.Err }

// Status implements apierrors.APIStatus: 503, so a console without the
// right to create subjectaccessreviews is not mistaken for a refusal.
func (e *ReviewError) Status() metav1.Status {
	return metav1.Status{Status: metav1.StatusFailure, Code: 503, Reason: metav1.StatusReasonServiceUnavailable,
		Message: e.Error()}
}

// Options configure New.
type Options struct {
	// CacheTTL is how long a decision is reused. It bounds how long a
	// revoked permission still shows data: reads see a revocation within
	// CacheTTL. Default: 10s.
	CacheTTL time.Duration
	// CacheSize bounds the remembered decisions (least recently used go
	// first). Default: 10,000.
	CacheSize int
	// Timeout bounds one SubjectAccessReview. Default: 10s.
	Timeout time.Duration
	// Logger receives failed reviews. Default: slog.Default().
	Logger *slog.Logger
}

// Reviewer creates SubjectAccessReviews (the authorization/v1 client).
type Reviewer interface {
	Create(ctx context.Context, sar *authorizationv1.SubjectAccessReview, opts metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error)
}

// Authorizer decides accesses with SubjectAccessReviews through a bounded
// LRU of recent decisions. It holds no other state and is safe for
// concurrent use.
type Authorizer struct {
	reviews Reviewer
	cache   *utilcache.LRUExpireCache
	ttl     time.Duration
	timeout time.Duration
	log     *slog.Logger
}

// New returns an Authorizer that asks the API server behind cfg (with the
// console's identity, which needs create on subjectaccessreviews).
func New(cfg *rest.Config, opts Options) (*Authorizer, error) {
	// A cold GET /api/v1/me or a first subscription across many namespaces
	// asks hundreds of small questions at once; the client-side limit of
	// the console's other clients would queue them for seconds. The API
	// server's priority and fairness still protects it.
	cfg = rest.CopyConfig(cfg)
	cfg.QPS, cfg.Burst = 500, 1000
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("authorization client: %w", err)
	}
	return NewWithReviewer(cs.AuthorizationV1().SubjectAccessReviews(), opts), nil
}

// NewWithReviewer returns an Authorizer over r.
func NewWithReviewer(r Reviewer, opts Options) *Authorizer {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Authorizer{reviews: r, cache: utilcache.NewLRUExpireCache(opts.CacheSize), ttl: opts.CacheTTL, timeout: opts.Timeout, log: opts.Logger}
}

// TTL is how long a decision is reused.
func (a *Authorizer) TTL() time.Duration { return a.ttl }

// decision is one remembered answer.
type decision struct {
	allowed bool
	reason  string
}

// Review decides one access for u. Decisions (allowed or not) are reused
// for the cache TTL; failed reviews are not remembered.
func (a *Authorizer) Review(ctx context.Context, u auth.User, at Attributes) (allowed bool, reason string, err error) {
	key := cacheKey(u, at)
	if v, ok := a.cache.Get(key); ok {
		d := v.(decision)
		return d.allowed, d.reason, nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.timeout)
	defer cancel()
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		User:   u.Name,
		UID:    u.UID,
		Groups: u.Groups,
		ResourceAttributes: &authorizationv1.ResourceAttributes{
			Verb: at.Verb, Group: at.Group, Resource: at.Resource, Namespace: at.Namespace, Name: at.Name,
		},
	}}
	if len(u.Extra) > 0 {
		sar.Spec.Extra = make(map[string]authorizationv1.ExtraValue, len(u.Extra))
		for k, v := range u.Extra {
			sar.Spec.Extra[k] = v
		}
	}
	res, err := a.reviews.Create(ctx, sar, metav1.CreateOptions{})
	if err != nil {
		a.log.Warn("subjectaccessreview failed", "user", u.Name, "access", at.String(), "error", err)
		return false, "", &ReviewError{User: u.Name, Attributes: at, Err: err}
	}
	d := decision{allowed: res.Status.Allowed && !res.Status.Denied, reason: res.Status.Reason}
	if !d.allowed && res.Status.EvaluationError != "" && d.reason == "" {
		d.reason = res.Status.EvaluationError
	}
	a.cache.Add(key, d, a.ttl)
	return d.allowed, d.reason, nil
}

// Allowed reports whether the caller in ctx may access at. Without a
// caller (authentication disabled) everything is allowed.
func (a *Authorizer) Allowed(ctx context.Context, at Attributes) (bool, error) {
	u, ok := auth.FromContext(ctx)
	if !ok {
		return true, nil
	}
	allowed, _, err := a.Review(ctx, u, at)
	return allowed, err
}

// Check returns nil when the caller in ctx may access at, a
// *ForbiddenError when RBAC refuses it, or the review's error.
func (a *Authorizer) Check(ctx context.Context, at Attributes) error {
	u, ok := auth.FromContext(ctx)
	if !ok {
		return nil
	}
	allowed, reason, err := a.Review(ctx, u, at)
	if err != nil {
		return err
	}
	if !allowed {
		return &ForbiddenError{User: u.Name, Attributes: at, Reason: reason}
	}
	return nil
}

// CheckKinds checks verb on every kind in ns, in order, and returns the
// first refusal.
func (a *Authorizer) CheckKinds(ctx context.Context, verb string, ns string, kinds ...cluster.Kind) error {
	for _, k := range kinds {
		if err := a.Check(ctx, For(verb, k, ns)); err != nil {
			return err
		}
	}
	return nil
}

// cacheKey identifies a user and an access. Groups and extra are sorted so
// that the order an authenticator lists them in does not matter.
func cacheKey(u auth.User, at Attributes) string {
	var b strings.Builder
	w := func(s string) {
		b.WriteString(strconv.Itoa(len(s)))
		b.WriteByte(':')
		b.WriteString(s)
	}
	w(u.Name)
	w(u.UID)
	groups := slices.Clone(u.Groups)
	sort.Strings(groups)
	b.WriteString(strconv.Itoa(len(groups)))
	for _, g := range groups {
		w(g)
	}
	keys := make([]string, 0, len(u.Extra))
	for k := range u.Extra {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	b.WriteString(strconv.Itoa(len(keys)))
	for _, k := range keys {
		w(k)
		vs := slices.Clone(u.Extra[k])
		sort.Strings(vs)
		b.WriteString(strconv.Itoa(len(vs)))
		for _, v := range vs {
			w(v)
		}
	}
	w(at.Verb)
	w(at.Group)
	w(at.Resource)
	w(at.Namespace)
	w(at.Name)
	return b.String()
}

// AllowedKind reports whether the caller in ctx may verb kind k in ns.
func (a *Authorizer) AllowedKind(ctx context.Context, verb string, k cluster.Kind, ns string) (bool, error) {
	return a.Allowed(ctx, For(verb, k, ns))
}

// CheckKind is Check for verb on kind k in ns.
func (a *Authorizer) CheckKind(ctx context.Context, verb string, k cluster.Kind, ns string) error {
	return a.Check(ctx, For(verb, k, ns))
}
