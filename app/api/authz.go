package api

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/route"
)

// Authorizer is the cluster's RBAC for the caller in ctx (package authz:
// SubjectAccessReviews through a short-lived cache). Without a caller in
// ctx (authentication disabled) both methods allow everything.
type Authorizer interface {
	// AllowedKind reports whether the caller may verb kind k in ns.
	AllowedKind(ctx context.Context, verb string, k cluster.Kind, ns string) (bool, error)
	// CheckKind returns nil when the caller may verb kind k in ns, else an
	// error that maps to 403 naming verb, resource and namespace.
	CheckKind(ctx context.Context, verb string, k cluster.Kind, ns string) error
}

// read returns the Reader of a provider or route handler: the shared
// cache as the caller may see it, with the five provider kinds decided
// together (see package authz for why).
func (d *deps) read(c *fiber.Ctx) Reader {
	return d.readOver(c, d.reader, providerAuthzKinds())
}

// readOver filters base for the request's caller; joint kinds are decided
// together (providers).
func (d *deps) readOver(c *fiber.Ctx, base Reader, joint []cluster.Kind) Reader {
	if d.authz == nil {
		return base
	}
	return &userReader{r: base, ctx: c.UserContext(), az: d.authz, log: d.log, joint: joint, decided: map[decisionKey]bool{}}
}

// visible reports whether the caller may list kind k in namespace ns.
func (d *deps) visible(c *fiber.Ctx) func(k cluster.Kind, ns string) bool {
	if d.authz == nil {
		return func(cluster.Kind, string) bool { return true }
	}
	ur := d.readOver(c, d.reader, nil).(*userReader)
	return func(k cluster.Kind, ns string) bool { return ur.allowed("list", k, ns) }
}

// asGet makes a caller's reader decide its lists with the verb get: for a
// GET of one provider, whose view is built from a namespace's objects, as
// the route checked.
func asGet(r Reader) Reader {
	if u, ok := r.(*userReader); ok {
		u.listVerb = "get"
	}
	return r
}

// readRaw is read for /api/v1/resources: every kind decided on its own.
func (d *deps) readRaw(c *fiber.Ctx) Reader {
	return d.readOver(c, d.reader, nil)
}

// providerAuthzKinds are the five provider kinds in the order they are
// checked: the AIServiceBackend, which defines a provider, first, so a
// refusal names it.
func providerAuthzKinds() []cluster.Kind {
	return []cluster.Kind{cluster.AIServiceBackend, cluster.Backend, cluster.BackendSecurityPolicy, cluster.BackendTLSPolicy, cluster.Secret}
}

type decisionKey struct {
	verb, kind, ns string
}

// userReader filters the shared cache for one request's caller: a list
// across namespaces leaves out the namespaces the caller may not list; a
// list in such a namespace is empty (the route's allow middleware has
// answered 403 before the handler ran); a Get there is 403. It lives for
// one request, so it remembers its decisions in a plain map.
type userReader struct {
	r     Reader
	ctx   context.Context
	az    Authorizer
	log   *slog.Logger
	joint []cluster.Kind // kinds decided together (providers)
	// listVerb decides List; default "list".
	listVerb string

	decided map[decisionKey]bool
}

// group returns the kinds that k is decided with.
func (u *userReader) group(k cluster.Kind) []cluster.Kind {
	if slices.Contains(u.joint, k) {
		return u.joint
	}
	return []cluster.Kind{k}
}

func (u *userReader) allowed(verb string, k cluster.Kind, ns string) bool {
	key := decisionKey{verb, k.Name, ns}
	if v, ok := u.decided[key]; ok {
		return v
	}
	v := true
	for _, g := range u.group(k) {
		ok, err := u.az.AllowedKind(u.ctx, verb, g, ns)
		if err != nil {
			// Fail closed: what cannot be checked is not shown.
			u.log.Warn("authorization check failed; leaving objects out", "verb", verb, "kind", g.Name, "namespace", ns, "error", err)
		}
		if !ok || err != nil {
			v = false
			break
		}
	}
	u.decided[key] = v
	return v
}

// List implements Reader.
func (u *userReader) List(k cluster.Kind, ns string, sel labels.Selector) []*unstructured.Unstructured {
	verb := u.listVerb
	if verb == "" {
		verb = "list"
	}
	if ns != "" {
		if !u.allowed(verb, k, ns) {
			return nil
		}
		return u.r.List(k, ns, sel)
	}
	items := u.r.List(k, "", sel)
	out := items[:0:0]
	for _, o := range items {
		if u.allowed(verb, k, o.GetNamespace()) {
			out = append(out, o)
		}
	}
	return out
}

// Get implements Reader: 403 in a namespace the caller may not read.
func (u *userReader) Get(k cluster.Kind, ns, name string) (*unstructured.Unstructured, error) {
	for _, g := range u.group(k) {
		if err := u.az.CheckKind(u.ctx, "get", g, ns); err != nil {
			return nil, err
		}
	}
	return u.r.Get(k, ns, name)
}

// allow is the route middleware that checks the caller's RBAC before the
// handler reads or writes anything: verb on every kind in the request's
// namespace. For a list (named false) only an explicit ?namespace= is
// checked, since a list across namespaces just leaves out the forbidden
// ones; a named object's namespace defaults to "default". A namespace that
// is not valid is left to the handler's 400.
func (d *deps) allow(verb string, named bool, kinds ...cluster.Kind) fiber.Handler {
	write := verb != "get" && verb != "list" && verb != "watch"
	return func(c *fiber.Ctx) error {
		if write && len(d.managed) > 0 {
			if ns, err := namespaceParam(c, "default"); err == nil && !slices.Contains(d.managed, ns) {
				return newProblem(fiber.StatusForbidden, "Forbidden", fmt.Sprintf("the console manages only the namespaces %s (--namespaces), not %s", strings.Join(d.managed, ", "), quote(ns)),
					Cause{Field: "namespace", Message: "not managed by this console", Reason: "FieldValueForbidden"})
			}
		}
		if d.authz == nil {
			return c.Next()
		}
		def := ""
		if named {
			def = "default"
		}
		ns, err := namespaceParam(c, def)
		if err != nil || ns == "" {
			return c.Next()
		}
		ks := kinds
		if len(ks) == 0 {
			k, ok := cluster.KindByName(c.Params("kind"))
			if !ok {
				return c.Next() // the handler's 404
			}
			ks = []cluster.Kind{k}
		}
		for _, k := range ks {
			if err := d.authz.CheckKind(c.UserContext(), verb, k, ns); err != nil {
				return err
			}
		}
		return c.Next()
	}
}

// authorizeChange checks every object of a change with the caller's RBAC
// before policies and the sink see it: a new object needs create and
// patch (server-side apply creates through a patch), an existing one
// patch, a removed one delete. In GitOps mode this is the authorization of
// the commit; in direct mode the API server decides once more, as the
// caller, when the sink applies.
func (d *deps) authorizeChange(c *fiber.Ctx, ch change) error {
	if d.authz == nil {
		return nil
	}
	ctx := c.UserContext()
	for _, o := range ch.Apply {
		k, ok := cluster.KindOf(o.GroupVersionKind().GroupKind())
		if !ok {
			continue // not a managed kind: the API server decides
		}
		verbs := []string{"patch"}
		if _, err := d.reader.Get(k, o.GetNamespace(), o.GetName()); err != nil {
			verbs = []string{"create", "patch"}
		}
		for _, v := range verbs {
			if err := d.authz.CheckKind(ctx, v, k, o.GetNamespace()); err != nil {
				return err
			}
		}
	}
	for _, ref := range ch.Delete {
		k, ok := cluster.KindOf(ref.GVK.GroupKind())
		if !ok {
			continue
		}
		if err := d.authz.CheckKind(ctx, "delete", k, ref.Namespace); err != nil {
			return err
		}
	}
	return nil
}

// hiddenCollisions refuses a model that a route the caller may not list
// already routes on the same Gateway, without naming that route or its
// namespace. seen are the routes the caller may list.
func hiddenCollisions(ns string, spec route.Spec, all Reader, seen []*unstructured.Unstructured) field.ErrorList {
	everything := all.List(cluster.AIGatewayRoute, "", nil)
	if len(everything) == len(seen) {
		return nil
	}
	visible := make(map[string]bool, len(seen))
	for _, o := range seen {
		visible[o.GetNamespace()+"/"+o.GetName()] = true
	}
	var hidden []*unstructured.Unstructured
	for _, o := range everything {
		if !visible[o.GetNamespace()+"/"+o.GetName()] {
			hidden = append(hidden, o)
		}
	}
	errs := route.CheckModelCollisions(ns, spec, hidden)
	for _, e := range errs {
		e.Detail = fmt.Sprintf("model %q is already routed on the same Gateway by another route; a model can be routed by only one route per Gateway", fmt.Sprint(e.BadValue))
	}
	return errs
}
