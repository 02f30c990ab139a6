package app

import (
	"context"
	"log/slog"

	"k8s.io/client-go/dynamic"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/app/syncstatus"
	"github.com/aigw-console/aigw-console/gitops"
)

// newSyncStatus builds the sync status of GitOps mode over the Git sink's
// own clone and the shared cache, publishing "sync" events to pub, and
// starts keeping it current until ctx ends. It returns the tracker (for
// api.Options.Sync) and the sink to hand to the API: the Git sink, kicking
// the tracker right after every commit.
func newSyncStatus(ctx context.Context, cfg SyncConfig, git *gitops.Sink, root string, cache *cluster.Cache,
	dyn dynamic.Interface, pub syncstatus.Publisher, log *slog.Logger,
) (*syncstatus.Tracker, sink.Sink, error) {
	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}
	history, err := git.History(gitops.HistoryOptions{})
	if err != nil {
		return nil, nil, err
	}
	opts := syncstatus.Options{History: history, Live: cache, Source: cache, Publisher: pub,
		Grace: cfg.Grace, Interval: cfg.Interval, Branch: git.Branch(), Path: root, Logger: log}
	if cfg.FluxKustomization != "" {
		ns, name, _ := syncstatus.ParseKustomization(cfg.FluxKustomization)
		opts.Applier = &syncstatus.Flux{Client: dyn, Namespace: ns, Name: name}
	}
	tracker, err := syncstatus.New(opts)
	if err != nil {
		return nil, nil, err
	}
	go tracker.Run(ctx)
	return tracker, kickingSink{Sink: git, tracker: tracker}, nil
}

// kickingSink asks the tracker for a new report after every commit.
type kickingSink struct {
	sink.Sink
	tracker *syncstatus.Tracker
}

func (k kickingSink) Apply(ctx context.Context, cs sink.ChangeSet) (sink.Result, error) {
	res, err := k.Sink.Apply(ctx, cs)
	if err == nil && !res.DryRun {
		k.tracker.Kick()
	}
	return res, err
}
