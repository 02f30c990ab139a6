// Package direct is the Sink that server-side-applies changes straight to
// the cluster with github.com/fluxcd/pkg/ssa.
//
// # Order of work
//
// Apply first checks the If-Match preconditions, then server-side
// dry-runs every object *without* forcing ownership: that one request per
// object catches the CRD schema, CEL rules and admission, and reports
// fields another field manager owns (a ConflictError) unless the change set
// is forced. A dry-run change set stops there and returns, per object, the
// action and the JSON Patch against the live object. Otherwise the objects
// are applied with ssa.ResourceManager.ApplyAll (which skips unchanged
// objects so their resourceVersion does not move) and the deletes run last.
package direct

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/fluxcd/cli-utils/pkg/kstatus/polling"
	"github.com/fluxcd/pkg/ssa"
	ssajsondiff "github.com/fluxcd/pkg/ssa/jsondiff"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
)

// FieldManager is the server-side apply field manager of the console.
const FieldManager = "aigw-console"

// Options configure New.
type Options struct {
	// FieldManager names the console's field manager. Default: FieldManager.
	FieldManager string
	// Timeout bounds one Apply. Default: 30s.
	Timeout time.Duration
}

// Sink applies change sets to the cluster.
type Sink struct {
	client  client.Client
	manager *ssa.ResourceManager
	owner   string
	timeout time.Duration
}

var _ sink.Sink = (*Sink)(nil)

// New returns a direct Sink that talks to the API server behind cfg.
func New(cfg *rest.Config, opts Options) (*Sink, error) {
	if opts.FieldManager == "" {
		opts.FieldManager = FieldManager
	}
	if opts.Timeout == 0 {
		opts.Timeout = 30 * time.Second
	}
	c, err := client.New(cfg, client.Options{Scheme: cluster.NewScheme()})
	if err != nil {
		return nil, fmt.Errorf("kubernetes client: %w", err)
	}
	poller := polling.NewStatusPoller(c, c.RESTMapper(), polling.Options{})
	m := ssa.NewResourceManager(c, poller, ssa.Owner{Field: opts.FieldManager, Group: "aigw-console.io"})
	return &Sink{client: c, manager: m, owner: opts.FieldManager, timeout: opts.Timeout}, nil
}

// Apply implements sink.Sink.
func (s *Sink) Apply(ctx context.Context, cs sink.ChangeSet) (sink.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	if err := s.checkPreconditions(ctx, cs.Preconditions); err != nil {
		return sink.Result{}, err
	}
	for _, obj := range cs.Apply {
		if err := s.dryRun(ctx, obj, cs.Force); err != nil {
			return sink.Result{}, err
		}
	}
	if cs.DryRun {
		return s.diff(ctx, cs)
	}
	res := sink.Result{}
	if len(cs.Apply) > 0 {
		objs := make([]*unstructured.Unstructured, len(cs.Apply))
		for i, o := range cs.Apply {
			objs[i] = o.DeepCopy()
		}
		changes, err := s.manager.ApplyAll(ctx, objs, ssa.DefaultApplyOptions())
		if err != nil {
			return sink.Result{}, classify(sink.Ref{}, err)
		}
		byRef := map[string]ssa.Action{}
		for _, e := range changes.Entries {
			byRef[e.ObjMetadata.GroupKind.Kind+"/"+e.ObjMetadata.Namespace+"/"+e.ObjMetadata.Name] = e.Action
		}
		for _, o := range cs.Apply {
			ref := sink.RefOf(o)
			res.Entries = append(res.Entries, sink.NewEntry(ref, actionOf(byRef[ref.GVK.Kind+"/"+ref.Namespace+"/"+ref.Name])))
		}
		s.resourceVersions(ctx, res.Entries)
	}
	for _, ref := range cs.Delete {
		deleted, err := s.delete(ctx, ref, preconditionFor(cs.Preconditions, ref))
		if err != nil {
			return res, err
		}
		if deleted {
			res.Entries = append(res.Entries, sink.NewEntry(ref, sink.Deleted))
		}
	}
	return res, nil
}

// dryRun server-side applies obj with dryRun=All. Without force, a field
// owned by another manager is a ConflictError.
func (s *Sink) dryRun(ctx context.Context, obj *unstructured.Unstructured, force bool) error {
	opts := []client.PatchOption{client.DryRunAll, client.FieldOwner(s.owner)}
	if force {
		opts = append(opts, client.ForceOwnership)
	}
	//nolint:staticcheck // controller-runtime's unstructured apply path; ssa uses the same call.
	err := s.client.Patch(ctx, obj.DeepCopy(), client.Apply, opts...)
	if err != nil {
		return classify(sink.RefOf(obj), err)
	}
	return nil
}

// diff answers a dry-run change set: what would happen to every object.
func (s *Sink) diff(ctx context.Context, cs sink.ChangeSet) (sink.Result, error) {
	res := sink.Result{DryRun: true}
	for _, obj := range cs.Apply {
		ref := sink.RefOf(obj)
		d, err := ssajsondiff.Unstructured(ctx, s.client, obj.DeepCopy(),
			ssajsondiff.FieldOwner(s.owner), ssajsondiff.MaskSecrets(true), ssajsondiff.Rationalize(true))
		if err != nil {
			return sink.Result{}, classify(ref, err)
		}
		e := sink.NewEntry(ref, sink.Unchanged)
		switch d.Type {
		case ssajsondiff.DiffTypeCreate:
			e.Action = sink.Created
		case ssajsondiff.DiffTypeUpdate:
			e.Action = sink.Configured
			for _, op := range d.Patch {
				e.Changes = append(e.Changes, sink.Change{Op: op.Type, Path: op.Path, Value: op.Value})
			}
		}
		res.Entries = append(res.Entries, e)
	}
	for _, ref := range cs.Delete {
		live := &unstructured.Unstructured{}
		live.SetGroupVersionKind(ref.GVK)
		err := s.client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, live)
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return sink.Result{}, classify(ref, err)
		}
		res.Entries = append(res.Entries, sink.NewEntry(ref, sink.Deleted))
	}
	return res, nil
}

// checkPreconditions compares each object's live resourceVersion (read
// from the API server, not the cache) with the If-Match value.
func (s *Sink) checkPreconditions(ctx context.Context, pcs []sink.Precondition) error {
	for _, pc := range pcs {
		live := &metav1.PartialObjectMetadata{}
		live.SetGroupVersionKind(pc.Ref.GVK)
		err := s.client.Get(ctx, client.ObjectKey{Namespace: pc.Ref.Namespace, Name: pc.Ref.Name}, live)
		if apierrors.IsNotFound(err) {
			return &sink.PreconditionError{Object: pc.Ref, Want: pc.ResourceVersion}
		}
		if err != nil {
			return classify(pc.Ref, err)
		}
		if live.ResourceVersion != pc.ResourceVersion {
			return &sink.PreconditionError{Object: pc.Ref, Want: pc.ResourceVersion, Have: live.ResourceVersion}
		}
	}
	return nil
}

// delete removes one object; a missing object is not an error. A
// precondition makes the API server refuse the delete if the object moved
// on since the client read it.
func (s *Sink) delete(ctx context.Context, ref sink.Ref, rv string) (bool, error) {
	obj := &unstructured.Unstructured{}
	obj.SetGroupVersionKind(ref.GVK)
	obj.SetNamespace(ref.Namespace)
	obj.SetName(ref.Name)
	opts := []client.DeleteOption{client.PropagationPolicy(metav1.DeletePropagationBackground)}
	if rv != "" {
		opts = append(opts, client.Preconditions{ResourceVersion: &rv})
	}
	err := s.client.Delete(ctx, obj, opts...)
	switch {
	case apierrors.IsNotFound(err):
		return false, nil
	case apierrors.IsConflict(err) && rv != "":
		return false, &sink.PreconditionError{Object: ref, Want: rv, Have: "changed"}
	case err != nil:
		return false, classify(ref, err)
	}
	return true, nil
}

func preconditionFor(pcs []sink.Precondition, ref sink.Ref) string {
	for _, pc := range pcs {
		if pc.Ref == ref {
			return pc.ResourceVersion
		}
	}
	return ""
}

func actionOf(a ssa.Action) sink.Action {
	switch a {
	case ssa.CreatedAction:
		return sink.Created
	case ssa.ConfiguredAction:
		return sink.Configured
	case ssa.DeletedAction:
		return sink.Deleted
	default:
		return sink.Unchanged
	}
}

// conflictMessage matches the API server's conflict cause message, e.g.
// `conflict with "kubectl" using aigateway.envoyproxy.io/v1beta1`.
var conflictMessage = regexp.MustCompile(`conflict with "([^"]+)"`)

// classify turns an API server error into the sink's typed errors: SSA
// field conflicts, and rejections (invalid, forbidden by admission) of one
// object. Anything else is returned wrapped with the object's name.
func classify(ref sink.Ref, err error) error {
	var dre *ssaDryRunErr
	if errors.As(err, &dre) {
		err = dre.Unwrap()
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) {
		if ref.Name == "" {
			return err
		}
		return fmt.Errorf("%s: %w", ref, err)
	}
	st := status.Status()
	if apierrors.IsConflict(err) && st.Details != nil && len(st.Details.Causes) > 0 {
		ce := &sink.ConflictError{Object: ref, Err: err}
		for _, c := range st.Details.Causes {
			if c.Type != metav1.CauseTypeFieldManagerConflict {
				continue
			}
			fc := sink.FieldConflict{Field: c.Field}
			if m := conflictMessage.FindStringSubmatch(c.Message); m != nil {
				fc.Manager = m[1]
			}
			ce.Conflicts = append(ce.Conflicts, fc)
		}
		if len(ce.Conflicts) > 0 {
			sort.Slice(ce.Conflicts, func(i, j int) bool { return ce.Conflicts[i].Field < ce.Conflicts[j].Field })
			return ce
		}
	}
	if apierrors.IsInvalid(err) || apierrors.IsBadRequest(err) || (apierrors.IsForbidden(err) && st.Details != nil && len(st.Details.Causes) > 0) {
		return &sink.InvalidError{Object: ref, Err: err}
	}
	return err
}
