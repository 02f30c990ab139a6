// Package sink defines where validated changes go. The direct sink
// (package sink/direct) server-side-applies them to the cluster; the GitOps
// sink commits them to a Git repository. Handlers see only the Sink
// interface, so both modes run the same pipeline.
package sink

import (
	"context"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Sink applies a ChangeSet.
type Sink interface {
	// Apply validates every object with a server-side dry-run, then (unless
	// cs.DryRun) applies the objects and deletes cs.Delete. It returns what
	// happened (or would happen) to each object.
	Apply(ctx context.Context, cs ChangeSet) (Result, error)
}

// Ref names one object.
type Ref struct {
	GVK       schema.GroupVersionKind `json:"-"`
	Namespace string                  `json:"namespace,omitempty"`
	Name      string                  `json:"name"`
}

// String is "Kind/namespace/name".
func (r Ref) String() string {
	if r.Namespace == "" {
		return r.GVK.Kind + "/" + r.Name
	}
	return r.GVK.Kind + "/" + r.Namespace + "/" + r.Name
}

// RefOf returns the Ref of an object.
func RefOf(u *unstructured.Unstructured) Ref {
	return Ref{GVK: u.GroupVersionKind(), Namespace: u.GetNamespace(), Name: u.GetName()}
}

// Precondition requires an object to be at a resourceVersion (If-Match).
type Precondition struct {
	Ref             Ref
	ResourceVersion string
}

// ChangeSet is one logical change: the full desired state of some objects
// and the objects to remove.
type ChangeSet struct {
	// Apply holds the desired objects, each a complete intent for the
	// fields the console owns (server-side apply semantics).
	Apply []*unstructured.Unstructured
	// Delete names objects to remove.
	Delete []Ref
	// DryRun asks for the result without changing anything.
	DryRun bool
	// Force takes ownership of fields another field manager owns instead of
	// failing with a ConflictError.
	Force bool
	// Preconditions must hold before anything changes (PreconditionError).
	Preconditions []Precondition
	// Summary describes the change for people (commit messages, audit).
	Summary string
	// Policy is the outcome of the policy checks the change passed, for
	// commit messages and pull requests (e.g. "passed, 1 warning").
	Policy string
	// Flow asks a GitOps sink for a flow for this one change ("push" or
	// "pull-request", from ?flow=); empty: the configured flow. The direct
	// sink ignores it.
	Flow string
}

// Action is what happened to one object.
type Action string

// The actions.
const (
	Created    Action = "created"
	Configured Action = "configured"
	Unchanged  Action = "unchanged"
	Deleted    Action = "deleted"
)

// Entry is the outcome for one object.
type Entry struct {
	Ref
	// Kind and APIVersion of the object (Ref's GVK, spelled out for JSON).
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	// Action is what happened, or would happen on a dry run.
	Action Action `json:"action"`
	// ResourceVersion after the change (empty on a dry run or delete).
	ResourceVersion string `json:"resourceVersion,omitempty"`
	// Changes are the JSON Patch operations (RFC 6902) that turn the live
	// object into the desired one, with Secret values masked. Set on dry
	// runs of objects that exist.
	Changes []Change `json:"changes,omitempty"`
}

// Change is one JSON Patch operation of a dry-run diff.
type Change struct {
	Op    string `json:"op"`
	Path  string `json:"path"`
	Value any    `json:"value,omitempty"`
}

// NewEntry returns an Entry for ref with its kind spelled out.
func NewEntry(ref Ref, action Action) Entry {
	return Entry{Ref: ref, Kind: ref.GVK.Kind, APIVersion: ref.GVK.GroupVersion().String(), Action: action}
}

// Result is the outcome of a ChangeSet.
type Result struct {
	// DryRun reports that nothing was changed.
	DryRun bool `json:"dryRun"`
	// Entries lists each object's outcome in apply order, deletes last.
	Entries []Entry `json:"entries"`
	// GitOps says where a GitOps sink put the change; nil in direct mode,
	// on dry runs and when nothing changed.
	GitOps *GitOps `json:"gitops,omitempty"`
}

// GitOps is where a committed change went.
type GitOps struct {
	// Commit is the SHA of the commit that holds the change.
	Commit string `json:"commit"`
	// Branch is the branch the commit was pushed to: the target branch, or
	// the change's own branch in the pull-request flow.
	Branch string `json:"branch"`
	// PullRequest is the pull request opened for the branch, if any.
	PullRequest *PullRequest `json:"pullRequest,omitempty"`
}

// PullRequest is a pull (or merge) request opened on a forge.
type PullRequest struct {
	Number int64  `json:"number"`
	URL    string `json:"url"`
}

// ConflictError reports fields that another field manager owns.
type ConflictError struct {
	// Object is the object whose apply conflicted.
	Object Ref
	// Conflicts lists each conflicting field and its manager.
	Conflicts []FieldConflict
	Err       error
}

// FieldConflict is one field owned by another manager.
type FieldConflict struct {
	Field   string `json:"field"`
	Manager string `json:"manager"`
}

func (e *ConflictError) Error() string {
	parts := make([]string, 0, len(e.Conflicts))
	for _, c := range e.Conflicts {
		parts = append(parts, fmt.Sprintf("%s (owned by %q)", c.Field, c.Manager))
	}
	return fmt.Sprintf("%s apply conflict: %s; retry with ?force=true to take ownership", e.Object, strings.Join(parts, ", "))
}

// Unwrap returns the API server's error.
func (e *ConflictError) Unwrap() error { return e.Err }

// PreconditionError reports that an object changed since the client read it.
type PreconditionError struct {
	Object     Ref
	Want, Have string
}

func (e *PreconditionError) Error() string {
	if e.Have == "" {
		return fmt.Sprintf("%s precondition failed: the object does not exist (If-Match %q)", e.Object, e.Want)
	}
	return fmt.Sprintf("%s precondition failed: resourceVersion is %q, If-Match wanted %q", e.Object, e.Have, e.Want)
}

// InvalidError reports that the API server rejected an object in the
// server-side dry-run (CRD schema, CEL rules, admission).
type InvalidError struct {
	Object Ref
	Err    error
}

func (e *InvalidError) Error() string {
	return fmt.Sprintf("%s rejected by the API server: %v", e.Object, e.Err)
}

// Unwrap returns the API server's error, which carries the field causes.
func (e *InvalidError) Unwrap() error { return e.Err }
