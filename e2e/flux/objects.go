package flux

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
)

// The resources of the Flux objects this package manages.
var (
	GitRepositoryResource = schema.GroupVersionResource{Group: "source.toolkit.fluxcd.io", Version: "v1", Resource: "gitrepositories"}
	KustomizationResource = schema.GroupVersionResource{Group: "kustomize.toolkit.fluxcd.io", Version: "v1", Resource: "kustomizations"}
	secretResource        = schema.GroupVersionResource{Version: "v1", Resource: "secrets"}
	namespaceResource     = schema.GroupVersionResource{Version: "v1", Resource: "namespaces"}
)

const (
	fieldManager = "aigw-console-e2e-flux"
	// ReconcileAnnotation asks a Flux object to reconcile now.
	ReconcileAnnotation = "reconcile.fluxcd.io/requestedAt"
	// AgeKeySecretKey is the key of the age identity in a decryption
	// Secret (kustomize-controller reads keys that end in .agekey).
	AgeKeySecretKey = "identity.agekey"
)

// Revision is the revision Flux reports for a commit of a branch:
// "<branch>@sha1:<sha>".
func Revision(branch, sha string) string { return branch + "@sha1:" + sha }

// GitRepository describes a source.toolkit.fluxcd.io/v1 GitRepository.
type GitRepository struct {
	// Name and Namespace of the object. Namespace default: flux-system.
	Name, Namespace string
	// URL of the repository (http:// to a loopback server is fine).
	URL string
	// Branch to follow. Default: main.
	Branch string
	// Username and Password, when Username is set, go into a Secret named
	// <Name>-auth that the GitRepository references (basic auth).
	Username, Password string
	// Interval between fetches. Default: 10s.
	Interval time.Duration
}

// Kustomization describes a kustomize.toolkit.fluxcd.io/v1 Kustomization
// of a GitRepository in the same namespace, with prune: true.
type Kustomization struct {
	// Name and Namespace of the object. Namespace default: flux-system.
	Name, Namespace string
	// Source is the GitRepository's name.
	Source string
	// Path in the repository, e.g. "./clusters/default".
	Path string
	// TargetNamespace, when set, overrides the objects' namespaces.
	TargetNamespace string
	// AgeIdentity, when set (AGE-SECRET-KEY-1...), goes into a Secret
	// <Name>-sops (key identity.agekey) and turns on SOPS decryption.
	AgeIdentity string
	// Interval between reconciliations. Default: 10s.
	Interval time.Duration
}

func dyn(cfg *rest.Config) (dynamic.Interface, error) { return dynamic.NewForConfig(cfg) }

// apply server-side-applies one object.
func apply(ctx context.Context, d dynamic.Interface, gvr schema.GroupVersionResource, obj map[string]any) error {
	u := &unstructured.Unstructured{Object: obj}
	body, err := json.Marshal(obj)
	if err != nil {
		return err
	}
	force := true
	var ri dynamic.ResourceInterface = d.Resource(gvr)
	if ns := u.GetNamespace(); ns != "" {
		ri = d.Resource(gvr).Namespace(ns)
	}
	if _, err := ri.Patch(ctx, u.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: fieldManager, Force: &force}); err != nil {
		return fmt.Errorf("flux: apply %s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}

func ensureNamespace(ctx context.Context, cfg *rest.Config, name string) error {
	d, err := dyn(cfg)
	if err != nil {
		return err
	}
	return apply(ctx, d, namespaceResource, map[string]any{
		"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name},
	})
}

// CreateGitRepository creates or updates the GitRepository (and its auth
// Secret).
func (f *Flux) CreateGitRepository(ctx context.Context, g GitRepository) error {
	return CreateGitRepository(ctx, f.cfg, g)
}

// CreateGitRepository is the method without a running Flux (for a cluster
// where Flux runs elsewhere).
func CreateGitRepository(ctx context.Context, cfg *rest.Config, g GitRepository) error {
	if g.Namespace == "" {
		g.Namespace = Namespace
	}
	if g.Branch == "" {
		g.Branch = "main"
	}
	if g.Interval == 0 {
		g.Interval = 10 * time.Second
	}
	d, err := dyn(cfg)
	if err != nil {
		return err
	}
	if err := ensureNamespace(ctx, cfg, g.Namespace); err != nil {
		return err
	}
	spec := map[string]any{
		"url":      g.URL,
		"ref":      map[string]any{"branch": g.Branch},
		"interval": g.Interval.String(),
		"timeout":  "20s",
	}
	if g.Username != "" {
		secret := g.Name + "-auth"
		if err := apply(ctx, d, secretResource, map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata":   map[string]any{"name": secret, "namespace": g.Namespace},
			"type":       "Opaque",
			"stringData": map[string]any{"username": g.Username, "password": g.Password},
		}); err != nil {
			return err
		}
		spec["secretRef"] = map[string]any{"name": secret}
	}
	return apply(ctx, d, GitRepositoryResource, map[string]any{
		"apiVersion": "source.toolkit.fluxcd.io/v1", "kind": "GitRepository",
		"metadata": map[string]any{"name": g.Name, "namespace": g.Namespace},
		"spec":     spec,
	})
}

// CreateKustomization creates or updates the Kustomization (and its SOPS
// Secret).
func (f *Flux) CreateKustomization(ctx context.Context, k Kustomization) error {
	return CreateKustomization(ctx, f.cfg, k)
}

// CreateKustomization is the method without a running Flux.
func CreateKustomization(ctx context.Context, cfg *rest.Config, k Kustomization) error {
	if k.Namespace == "" {
		k.Namespace = Namespace
	}
	if k.Interval == 0 {
		k.Interval = 10 * time.Second
	}
	d, err := dyn(cfg)
	if err != nil {
		return err
	}
	if err := ensureNamespace(ctx, cfg, k.Namespace); err != nil {
		return err
	}
	spec := map[string]any{
		"interval":      k.Interval.String(),
		"retryInterval": k.Interval.String(),
		"timeout":       "30s",
		"path":          k.Path,
		"prune":         true,
		"sourceRef":     map[string]any{"kind": "GitRepository", "name": k.Source},
	}
	if k.TargetNamespace != "" {
		spec["targetNamespace"] = k.TargetNamespace
	}
	if k.AgeIdentity != "" {
		secret := k.Name + "-sops"
		if err := apply(ctx, d, secretResource, map[string]any{
			"apiVersion": "v1", "kind": "Secret",
			"metadata":   map[string]any{"name": secret, "namespace": k.Namespace},
			"type":       "Opaque",
			"stringData": map[string]any{AgeKeySecretKey: k.AgeIdentity},
		}); err != nil {
			return err
		}
		spec["decryption"] = map[string]any{"provider": "sops", "secretRef": map[string]any{"name": secret}}
	}
	return apply(ctx, d, KustomizationResource, map[string]any{
		"apiVersion": "kustomize.toolkit.fluxcd.io/v1", "kind": "Kustomization",
		"metadata": map[string]any{"name": k.Name, "namespace": k.Namespace},
		"spec":     spec,
	})
}

// Reconcile asks the GitRepository source and the Kustomization name (both
// in namespace, default flux-system) to reconcile now.
func (f *Flux) Reconcile(ctx context.Context, namespace, source, name string) error {
	return Reconcile(ctx, f.cfg, namespace, source, name)
}

// Reconcile is the method without a running Flux.
func Reconcile(ctx context.Context, cfg *rest.Config, namespace, source, name string) error {
	if namespace == "" {
		namespace = Namespace
	}
	d, err := dyn(cfg)
	if err != nil {
		return err
	}
	patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": map[string]any{
		ReconcileAnnotation: time.Now().Format(time.RFC3339Nano),
	}}})
	for _, o := range []struct {
		gvr  schema.GroupVersionResource
		name string
	}{{GitRepositoryResource, source}, {KustomizationResource, name}} {
		if o.name == "" {
			continue
		}
		if _, err := d.Resource(o.gvr).Namespace(namespace).Patch(ctx, o.name, types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
			return fmt.Errorf("flux: request reconcile of %s %s/%s: %w", o.gvr.Resource, namespace, o.name, err)
		}
	}
	return nil
}

// Status is what a Flux object reports.
type Status struct {
	// Ready is the Ready condition's status ("True", "False", "Unknown" or
	// "" when absent); Reason and Message are its reason and message.
	Ready, Reason, Message string
	// Revision is the GitRepository's status.artifact.revision or the
	// Kustomization's status.lastAppliedRevision.
	Revision string
	// Attempted is the Kustomization's status.lastAttemptedRevision.
	Attempted string
}

func (s Status) String() string {
	return fmt.Sprintf("Ready=%s %s: %s (revision %q, attempted %q)", s.Ready, s.Reason, s.Message, s.Revision, s.Attempted)
}

// GetStatus reads the status of a GitRepository or Kustomization.
func GetStatus(ctx context.Context, cfg *rest.Config, gvr schema.GroupVersionResource, namespace, name string) (Status, error) {
	if namespace == "" {
		namespace = Namespace
	}
	d, err := dyn(cfg)
	if err != nil {
		return Status{}, err
	}
	u, err := d.Resource(gvr).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return Status{}, err
	}
	var s Status
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, _ := c.(map[string]any)
		if m["type"] == "Ready" {
			s.Ready, _ = m["status"].(string)
			s.Reason, _ = m["reason"].(string)
			s.Message, _ = m["message"].(string)
		}
	}
	if gvr == GitRepositoryResource {
		s.Revision, _, _ = unstructured.NestedString(u.Object, "status", "artifact", "revision")
	} else {
		s.Revision, _, _ = unstructured.NestedString(u.Object, "status", "lastAppliedRevision")
		s.Attempted, _, _ = unstructured.NestedString(u.Object, "status", "lastAttemptedRevision")
	}
	return s, nil
}

// WaitApplied waits until the Kustomization name reports revision (see
// Revision) as its status.lastAppliedRevision and is Ready. On timeout
// (ctx) the error carries both objects' status and the controllers' logs.
func (f *Flux) WaitApplied(ctx context.Context, namespace, source, name, revision string) error {
	err := WaitApplied(ctx, f.cfg, namespace, source, name, revision)
	if err != nil && !strings.Contains(err.Error(), "log:") {
		return fmt.Errorf("%w\n%s", err, f.Logs(15))
	}
	return err
}

// WaitApplied is the method without a running Flux.
func WaitApplied(ctx context.Context, cfg *rest.Config, namespace, source, name, revision string) error {
	_, err := WaitStatus(ctx, cfg, KustomizationResource, namespace, name, func(k Status) bool {
		return k.Revision == revision && k.Ready == "True"
	})
	if err != nil {
		g, gerr := GetStatus(context.Background(), cfg, GitRepositoryResource, namespace, source)
		return fmt.Errorf("flux: Kustomization %s did not apply %s: %w\n  GitRepository %s: %v%s",
			name, revision, err, source, g, errSuffix(gerr))
	}
	return nil
}

// WaitStatus polls the status of a GitRepository or Kustomization until
// ok accepts it, and returns that status. When ctx ends first, the error
// wraps ctx.Err() and shows the last status seen.
func WaitStatus(ctx context.Context, cfg *rest.Config, gvr schema.GroupVersionResource, namespace, name string, ok func(Status) bool) (Status, error) {
	for {
		st, err := GetStatus(ctx, cfg, gvr, namespace, name)
		if err == nil && ok(st) {
			return st, nil
		}
		if err != nil && !apierrors.IsNotFound(err) && ctx.Err() == nil {
			return st, err
		}
		select {
		case <-ctx.Done():
			return st, fmt.Errorf("%s %s: %w; last status: %v%s", gvr.Resource, name, ctx.Err(), st, errSuffix(err))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// WaitStatus is WaitStatus with the Flux's API server.
func (f *Flux) WaitStatus(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string, ok func(Status) bool) (Status, error) {
	return WaitStatus(ctx, f.cfg, gvr, namespace, name, ok)
}

func errSuffix(err error) string {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return ""
	}
	return " (" + err.Error() + ")"
}
