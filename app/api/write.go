package api

import (
	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/policy"
)

// change is one validated write on its way to the sink.
type change struct {
	// Operation is create, update or delete (the policy input's operation).
	Operation string
	// Kind is provider, route or resource (the policy input's kind).
	Kind      string
	Namespace string
	// Apply and Delete are the objects to apply and remove.
	Apply  []*unstructured.Unstructured
	Delete []sink.Ref
	// Live are the related live objects, for the policies.
	Live []*unstructured.Unstructured
	// Preconditions come from If-Match.
	Preconditions []sink.Precondition
	Summary       string
}

// writeResult is the part of every write answer that says what happened.
type writeResult struct {
	// DryRun is true when nothing was changed.
	DryRun bool `json:"dryRun"`
	// Changes lists each object's outcome (and, on a dry run, its diff).
	Changes []sink.Entry `json:"changes"`
	// Warnings are policy warnings that did not block the change.
	Warnings []policy.Violation `json:"warnings"`
	// PolicyRevision identifies the policy set that decided.
	PolicyRevision string `json:"policyRevision,omitempty"`
	// Objects are the rendered objects (Secrets redacted), on dry runs.
	Objects []map[string]any `json:"objects,omitempty"`
	// GitOps says where the change was committed (GitOps mode only).
	GitOps *sink.GitOps `json:"gitops,omitempty"`
}

// commit runs the shared tail of every write: Rego policies, then the sink
// (which server-side dry-runs every object before it applies anything).
func (d *deps) commit(c *fiber.Ctx, ch change) (writeResult, error) {
	dryRun, err := boolQuery(c, "dryRun")
	if err != nil {
		return writeResult{}, err
	}
	force, err := boolQuery(c, "force")
	if err != nil {
		return writeResult{}, err
	}
	if err := d.authorizeChange(c, ch); err != nil {
		return writeResult{}, err
	}
	ctx := c.UserContext()
	in := policy.Input{
		Operation: ch.Operation,
		Kind:      ch.Kind,
		Namespace: ch.Namespace,
		Objects:   objectMaps(ch.Apply),
		Live:      objectMaps(ch.Live),
		DryRun:    dryRun,
		User:      policyUser(ctx),
	}
	if ch.Operation == "delete" {
		in.Objects = objectMaps(ch.Live)
	}
	dec, err := d.policy.Evaluate(ctx, in)
	if err != nil {
		return writeResult{}, err
	}
	if err := dec.Err(); err != nil {
		return writeResult{}, err
	}
	res, err := d.sink.Apply(ctx, sink.ChangeSet{
		Apply:         ch.Apply,
		Delete:        ch.Delete,
		DryRun:        dryRun,
		Force:         force,
		Preconditions: ch.Preconditions,
		Summary:       ch.Summary,
	})
	if err != nil {
		return writeResult{}, err
	}
	out := writeResult{DryRun: res.DryRun, Changes: res.Entries, Warnings: dec.Warn, PolicyRevision: dec.Revision, GitOps: res.GitOps}
	if out.Changes == nil {
		out.Changes = []sink.Entry{}
	}
	if out.Warnings == nil {
		out.Warnings = []policy.Violation{}
	}
	if dryRun {
		out.Objects = objectMaps(ch.Apply)
	}
	return out, nil
}

// objectMaps returns the objects' content for JSON answers and policy
// input, with every Secret value replaced by "<redacted>".
func objectMaps(objs []*unstructured.Unstructured) []map[string]any {
	out := make([]map[string]any, 0, len(objs))
	for _, o := range objs {
		out = append(out, redact(o).Object)
	}
	return out
}

// redact returns obj, or for a Secret a copy without its values.
func redact(obj *unstructured.Unstructured) *unstructured.Unstructured {
	if obj.GetKind() != "Secret" || obj.GroupVersionKind().Group != "" {
		return obj
	}
	cp := obj.DeepCopy()
	// The cache holds Secrets reduced to key names and fingerprints
	// (cluster.SecretKeysField); give them back the data keys of a real
	// Secret, so policies can check which keys a live Secret has.
	if keys, ok := cp.Object[cluster.SecretKeysField].(map[string]any); ok {
		if _, hasData := cp.Object["data"]; !hasData {
			data := make(map[string]any, len(keys))
			for k := range keys {
				data[k] = ""
			}
			cp.Object["data"] = data
		}
		delete(cp.Object, cluster.SecretKeysField)
	}
	for _, f := range []string{"data", "stringData"} {
		m, ok, _ := unstructured.NestedMap(cp.Object, f)
		if !ok {
			continue
		}
		for k := range m {
			m[k] = "<redacted>"
		}
		_ = unstructured.SetNestedMap(cp.Object, m, f)
	}
	ann := cp.GetAnnotations()
	if _, ok := ann["kubectl.kubernetes.io/last-applied-configuration"]; ok {
		delete(ann, "kubectl.kubernetes.io/last-applied-configuration")
		cp.SetAnnotations(ann)
	}
	return cp
}
