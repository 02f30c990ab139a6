package app

import (
	"fmt"
	"time"

	"github.com/aigw-console/aigw-console/app/syncstatus"
)

// SyncConfig configures the sync status of GitOps mode (package
// syncstatus). A zero field takes the default given in brackets.
type SyncConfig struct {
	// FluxKustomization is "namespace/name" of the Flux Kustomization that
	// applies the repository; its status.lastAppliedRevision decides
	// whether a commit is applied. The console needs get on it [none: a
	// grace period decides].
	FluxKustomization string
	// Grace is how long a committed change may stay unapplied before it
	// counts as drift, when no applier revision is known [2m].
	Grace time.Duration
	// Interval is how often the branch is fetched for other replicas'
	// commits and merged pull requests [15s].
	Interval time.Duration
}

// The defaults of SyncConfig.
const (
	DefaultSyncGrace    = syncstatus.DefaultGrace
	DefaultSyncInterval = syncstatus.DefaultInterval
)

func (c *SyncConfig) validate() error {
	if c.FluxKustomization != "" {
		if _, _, err := syncstatus.ParseKustomization(c.FluxKustomization); err != nil {
			return fmt.Errorf("config: --sync-flux-kustomization: %w", err)
		}
	}
	if c.Grace < 0 {
		return fmt.Errorf("config: --sync-grace must not be negative")
	}
	if c.Interval < 0 {
		return fmt.Errorf("config: --sync-interval must not be negative")
	}
	if c.Grace == 0 {
		c.Grace = DefaultSyncGrace
	}
	if c.Interval == 0 {
		c.Interval = DefaultSyncInterval
	}
	return nil
}
