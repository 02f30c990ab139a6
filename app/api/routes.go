package api

import (
	"fmt"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/route"
	"github.com/aigw-console/aigw-console/app/sink"
)

// routeWriteResponse is the body of POST/PUT/DELETE on routes.
type routeWriteResponse struct {
	// Route is the route as rendered by this request (for DELETE, as it
	// was).
	Route *route.Route `json:"route,omitempty"`
	writeResult
}

func listRoutes(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceParam(c, "")
		if err != nil {
			return err
		}
		rep := d.syncReport(c)
		objs := d.readSynced(c, rep).List(cluster.AIGatewayRoute, ns, nil)
		out := syncedRouteList{Items: make([]syncedRoute, 0, len(objs))}
		for _, u := range objs {
			r, err := route.FromObject(u)
			if err != nil {
				return err
			}
			out.Items = append(out.Items, withRouteSync(rep, r))
		}
		return c.JSON(out)
	}
}

func getRoute(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, name, err := namedTarget(c)
		if err != nil {
			return err
		}
		rep := d.syncReport(c)
		u, err := d.readSynced(c, rep).Get(cluster.AIGatewayRoute, ns, name)
		if err != nil {
			return err
		}
		r, err := route.FromObject(u)
		if err != nil {
			return err
		}
		setETag(c, u)
		return c.JSON(withRouteSync(rep, r))
	}
}

func createRoute(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceParam(c, "default")
		if err != nil {
			return err
		}
		var spec route.Spec
		if err := decodeJSON(c, &spec); err != nil {
			return err
		}
		if err := validRoute(d.reader, d.read(c), ns, spec); err != nil {
			return err
		}
		if _, err := d.reader.Get(cluster.AIGatewayRoute, ns, spec.Name); err == nil {
			return newProblem(fiber.StatusConflict, "AlreadyExists", fmt.Sprintf("route %s already exists in namespace %s; use PUT to change it", quote(spec.Name), quote(ns)))
		}
		return writeRoute(c, d, "create", ns, spec, nil, fiber.StatusCreated)
	}
}

func updateRoute(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, name, err := namedTarget(c)
		if err != nil {
			return err
		}
		var spec route.Spec
		if err := decodeJSON(c, &spec); err != nil {
			return err
		}
		if spec.Name != "" && spec.Name != name {
			return invalid("route", field.ErrorList{field.Invalid(field.NewPath("name"), spec.Name, "must match the URL's name "+quote(name))})
		}
		spec.Name = name
		live, err := d.reader.Get(cluster.AIGatewayRoute, ns, name)
		if err != nil {
			return err
		}
		if err := checkETag(c, cluster.AIGatewayRoute.GVK.Kind, ns, live.GetResourceVersion()); err != nil {
			return err
		}
		if err := editable(c, live); err != nil {
			return err
		}
		if err := validRoute(d.reader, d.read(c), ns, spec); err != nil {
			return err
		}
		return writeRoute(c, d, "update", ns, spec, live, fiber.StatusOK)
	}
}

// writeRoute renders the route and commits it.
func writeRoute(c *fiber.Ctx, d *deps, op, ns string, spec route.Spec, live *unstructured.Unstructured, status int) error {
	obj, err := route.Render(ns, spec)
	if err != nil {
		return err
	}
	ch := change{Operation: op, Kind: "route", Namespace: ns, Apply: []*unstructured.Unstructured{obj},
		Summary: fmt.Sprintf("%s route %s/%s", op, ns, spec.Name)}
	if live != nil {
		ch.Live = []*unstructured.Unstructured{live}
		ch.Preconditions = objectPreconditions(c, ch.Live)
	}
	res, err := d.commit(c, ch)
	if err != nil {
		return err
	}
	view, err := route.FromObject(obj)
	if err != nil {
		return err
	}
	if res.DryRun {
		status = fiber.StatusOK
	}
	return c.Status(status).JSON(routeWriteResponse{Route: &view, writeResult: res})
}

func deleteRoute(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, name, err := namedTarget(c)
		if err != nil {
			return err
		}
		live, err := d.reader.Get(cluster.AIGatewayRoute, ns, name)
		if err != nil {
			return err
		}
		if err := checkETag(c, cluster.AIGatewayRoute.GVK.Kind, ns, live.GetResourceVersion()); err != nil {
			return err
		}
		view, err := route.FromObject(live)
		if err != nil {
			return err
		}
		ref := sink.RefOf(live)
		ref.GVK = cluster.AIGatewayRoute.GVK
		ch := change{Operation: "delete", Kind: "route", Namespace: ns, Live: []*unstructured.Unstructured{live},
			Delete: []sink.Ref{ref}, Summary: fmt.Sprintf("delete route %s/%s", ns, name)}
		ch.Preconditions = objectPreconditions(c, ch.Live)
		res, err := d.commit(c, ch)
		if err != nil {
			return err
		}
		return c.JSON(routeWriteResponse{Route: &view, writeResult: res})
	}
}

// validRoute runs the Go validation and the checks against live state:
// every backend provider exists, and no model is routed twice on a Gateway.
//
// visible is what the caller may see: backends are looked up there, and
// a collision with a route there is named; a collision with a route the
// caller may not list is still refused, worded without that route
// (hiddenCollisions).
func validRoute(all, visible Reader, ns string, spec route.Spec) error {
	if errs := route.Validate(ns, spec); len(errs) > 0 {
		return invalid("route", errs)
	}
	errs := route.CheckBackends(ns, spec, visible.List(cluster.AIServiceBackend, "", nil))
	seen := visible.List(cluster.AIGatewayRoute, "", nil)
	errs = append(errs, route.CheckModelCollisions(ns, spec, seen)...)
	errs = append(errs, hiddenCollisions(ns, spec, all, seen)...)
	if len(errs) > 0 {
		return invalid("route", errs)
	}
	return nil
}

// editable refuses a PUT that would drop what the route's Spec cannot
// express (InferencePool refs, mutations, other matches), unless forced.
func editable(c *fiber.Ctx, live *unstructured.Unstructured) error {
	view, err := route.FromObject(live)
	if err != nil || view.Editable {
		return err
	}
	force, err := boolQuery(c, "force")
	if err != nil || force {
		return err
	}
	return newProblem(fiber.StatusConflict, "NotEditable",
		fmt.Sprintf("route %s has parts the route API cannot express (%s); a PUT would drop them. Edit it through /api/v1/resources/aigatewayroutes, or retry with ?force=true to replace it", quote(live.GetName()), view.Reason))
}
