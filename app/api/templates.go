package api

import (
	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/aigw-console/aigw-console/app/provider"
)

// templateList is the body of GET /api/v1/templates.
type templateList struct {
	Items []provider.Template `json:"items"`
}

// previewRequest is the body of POST /api/v1/templates/{name}/preview.
type previewRequest struct {
	// Name is the provider name to render with. Default: the template's name.
	Name string `json:"name,omitempty"`
	// Parameters are the template's parameters.
	Parameters map[string]any `json:"parameters,omitempty"`
	// Auth is the provider's auth; credentials in it are only used to show
	// which Secret would be rendered, never returned.
	Auth *provider.Auth `json:"auth,omitempty"`
}

// previewResponse is the body of POST /api/v1/templates/{name}/preview.
type previewResponse struct {
	// Objects are the objects the provider would be made of, Secrets
	// redacted.
	Objects []map[string]any `json:"objects"`
}

func listTemplates() fiber.Handler {
	return func(c *fiber.Ctx) error {
		return c.JSON(templateList{Items: provider.Templates()})
	}
}

func getTemplate() fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := templateParam(c)
		if err != nil {
			return err
		}
		return c.JSON(t)
	}
}

func previewTemplate() fiber.Handler {
	return func(c *fiber.Ctx) error {
		t, err := templateParam(c)
		if err != nil {
			return err
		}
		ns, err := namespaceParam(c, "default")
		if err != nil {
			return err
		}
		var req previewRequest
		if err := decodeJSON(c, &req); err != nil {
			return err
		}
		if req.Name == "" {
			req.Name = t.Name
		}
		var auth provider.Auth
		if req.Auth != nil {
			auth = *req.Auth
		}
		rendered, errs := t.Preview(ns, req.Name, req.Parameters, auth)
		if len(errs) > 0 {
			return invalid("template preview", errs)
		}
		return c.JSON(previewResponse{Objects: objectMaps(rendered.Objects)})
	}
}

func templateParam(c *fiber.Ctx) (provider.Template, error) {
	name := c.Params("name")
	if len(validation.IsDNS1123Label(name)) > 0 {
		return provider.Template{}, newProblem(fiber.StatusNotFound, "UnknownTemplate", "unknown template "+quote(name)+"; GET /api/v1/templates lists them")
	}
	t, ok := provider.TemplateByName(name)
	if !ok {
		return provider.Template{}, newProblem(fiber.StatusNotFound, "UnknownTemplate", "unknown template "+quote(name)+"; GET /api/v1/templates lists them")
	}
	return t, nil
}
