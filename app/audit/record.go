package audit

import (
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/policy"
)

// Record is one audit record: who asked for what, what the policies said
// and what happened. One JSON line per mutating request.
type Record struct {
	// Time is when the request arrived.
	Time time.Time `json:"time"`
	// RequestID is the X-Request-Id of the request (generated when the
	// client sent none; echoed in the answer).
	RequestID string `json:"requestID"`
	// User and Groups are the authenticated caller; empty when the request
	// was refused before authentication or authentication is off.
	User   string   `json:"user,omitempty"`
	Groups []string `json:"groups,omitempty"`
	// SourceIP is the client's address.
	SourceIP string `json:"sourceIP"`
	// Method and Path are the HTTP request line (the path without query).
	Method string `json:"method"`
	Path   string `json:"path"`
	// Operation is create, update or delete; Kind is provider, route or
	// resource (the policy input's terms).
	Operation string `json:"operation,omitempty"`
	Kind      string `json:"kind,omitempty"`
	// Namespace and Name name the primary object of the request.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// Target is the Kubernetes object the record is about, which carries
	// its Event: a provider's AIServiceBackend, a route's AIGatewayRoute, a
	// raw resource itself. Absent when the request named no valid object.
	Target *Object `json:"target,omitempty"`
	// Objects lists each object the change touched (or would touch).
	Objects []Object `json:"objects,omitempty"`
	// Mode is the write mode, direct or gitops.
	Mode string `json:"mode"`
	// DryRun is true when the client asked for a dry run.
	DryRun bool `json:"dryRun"`
	// Decision is the Rego decision, when the policies were asked.
	Decision *Decision `json:"decision,omitempty"`
	// Result is the answer.
	Result Result `json:"result"`

	// resourceKind is the kind of a raw resource request's object.
	resourceKind Object
}

// Object is one object of a change.
type Object struct {
	APIVersion      string `json:"apiVersion,omitempty"`
	Kind            string `json:"kind"`
	Namespace       string `json:"namespace,omitempty"`
	Name            string `json:"name"`
	Action          string `json:"action,omitempty"`
	ResourceVersion string `json:"resourceVersion,omitempty"`
}

// Decision is the outcome of the Rego policies.
type Decision struct {
	Allowed bool `json:"allowed"`
	// Revision identifies the policy set that decided.
	Revision string `json:"revision,omitempty"`
	// Deny lists the violations that refused the request.
	Deny []policy.Violation `json:"deny,omitempty"`
	// Warnings counts the violations that did not block it.
	Warnings int `json:"warnings"`
}

// Result is the answer to the request.
type Result struct {
	// Status is the HTTP status.
	Status int `json:"status"`
	// Code is the problem code of an error answer (e.g. PolicyDenied).
	Code string `json:"code,omitempty"`
	// Error is the problem detail of an error answer.
	Error string `json:"error,omitempty"`
	// Commit, Branch and PullRequestURL say where a GitOps write went.
	Commit         string `json:"commit,omitempty"`
	Branch         string `json:"branch,omitempty"`
	PullRequestURL string `json:"pullRequestURL,omitempty"`
}

// Details is the part of a Record the write pipeline knows. The middleware
// opens one per audited request; From returns it. A nil *Details ignores
// every call, so the pipeline needs no check.
type Details struct {
	mu  sync.Mutex
	rec Record
}

const localsKey = "aigw-console.audit"

// From returns the Details of the request c, or nil when c is not audited.
func From(c *fiber.Ctx) *Details {
	d, _ := c.Locals(localsKey).(*Details)
	return d
}

// Change records a validated change before the policies decide: the
// operation, kind and namespace, whether it is a dry run, and the objects
// it would apply and delete.
func (d *Details) Change(operation, kind, namespace string, dryRun bool, apply []*unstructured.Unstructured, del []sink.Ref) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rec.Operation, d.rec.Kind, d.rec.DryRun = operation, kind, dryRun
	if namespace != "" {
		d.rec.Namespace = namespace
	}
	objs := make([]Object, 0, len(apply)+len(del))
	for _, u := range apply {
		objs = append(objs, Object{APIVersion: u.GetAPIVersion(), Kind: u.GetKind(), Namespace: u.GetNamespace(), Name: u.GetName(), Action: "apply"})
	}
	for _, r := range del {
		objs = append(objs, Object{APIVersion: r.GVK.GroupVersion().String(), Kind: r.GVK.Kind, Namespace: r.Namespace, Name: r.Name, Action: "delete"})
	}
	d.rec.Objects = objs
}

// Decision records the Rego decision.
func (d *Details) Decision(dec policy.Decision) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rec.Decision = &Decision{Allowed: dec.Allowed(), Revision: dec.Revision, Deny: dec.Deny, Warnings: len(dec.Warn)}
}

// SinkResult records what the sink did: each object's action and
// resourceVersion, and the commit and pull request of a GitOps write.
func (d *Details) SinkResult(res sink.Result) {
	if d == nil {
		return
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	objs := make([]Object, 0, len(res.Entries))
	for _, e := range res.Entries {
		objs = append(objs, Object{APIVersion: e.APIVersion, Kind: e.Kind, Namespace: e.Namespace, Name: e.Name,
			Action: string(e.Action), ResourceVersion: e.ResourceVersion})
	}
	d.rec.Objects = objs
	if g := res.GitOps; g != nil {
		d.rec.Result.Commit, d.rec.Result.Branch = g.Commit, g.Branch
		if g.PullRequest != nil {
			d.rec.Result.PullRequestURL = g.PullRequest.URL
		}
	}
}

// snapshot returns a copy of the record so far.
func (d *Details) snapshot() Record {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.rec
	r.Objects = append([]Object(nil), d.rec.Objects...)
	return r
}
