package api

import (
	"errors"
	"fmt"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/app/sink"
)

// providerKinds are the kinds a provider's objects can have.
func providerKinds() []cluster.Kind {
	return []cluster.Kind{cluster.Secret, cluster.Backend, cluster.BackendTLSPolicy, cluster.AIServiceBackend, cluster.BackendSecurityPolicy}
}

// providerWriteResponse is the body of POST/PUT/DELETE on providers.
type providerWriteResponse struct {
	// Provider is the provider as rendered by this request (for DELETE, as
	// it was). Its status is the live status known before the change.
	Provider *provider.Provider `json:"provider,omitempty"`
	writeResult
}

// providerObjects returns the live objects labelled as provider name in ns:
// the objects an update or delete manages.
func providerObjects(r Reader, ns, name string) []*unstructured.Unstructured {
	req, _ := labels.NewRequirement(provider.LabelProvider, selection.Equals, []string{name})
	sel := labels.NewSelector().Add(*req)
	var out []*unstructured.Unstructured
	for _, k := range providerKinds() {
		out = append(out, r.List(k, ns, sel)...)
	}
	return out
}

// namespaceObjects returns every cached object of the provider kinds in ns
// ("" = all): the provider views need the unlabelled parts too, such as a
// Secret the user brought through auth.secretRef.
func namespaceObjects(r Reader, ns string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, k := range providerKinds() {
		out = append(out, r.List(k, ns, nil)...)
	}
	return out
}

func listProviders(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceParam(c, "")
		if err != nil {
			return err
		}
		rep := d.syncReport(c)
		items := provider.ListFromObjects(namespaceObjects(d.readSynced(c, rep), ns))
		return c.JSON(syncedProviderList{Items: withProviderSync(rep, items...)})
	}
}

func getProvider(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, name, err := namedTarget(c)
		if err != nil {
			return err
		}
		rep := d.syncReport(c)
		// In GitOps mode the reader also holds what Git has and the cluster
		// does not have yet (pending creation); decided with the verb get,
		// as the route checked.
		p, err := liveProvider(asGet(d.readSynced(c, rep)), ns, name)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderETag, `"`+p.ResourceVersion+`"`)
		return c.JSON(withProviderSync(rep, p)[0])
	}
}

// liveProvider is the provider view of the cached objects, or 404.
func liveProvider(r Reader, ns, name string) (provider.Provider, error) {
	p, err := provider.FromObjects(name, namespaceObjects(r, ns))
	if errors.Is(err, provider.ErrNotFound) {
		return p, newProblem(fiber.StatusNotFound, "NotFound", fmt.Sprintf("provider %s not found in namespace %s", quote(name), quote(ns)))
	}
	return p, err
}

func createProvider(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, err := namespaceParam(c, "default")
		if err != nil {
			return err
		}
		var spec provider.Spec
		if err := decodeJSON(c, &spec); err != nil {
			return err
		}
		spec, err = validProvider(ns, spec, nil)
		if err != nil {
			return err
		}
		if err := providerNameFree(d.reader, ns, spec.Name); err != nil {
			return err
		}
		rendered, err := provider.Render(ns, spec)
		if err != nil {
			return err
		}
		res, err := d.commit(c, change{Operation: "create", Kind: "provider", Namespace: ns, Apply: rendered.Objects,
			Summary: fmt.Sprintf("create provider %s/%s", ns, spec.Name)})
		if err != nil {
			return err
		}
		view, err := provider.FromObjects(spec.Name, rendered.Objects)
		if err != nil {
			return err
		}
		status := fiber.StatusCreated
		if res.DryRun {
			status = fiber.StatusOK
		}
		return c.Status(status).JSON(providerWriteResponse{Provider: &view, writeResult: res})
	}
}

func updateProvider(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, name, err := namedTarget(c)
		if err != nil {
			return err
		}
		var spec provider.Spec
		if err := decodeJSON(c, &spec); err != nil {
			return err
		}
		if spec.Name != "" && spec.Name != name {
			return invalid("provider", field.ErrorList{field.Invalid(field.NewPath("name"), spec.Name, "must match the URL's name "+quote(name))})
		}
		spec.Name = name
		live, err := liveProvider(d.reader, ns, name)
		if err != nil {
			return err
		}
		if err := checkETag(c, "Provider", ns, live.ResourceVersion); err != nil {
			return err
		}
		spec, err = validProvider(ns, spec, live.CanKeepSecret)
		if err != nil {
			return err
		}
		rendered, err := provider.Render(ns, spec)
		if err != nil {
			return err
		}
		liveObjs := providerObjects(d.reader, ns, name)
		ch := change{Operation: "update", Kind: "provider", Namespace: ns, Apply: rendered.Objects, Live: liveObjs,
			Delete:  leftovers(liveObjs, rendered.Objects, keepSecret(spec, rendered)),
			Summary: fmt.Sprintf("update provider %s/%s", ns, name)}
		ch.Preconditions = objectPreconditions(c, liveObjs)
		res, err := d.commit(c, ch)
		if err != nil {
			return err
		}
		// A kept Secret is not rendered; show the live one in the answer.
		shown := rendered.Objects
		if keep := keepSecret(spec, rendered); keep != "" {
			for _, o := range liveObjs {
				if o.GetKind() == "Secret" && o.GetName() == keep {
					shown = append(shown, o)
				}
			}
		}
		view, err := provider.FromObjects(name, shown)
		if err != nil {
			return err
		}
		return c.JSON(providerWriteResponse{Provider: &view, writeResult: res})
	}
}

func deleteProvider(d *deps) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ns, name, err := namedTarget(c)
		if err != nil {
			return err
		}
		live, err := liveProvider(d.reader, ns, name)
		if err != nil {
			return err
		}
		if err := checkETag(c, "Provider", ns, live.ResourceVersion); err != nil {
			return err
		}
		liveObjs := providerObjects(d.reader, ns, name)
		ch := change{Operation: "delete", Kind: "provider", Namespace: ns, Live: liveObjs,
			Delete: leftovers(liveObjs, nil, ""), Summary: fmt.Sprintf("delete provider %s/%s", ns, name)}
		ch.Preconditions = objectPreconditions(c, liveObjs)
		res, err := d.commit(c, ch)
		if err != nil {
			return err
		}
		return c.JSON(providerWriteResponse{Provider: &live, writeResult: res})
	}
}

// validProvider expands the template and runs the Go validation. On an
// update, keep (Provider.CanKeepSecret of the live provider) decides
// Spec.KeepSecret for the auth type after expansion, since a template fills
// in the type when the request leaves it out.
func validProvider(ns string, spec provider.Spec, keep func(provider.AuthType) bool) (provider.Spec, error) {
	spec, errs := provider.ExpandTemplate(spec)
	if len(errs) > 0 {
		return spec, invalid("provider", errs)
	}
	if keep != nil {
		spec.KeepSecret = keep(spec.Auth.Type)
	}
	if errs := provider.Validate(ns, spec); len(errs) > 0 {
		return spec, invalid("provider", errs)
	}
	return spec, nil
}

// providerNameFree refuses a create whose objects would take over objects
// that exist already (the provider's own, or ones made by hand).
func providerNameFree(r Reader, ns, name string) error {
	if _, err := provider.FromObjects(name, namespaceObjects(r, ns)); err == nil {
		return newProblem(fiber.StatusConflict, "AlreadyExists", fmt.Sprintf("provider %s already exists in namespace %s; use PUT to change it", quote(name), quote(ns)))
	}
	taken := []struct {
		k    cluster.Kind
		name string
	}{{cluster.AIServiceBackend, name}, {cluster.Backend, name}, {cluster.BackendSecurityPolicy, name}, {cluster.BackendTLSPolicy, name}, {cluster.Secret, provider.SecretName(name)}}
	for _, t := range taken {
		if _, err := r.Get(t.k, ns, t.name); err == nil {
			return newProblem(fiber.StatusConflict, "AlreadyExists",
				fmt.Sprintf("%s %s/%s exists and is not managed by the console; choose another provider name", t.k.GVK.Kind, ns, t.name),
				Cause{Field: "name", Message: "taken by " + t.k.GVK.Kind + " " + t.name, Reason: "FieldValueDuplicate"})
		}
	}
	// One BackendSecurityPolicy per AIServiceBackend: refuse when another
	// policy already targets the AIServiceBackend this provider creates.
	for _, bsp := range r.List(cluster.BackendSecurityPolicy, ns, nil) {
		refs, _, _ := unstructured.NestedSlice(bsp.Object, "spec", "targetRefs")
		for _, ref := range refs {
			m, _ := ref.(map[string]any)
			if m["kind"] == cluster.AIServiceBackend.GVK.Kind && m["name"] == name {
				return newProblem(fiber.StatusConflict, "AlreadyExists",
					fmt.Sprintf("BackendSecurityPolicy %s/%s already targets AIServiceBackend %s; an AIServiceBackend takes one policy", ns, bsp.GetName(), name),
					Cause{Field: "name", Message: "AIServiceBackend " + name + " already has a BackendSecurityPolicy", Reason: "FieldValueDuplicate"})
			}
		}
	}
	return nil
}

// keepSecret names the managed Secret an update keeps without rendering
// (none when the request carries a new credential).
func keepSecret(spec provider.Spec, r provider.Rendered) string {
	if spec.KeepSecret && !r.ManagedSecret {
		return r.SecretName
	}
	return ""
}

// leftovers are the live objects the desired set no longer has (an update
// that drops TLS deletes the BackendTLSPolicy), except the kept Secret.
func leftovers(live, desired []*unstructured.Unstructured, keep string) []sink.Ref {
	want := map[string]bool{}
	for _, o := range desired {
		want[o.GetKind()+"/"+o.GetName()] = true
	}
	var out []sink.Ref
	for _, o := range live {
		if want[o.GetKind()+"/"+o.GetName()] || (o.GetKind() == "Secret" && o.GetName() == keep) {
			continue
		}
		ref := sink.RefOf(o)
		if k, ok := cluster.KindOf(ref.GVK.GroupKind()); ok {
			ref.GVK = k.GVK
		}
		out = append(out, ref)
	}
	return out
}

// checkETag compares If-Match with the current ETag from the cache.
func checkETag(c *fiber.Ctx, kind, ns, current string) error {
	if want := ifMatch(c); want != "" && want != current {
		ref := sink.Ref{GVK: schema.GroupVersionKind{Kind: kind}, Namespace: ns, Name: c.Params("name")}
		return &sink.PreconditionError{Object: ref, Want: want, Have: current}
	}
	return nil
}

// objectPreconditions pins every live object to the resourceVersion the
// cache saw when If-Match is given, so the sink refuses the change if any
// of them moved on in the meantime.
func objectPreconditions(c *fiber.Ctx, live []*unstructured.Unstructured) []sink.Precondition {
	if ifMatch(c) == "" {
		return nil
	}
	out := make([]sink.Precondition, 0, len(live))
	for _, o := range live {
		ref := sink.RefOf(o)
		if k, ok := cluster.KindOf(ref.GVK.GroupKind()); ok {
			ref.GVK = k.GVK
		}
		out = append(out, sink.Precondition{Ref: ref, ResourceVersion: o.GetResourceVersion()})
	}
	return out
}

// namedTarget reads ?namespace= (default "default") and {name}.
func namedTarget(c *fiber.Ctx) (string, string, error) {
	ns, err := namespaceParam(c, "default")
	if err != nil {
		return "", "", err
	}
	name, err := nameParam(c)
	return ns, name, err
}
