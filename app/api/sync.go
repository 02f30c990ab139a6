package api

import (
	"context"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/app/route"
	"github.com/aigw-console/aigw-console/app/syncstatus"
)

// SyncStatus reports, in GitOps mode, where each object stands between Git
// and the cluster (*syncstatus.Tracker).
type SyncStatus interface {
	Report(ctx context.Context) (*syncstatus.Report, error)
}

// syncedProvider is the provider view with its sync status (GitOps mode).
type syncedProvider struct {
	provider.Provider
	// Sync sums up the provider's objects between Git and the cluster.
	Sync *syncstatus.Summary `json:"sync,omitempty"`
}

// syncedProviderList is the body of GET /api/v1/providers.
type syncedProviderList struct {
	Items []syncedProvider `json:"items"`
}

// syncedRoute is the route view with its sync status (GitOps mode).
type syncedRoute struct {
	route.Route
	// Sync is the AIGatewayRoute's sync status.
	Sync *syncstatus.Object `json:"sync,omitempty"`
}

// syncedRouteList is the body of GET /api/v1/routes.
type syncedRouteList struct {
	Items []syncedRoute `json:"items"`
}

// syncReport returns the current report, or nil in direct mode. A report
// that cannot be made (Git unreadable) leaves the views without sync
// rather than failing reads that come from the cluster.
func (d *deps) syncReport(c *fiber.Ctx) *syncstatus.Report {
	if d.sync == nil {
		return nil
	}
	r, err := d.sync.Report(c.UserContext())
	if err != nil {
		d.log.Warn("sync status unavailable", "error", err)
		return nil
	}
	return r
}

// getSync serves GET /api/v1/sync?namespace=: the branch head, the applier
// and every object's state.
func getSync(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceParam(c, "")
		if err != nil {
			return err
		}
		if d.sync == nil {
			return newProblem(fiber.StatusNotFound, "NotGitOpsMode", "sync status exists in GitOps mode only (--mode gitops)")
		}
		r, err := d.sync.Report(c.UserContext())
		if err != nil {
			return newProblem(fiber.StatusServiceUnavailable, "GitUnavailable", "the sync status cannot be read from Git: "+err.Error())
		}
		out := *r
		visible := d.visible(c)
		out.Objects, out.Counts = []syncstatus.Object{}, syncstatus.Counts{}
		for _, o := range r.Objects {
			if ns != "" && o.Namespace != ns {
				continue
			}
			// Only what the caller's RBAC lets them list.
			if k, ok := cluster.KindByName(o.Resource); !ok || !visible(k, o.Namespace) {
				continue
			}
			out.Objects = append(out.Objects, o)
			switch o.State {
			case syncstatus.Synced:
				out.Counts.Synced++
			case syncstatus.Pending:
				out.Counts.Pending++
			default:
				out.Counts.Drifted++
			}
		}
		return c.JSON(out)
	}
}

// readSynced is read, the caller's view of the cache, plus in GitOps mode
// the objects that Git holds and the cluster does not have yet (pending
// creation), filtered by the same RBAC checks as live objects.
func (d *deps) readSynced(c *fiber.Ctx, rep *syncstatus.Report) Reader {
	if rep == nil {
		return d.read(c)
	}
	return d.readOver(c, pendingReader{r: d.reader, rep: rep}, providerAuthzKinds())
}

// readRawSynced is readSynced for /api/v1/resources: every kind decided
// on its own.
func (d *deps) readRawSynced(c *fiber.Ctx, rep *syncstatus.Report) Reader {
	if rep == nil {
		return d.readRaw(c)
	}
	return d.readOver(c, pendingReader{r: d.reader, rep: rep}, nil)
}

// pendingReader adds the objects pending creation to a Reader.
type pendingReader struct {
	r   Reader
	rep *syncstatus.Report
}

// List implements Reader.
func (p pendingReader) List(k cluster.Kind, ns string, sel labels.Selector) []*unstructured.Unstructured {
	return append(p.r.List(k, ns, sel), matching(p.rep.PendingCreations(k, ns), sel)...)
}

// Get implements Reader: the live object, else the one pending creation.
func (p pendingReader) Get(k cluster.Kind, ns, name string) (*unstructured.Unstructured, error) {
	u, err := p.r.Get(k, ns, name)
	if err == nil {
		return u, nil
	}
	for _, o := range p.rep.PendingCreations(k, ns) {
		if o.GetName() == name {
			return o, nil
		}
	}
	return nil, err
}

// withProviderSync adds the sync summary to provider views.
func withProviderSync(r *syncstatus.Report, ps ...provider.Provider) []syncedProvider {
	out := make([]syncedProvider, 0, len(ps))
	for _, p := range ps {
		sp := syncedProvider{Provider: p}
		if r != nil {
			var objs []syncstatus.Object
			for _, ref := range p.Objects {
				k, ok := cluster.KindOf(ref.GVK().GroupKind())
				if !ok {
					continue
				}
				if o, ok := r.Lookup(k, p.Namespace, ref.Name); ok {
					objs = append(objs, o)
				}
			}
			sp.Sync = syncstatus.Summarize(objs)
		}
		out = append(out, sp)
	}
	return out
}

// withRouteSync adds the sync status to a route view.
func withRouteSync(r *syncstatus.Report, rt route.Route) syncedRoute {
	sr := syncedRoute{Route: rt}
	if o, ok := r.Lookup(cluster.AIGatewayRoute, rt.Namespace, rt.Name); ok {
		sr.Sync = &o
	}
	return sr
}

// withResourceSync returns a raw object with its sync status under "sync"
// (the object itself is shared with the cache and left alone).
func withResourceSync(r *syncstatus.Report, k cluster.Kind, u *unstructured.Unstructured) map[string]any {
	o, ok := r.Lookup(k, u.GetNamespace(), u.GetName())
	if !ok {
		return u.Object
	}
	out := make(map[string]any, len(u.Object)+1)
	for key, v := range u.Object {
		out[key] = v
	}
	out["sync"] = o
	return out
}

// matching keeps the objects whose labels match sel.
func matching(objs []*unstructured.Unstructured, sel labels.Selector) []*unstructured.Unstructured {
	if sel == nil {
		return objs
	}
	var out []*unstructured.Unstructured
	for _, u := range objs {
		if sel.Matches(labels.Set(u.GetLabels())) {
			out = append(out, u)
		}
	}
	return out
}
