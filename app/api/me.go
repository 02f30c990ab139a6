package api

import (
	"context"
	"sort"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// meVerbs are the verbs GET /api/v1/me reports, and the Kubernetes verb
// each is checked with: the console updates with server-side apply, a
// patch.
var meVerbs = []struct{ name, verb string }{
	{"get", "get"}, {"list", "list"}, {"watch", "watch"},
	{"create", "create"}, {"update", "patch"}, {"delete", "delete"},
}

// meResponse is the body of GET /api/v1/me.
type meResponse struct {
	// Authenticated is false when the console runs without authentication
	// (then User is null and everything is allowed).
	Authenticated bool `json:"authenticated"`
	// User is the caller as the console sees them.
	User *auth.User `json:"user"`
	// Namespaces lists, per namespace, the verbs allowed on each kind.
	Namespaces []namespaceAccess `json:"namespaces"`
}

// namespaceAccess is what the caller may do in one namespace.
type namespaceAccess struct {
	Namespace string `json:"namespace"`
	// Kinds maps each kind (providers, routes and the raw kinds of
	// /api/v1/resources) to its allowed verbs, in the order get, list,
	// watch, create, update, delete.
	Kinds map[string][]string `json:"kinds"`
}

// meKinds are the kinds GET /api/v1/me reports, with the cluster kinds
// each needs (a provider needs all five of its kinds).
func meKinds() []struct {
	name  string
	kinds []cluster.Kind
} {
	out := []struct {
		name  string
		kinds []cluster.Kind
	}{{"providers", providerAuthzKinds()}, {"routes", []cluster.Kind{cluster.AIGatewayRoute}}}
	for _, k := range cluster.Kinds() {
		out = append(out, struct {
			name  string
			kinds []cluster.Kind
		}{k.Name, []cluster.Kind{k}})
	}
	return out
}

// me serves GET /api/v1/me[?namespace=]: who the console thinks the caller
// is and what they may do, for a UI to hide what would be refused. The
// answers come from the same SubjectAccessReviews (and cache) that guard
// every request.
func me(d *deps, namespaces func() []string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceParam(c, "")
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		out := meResponse{Namespaces: []namespaceAccess{}}
		if u, ok := auth.FromContext(ctx); ok {
			out.Authenticated, out.User = true, &u
		}
		var list []string
		switch {
		case ns != "":
			list = []string{ns}
		case namespaces != nil:
			list = namespaces()
		default:
			list = cachedNamespaces(d.reader)
		}
		for _, n := range list {
			acc, err := d.access(ctx, n)
			if err != nil {
				return err
			}
			out.Namespaces = append(out.Namespaces, acc)
		}
		return c.JSON(out)
	}
}

// access decides every kind and verb in ns, a few reviews at a time.
func (d *deps) access(ctx context.Context, ns string) (namespaceAccess, error) {
	kinds := meKinds()
	acc := namespaceAccess{Namespace: ns, Kinds: make(map[string][]string, len(kinds))}
	allowed := make([][]bool, len(kinds))
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		slots    = make(chan struct{}, 8)
	)
	for i, k := range kinds {
		allowed[i] = make([]bool, len(meVerbs))
		for j, v := range meVerbs {
			if d.authz == nil {
				allowed[i][j] = true
				continue
			}
			wg.Add(1)
			slots <- struct{}{}
			go func() {
				defer func() { <-slots; wg.Done() }()
				ok := true
				for _, ck := range k.kinds {
					a, err := d.authz.AllowedKind(ctx, v.verb, ck, ns)
					if err != nil {
						mu.Lock()
						if firstErr == nil {
							firstErr = err
						}
						mu.Unlock()
					}
					if !a || err != nil {
						ok = false
						break
					}
				}
				allowed[i][j] = ok
			}()
		}
	}
	wg.Wait()
	if firstErr != nil {
		return acc, firstErr
	}
	for i, k := range kinds {
		verbs := []string{}
		for j, v := range meVerbs {
			if allowed[i][j] {
				verbs = append(verbs, v.name)
			}
		}
		acc.Kinds[k.name] = verbs
	}
	return acc, nil
}

// cachedNamespaces are the namespaces holding at least one cached object.
func cachedNamespaces(r Reader) []string {
	seen := map[string]bool{}
	for _, k := range cluster.Kinds() {
		for _, o := range r.List(k, "", nil) {
			if o.GetNamespace() != "" {
				seen[o.GetNamespace()] = true
			}
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}
