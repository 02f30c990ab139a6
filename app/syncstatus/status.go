package syncstatus

import (
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/cluster"
)

// State is where an object stands between Git and the cluster.
type State string

// The states.
const (
	Pending State = "Pending"
	Synced  State = "Synced"
	Drifted State = "Drifted"
)

// rank orders states from best to worst, for summaries.
func (s State) rank() int {
	switch s {
	case Synced:
		return 0
	case Pending:
		return 1
	}
	return 2
}

// Operation is what the applier has to do to bring the cluster to Git.
type Operation string

// The operations.
const (
	Create Operation = "create"
	Update Operation = "update"
	Delete Operation = "delete"
)

// Object is the sync status of one object.
type Object struct {
	// Kind and APIVersion of the object.
	Kind       string `json:"kind"`
	APIVersion string `json:"apiVersion"`
	// Resource is the plural resource name (/api/v1/resources/{resource}).
	Resource string `json:"resource"`
	// Namespace and Name of the object.
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	// Path is the object's file in the repository.
	Path string `json:"path"`
	// State is Pending, Synced or Drifted.
	State State `json:"state"`
	// Operation is what is pending or drifted: create (the object is not
	// live), update, or delete (its file was removed); empty when Synced.
	Operation Operation `json:"operation,omitempty"`
	// DesiredCommit is the last first-parent commit of the branch that
	// changed the object's file (for a delete: removed it); empty when the
	// history walk did not reach it (Truncated).
	DesiredCommit string `json:"desiredCommit,omitempty"`
	// CommittedAt is that commit's time.
	CommittedAt *time.Time `json:"committedAt,omitempty"`
	// Fields are the field paths where the live object differs from Git
	// (update), sorted.
	Fields []string `json:"fields,omitempty"`
	// Truncated reports that the file's last change is older than the
	// walked history.
	Truncated bool `json:"truncated,omitempty"`
	// LiveResourceVersion is the live object's resourceVersion ("" when it
	// is not live).
	LiveResourceVersion string `json:"liveResourceVersion,omitempty"`
}

// key identifies an object across reports.
func (o Object) key() objectKey {
	return objectKey{resource: o.Resource, namespace: o.Namespace, name: o.Name}
}

type objectKey struct{ resource, namespace, name string }

// Applier is what the report knows about the applier.
type Applier struct {
	// Type is "FluxKustomization" or "GracePeriod".
	Type string `json:"type"`
	// Namespace and Name of the Kustomization.
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name,omitempty"`
	// LastAppliedRevision is the Kustomization's status.lastAppliedRevision
	// as Flux writes it (e.g. "main@sha1:<SHA>").
	LastAppliedRevision string `json:"lastAppliedRevision,omitempty"`
	// LastAppliedCommit is the commit SHA in it.
	LastAppliedCommit string `json:"lastAppliedCommit,omitempty"`
	// Error says why the Kustomization could not be read; objects are then
	// decided as with a grace period.
	Error string `json:"error,omitempty"`
	// GraceSeconds is the grace period of a change before it counts as
	// drift when no applier revision is known.
	GraceSeconds float64 `json:"graceSeconds"`
}

// Counts sums up a report.
type Counts struct {
	Pending int `json:"pending"`
	Synced  int `json:"synced"`
	Drifted int `json:"drifted"`
}

// Report is the sync status of every object under the GitOps root (GET
// /api/v1/sync).
type Report struct {
	// Branch and Path are the configured branch and root folder.
	Branch string `json:"branch"`
	Path   string `json:"path"`
	// Head is the branch head the report was made at ("" before the first
	// commit).
	Head string `json:"head"`
	// Applier says how "applied" was decided.
	Applier Applier `json:"applier"`
	// Truncated reports that the history walk stopped at its depth.
	Truncated bool `json:"truncated"`
	// ComputedAt is when the report was made.
	ComputedAt time.Time `json:"computedAt"`
	// Counts per state.
	Counts Counts `json:"counts"`
	// Objects are sorted by resource, namespace and name.
	Objects []Object `json:"objects"`

	byKey   map[objectKey]int
	desired map[objectKey]*unstructured.Unstructured // objects pending creation
}

// Lookup returns the status of one object.
func (r *Report) Lookup(k cluster.Kind, namespace, name string) (Object, bool) {
	if r == nil {
		return Object{}, false
	}
	i, ok := r.byKey[objectKey{resource: k.Name, namespace: namespace, name: name}]
	if !ok {
		return Object{}, false
	}
	return r.Objects[i], true
}

// PendingCreations returns the desired objects of kind k in namespace ns
// ("" = all) that are in Git but not live (operation create), as Git holds
// them with Secrets reduced to key names (cluster.SecretKeysField, empty
// fingerprints): what a list adds to the live objects.
func (r *Report) PendingCreations(k cluster.Kind, ns string) []*unstructured.Unstructured {
	if r == nil {
		return nil
	}
	var out []*unstructured.Unstructured
	for _, o := range r.Objects {
		if o.Resource != k.Name || (ns != "" && o.Namespace != ns) || o.Operation != Create {
			continue
		}
		if u := r.desired[o.key()]; u != nil {
			out = append(out, u.DeepCopy())
		}
	}
	return out
}

// Summary is the sync status of a view made of several objects (a
// provider): the worst state among them, and each object's status.
type Summary struct {
	// State is the worst state of the objects (Drifted, then Pending).
	State State `json:"state"`
	// DesiredCommit is the newest desired commit among the objects.
	DesiredCommit string `json:"desiredCommit,omitempty"`
	// Objects are the objects' statuses.
	Objects []Object `json:"objects"`
}

// Summarize sums up objects (nil when none is tracked).
func Summarize(objs []Object) *Summary {
	if len(objs) == 0 {
		return nil
	}
	s := &Summary{State: Synced, Objects: objs}
	var newest time.Time
	for _, o := range objs {
		if o.State.rank() > s.State.rank() {
			s.State = o.State
		}
		if o.CommittedAt != nil && (s.DesiredCommit == "" || o.CommittedAt.After(newest)) {
			s.DesiredCommit, newest = o.DesiredCommit, *o.CommittedAt
		}
	}
	return s
}
