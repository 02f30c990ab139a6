package app

import (
	"context"
	"strings"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/gitops"
)

// gitOpsWriter is the sink of GitOps mode. It runs the same checks as
// direct mode before anything is committed: the handlers have decoded,
// validated and run the policies; here the cluster's server-side dry-run
// (through the direct sink, as the caller) checks schema, CEL rules and
// admission, and only then does the Git sink commit. The acting user
// (auth.FromContext) and the policy result go into the commit trailers.
type gitOpsWriter struct {
	validate sink.Sink // the direct sink; used for dry-runs only
	git      sink.Sink
}

// Apply implements sink.Sink.
func (w *gitOpsWriter) Apply(ctx context.Context, cs sink.ChangeSet) (sink.Result, error) {
	if u, ok := auth.FromContext(ctx); ok && u.Name != "" {
		ctx = gitops.WithUser(ctx, u.Name)
	}
	if cs.Policy != "" {
		ctx = gitops.WithPolicyResult(ctx, cs.Policy)
	}
	if _, err := w.validate.Apply(ctx, dryRunOf(cs)); err != nil {
		return sink.Result{}, err
	}
	return w.git.Apply(ctx, cs)
}

// dryRunOf is the change set the cluster validates: a dry run, forced
// because the objects a GitOps applier created belong to its field
// manager (the console owns nothing in the cluster in this mode), and
// only the preconditions that name cluster resourceVersions (a
// "git:<SHA>" one is the Git sink's to check).
func dryRunOf(cs sink.ChangeSet) sink.ChangeSet {
	v := cs
	v.DryRun = true
	v.Force = true
	v.Preconditions = nil
	for _, pc := range cs.Preconditions {
		if !strings.HasPrefix(pc.ResourceVersion, gitops.VersionPrefix) {
			v.Preconditions = append(v.Preconditions, pc)
		}
	}
	return v
}
