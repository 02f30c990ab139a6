package api

import (
	"bytes"
	"encoding/json"
	"fmt"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
)

// applyResponse is the body of PUT /api/v1/resources/{kind}/{name}.
type applyResponse struct {
	writeResult
	// Object is the applied object as sent (server defaults are not in it).
	Object map[string]any `json:"object"`
}

// applyResource serves PUT /api/v1/resources/{kind}/{name}?namespace=&dryRun=&force=:
// server-side apply of one raw object of a managed kind (not Secrets, which
// are written through providers).
func applyResource(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, ns, name, err := writableTarget(c)
		if err != nil {
			return err
		}
		obj, err := decodeObject(c, k, ns, name)
		if err != nil {
			return err
		}
		ref := sink.RefOf(obj)
		ch := change{Operation: "update", Kind: "resource", Namespace: ns, Apply: []*unstructured.Unstructured{obj}, Summary: "apply " + ref.String()}
		if live, err := d.reader.Get(k, ns, name); err == nil {
			ch.Live = append(ch.Live, live)
		} else {
			ch.Operation = "create"
		}
		if rv := ifMatch(c); rv != "" {
			ch.Preconditions = []sink.Precondition{{Ref: ref, ResourceVersion: rv}}
		}
		res, err := d.commit(c, ch)
		if err != nil {
			return err
		}
		status := fiber.StatusOK
		if !res.DryRun && len(res.Changes) == 1 && res.Changes[0].Action == sink.Created {
			status = fiber.StatusCreated
		}
		return c.Status(status).JSON(applyResponse{writeResult: res, Object: obj.Object})
	}
}

// deleteResource serves DELETE /api/v1/resources/{kind}/{name}?namespace=&dryRun=.
func deleteResource(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, ns, name, err := writableTarget(c)
		if err != nil {
			return err
		}
		live, err := d.reader.Get(k, ns, name)
		if err != nil {
			return err
		}
		ref := sink.RefOf(live)
		ref.GVK = k.GVK
		ch := change{Operation: "delete", Kind: "resource", Namespace: ns, Delete: []sink.Ref{ref}, Live: []*unstructured.Unstructured{live}, Summary: "delete " + ref.String()}
		if rv := ifMatch(c); rv != "" {
			ch.Preconditions = []sink.Precondition{{Ref: ref, ResourceVersion: rv}}
		}
		res, err := d.commit(c, ch)
		if err != nil {
			return err
		}
		return c.JSON(res)
	}
}

func writableTarget(c *fiber.Ctx) (cluster.Kind, string, string, error) {
	k, err := kindParam(c)
	if err != nil {
		return k, "", "", err
	}
	if k == cluster.Secret {
		return k, "", "", newProblem(fiber.StatusMethodNotAllowed, "SecretsAreWriteOnlyThroughProviders",
			"Secrets cannot be written through the raw API; send credentials with a provider")
	}
	ns, err := namespaceParam(c, "default")
	if err != nil {
		return k, "", "", err
	}
	name, err := nameParam(c)
	return k, ns, name, err
}

// decodeObject decodes a raw object of kind k: strictly against its Go type
// (unknown fields and wrong types are 400s with the field path), with
// apiVersion/kind/name/namespace checked against the URL and server-set
// fields dropped.
func decodeObject(c *fiber.Ctx, k cluster.Kind, ns, name string) (*unstructured.Unstructured, error) {
	var typed any
	switch k {
	case cluster.AIGatewayRoute:
		typed = &aigv1b1.AIGatewayRoute{}
	case cluster.AIServiceBackend:
		typed = &aigv1b1.AIServiceBackend{}
	case cluster.BackendSecurityPolicy:
		typed = &aigv1b1.BackendSecurityPolicy{}
	case cluster.Backend:
		typed = &egv1a1.Backend{}
	case cluster.BackendTLSPolicy:
		typed = &gwapiv1.BackendTLSPolicy{}
	}
	if err := decodeJSON(c, typed); err != nil {
		return nil, err
	}
	var content map[string]any
	dec := json.NewDecoder(bytes.NewReader(c.Body()))
	dec.UseNumber()
	if err := dec.Decode(&content); err != nil {
		return nil, jsonProblem(err)
	}
	obj := &unstructured.Unstructured{Object: content}
	want := k.GVK.GroupVersion().String()
	var causes []Cause
	if v := obj.GetAPIVersion(); v != "" && v != want {
		causes = append(causes, Cause{Field: "apiVersion", Message: fmt.Sprintf("must be %s for %s", want, k.Name), Reason: "FieldValueInvalid"})
	}
	if v := obj.GetKind(); v != "" && v != k.GVK.Kind {
		causes = append(causes, Cause{Field: "kind", Message: fmt.Sprintf("must be %s for %s", k.GVK.Kind, k.Name), Reason: "FieldValueInvalid"})
	}
	if v := obj.GetName(); v != "" && v != name {
		causes = append(causes, Cause{Field: "metadata.name", Message: fmt.Sprintf("must match the URL's name %s", quote(name)), Reason: "FieldValueInvalid"})
	}
	if v := obj.GetNamespace(); v != "" && v != ns {
		causes = append(causes, Cause{Field: "metadata.namespace", Message: fmt.Sprintf("must match ?namespace= (%s)", quote(ns)), Reason: "FieldValueInvalid"})
	}
	if len(causes) > 0 {
		return nil, newProblem(fiber.StatusBadRequest, "Mismatch", "the object does not match the URL", causes...)
	}
	obj.SetAPIVersion(want)
	obj.SetKind(k.GVK.Kind)
	obj.SetName(name)
	obj.SetNamespace(ns)
	for _, f := range []string{"resourceVersion", "uid", "generation", "creationTimestamp", "managedFields", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"} {
		unstructured.RemoveNestedField(obj.Object, "metadata", f)
	}
	delete(obj.Object, "status")
	return obj, nil
}
