package app

import (
	"context"
	"fmt"

	"k8s.io/client-go/dynamic"

	"github.com/aigw-console/aigw-console/app/api"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/app/syncstatus"
	"github.com/aigw-console/aigw-console/gitops"
)

// withSyncStatus adds the sync status of GitOps mode: a tracker over the
// Git sink's own clone and the shared cache, publishing "sync" events to
// pub and kept current until ctx ends. It returns the tracker for
// api.Options.Sync (nil in direct mode) and the sink to hand to the API:
// writes, kicking the tracker right after every commit.
func withSyncStatus(ctx context.Context, cfg Config, writes sink.Sink, cache *cluster.Cache, dyn dynamic.Interface,
	pub syncstatus.Publisher,
) (api.SyncStatus, sink.Sink, error) {
	w, ok := writes.(*gitOpsWriter)
	if cfg.Mode != ModeGitOps || !ok {
		return nil, writes, nil
	}
	git, ok := w.git.(*gitops.Sink)
	if !ok {
		return nil, nil, fmt.Errorf("sync status: the GitOps writer has no Git sink")
	}
	sc := cfg.Sync
	if err := sc.validate(); err != nil {
		return nil, nil, err
	}
	history, err := git.History(gitops.HistoryOptions{})
	if err != nil {
		return nil, nil, err
	}
	opts := syncstatus.Options{History: history, Live: cache, Source: cache, Publisher: pub,
		Grace: sc.Grace, Interval: sc.Interval, Branch: git.Branch(), Path: git.Root(), Logger: cfg.Logger}
	if sc.FluxKustomization != "" {
		ns, name, _ := syncstatus.ParseKustomization(sc.FluxKustomization)
		opts.Applier = &syncstatus.Flux{Client: dyn, Namespace: ns, Name: name}
	}
	tracker, err := syncstatus.New(opts)
	if err != nil {
		return nil, nil, err
	}
	go tracker.Run(ctx)
	return tracker, kickingSink{Sink: writes, tracker: tracker}, nil
}

// kickingSink asks the tracker for a new report after every commit.
type kickingSink struct {
	sink.Sink
	tracker *syncstatus.Tracker
}

// Apply implements sink.Sink.
func (k kickingSink) Apply(ctx context.Context, cs sink.ChangeSet) (sink.Result, error) {
	res, err := k.Sink.Apply(ctx, cs)
	if err == nil && !res.DryRun {
		k.tracker.Kick()
	}
	return res, err
}
