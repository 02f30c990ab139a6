package api

import (
	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/aigw-console/aigw-console/app/cluster"
)

// kindInfo describes one managed kind in GET /api/v1/resources.
type kindInfo struct {
	Name       string `json:"name"`
	Group      string `json:"group"`
	Version    string `json:"version"`
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
}

// kindList is the body of GET /api/v1/resources.
type kindList struct {
	Items []kindInfo `json:"items"`
}

// resourceList is the body of GET /api/v1/resources/{kind}.
type resourceList struct {
	Kind  string           `json:"kind"`
	Items []map[string]any `json:"items"`
}

func listKinds() fiber.Handler {
	return func(c *fiber.Ctx) error {
		var out kindList
		for _, k := range cluster.Kinds() {
			out.Items = append(out.Items, kindInfo{Name: k.Name, Group: k.GVK.Group, Version: k.GVK.Version, Kind: k.GVK.Kind, APIVersion: k.GVK.GroupVersion().String()})
		}
		return c.JSON(out)
	}
}

// listResources serves GET /api/v1/resources/{kind}?namespace=&labelSelector=
// from the cache.
func listResources(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, err := kindParam(c)
		if err != nil {
			return err
		}
		sel, err := selectorParam(c)
		if err != nil {
			return err
		}
		ns, err := namespaceParam(c, "")
		if err != nil {
			return err
		}
		rep := d.syncReport(c)
		items := d.readRawSynced(c, rep).List(k, ns, sel)
		out := resourceList{Kind: k.GVK.Kind + "List", Items: make([]map[string]any, 0, len(items))}
		for _, u := range items {
			out.Items = append(out.Items, withResourceSync(rep, k, u))
		}
		return c.JSON(out)
	}
}

// getResource serves GET /api/v1/resources/{kind}/{name}?namespace= from
// the cache, with the resourceVersion as ETag.
func getResource(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, err := kindParam(c)
		if err != nil {
			return err
		}
		ns, err := namespaceParam(c, "default")
		if err != nil {
			return err
		}
		name, err := nameParam(c)
		if err != nil {
			return err
		}
		rep := d.syncReport(c)
		u, err := d.readRawSynced(c, rep).Get(k, ns, name)
		if err != nil {
			return err
		}
		setETag(c, u)
		return c.JSON(withResourceSync(rep, k, u))
	}
}

func setETag(c *fiber.Ctx, u *unstructured.Unstructured) {
	if rv := u.GetResourceVersion(); rv != "" {
		c.Set(fiber.HeaderETag, `"`+rv+`"`)
	}
}

func kindParam(c *fiber.Ctx) (cluster.Kind, error) {
	name := c.Params("kind")
	k, ok := cluster.KindByName(name)
	if !ok {
		return cluster.Kind{}, newProblem(fiber.StatusNotFound, "UnknownKind", "unknown resource kind "+quote(name)+"; GET /api/v1/resources lists the kinds")
	}
	return k, nil
}

func selectorParam(c *fiber.Ctx) (labels.Selector, error) {
	s := c.Query("labelSelector")
	if s == "" {
		return labels.Everything(), nil
	}
	sel, err := labels.Parse(s)
	if err != nil {
		return nil, newProblem(fiber.StatusBadRequest, "InvalidLabelSelector", "invalid labelSelector: "+err.Error(), Cause{Field: "labelSelector", Message: err.Error()})
	}
	return sel, nil
}
