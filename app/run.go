package app

import (
	"context"
	"fmt"
	"net"
	"strings"
	"sync/atomic"

	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"

	"github.com/aigw-console/aigw-console/app/api"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/policy"
)

// Run starts the console and blocks until ctx ends, then shuts down
// gracefully. onListen, if not nil, receives the bound HTTP address.
//
// Start order matters: the live path (watcher → hub → stream) is built on
// the cache before the informers start, so that the initial list flows
// through the watcher; the informers start next so the cache fills while
// the HTTP server already answers /healthz; /readyz turns 200 only once
// every informer has synced, and turns 503 again while the API server does
// not answer. On shutdown WebSocket clients get their close frame before
// the HTTP server stops.
func Run(ctx context.Context, cfg Config, onListen func(net.Addr)) error {
	if err := cfg.defaults(); err != nil {
		return err
	}
	log := cfg.Logger
	cfg.hardeningDefaults()
	// client-go's default of 5 requests per second would throttle a write
	// (about four requests per object) long before the API server does.
	if cfg.RestConfig.QPS == 0 {
		cfg.RestConfig = rest.CopyConfig(cfg.RestConfig)
		cfg.RestConfig.QPS, cfg.RestConfig.Burst = 50, 100
	}
	dyn, err := dynamic.NewForConfig(cfg.RestConfig)
	if err != nil {
		return fmt.Errorf("kubernetes client: %w", err)
	}
	cache, err := cluster.NewCache(dyn, cluster.CacheOptions{Namespaces: cfg.Namespaces})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	// 1. Authentication and authorization, then the live path, before the
	// informers start.
	authn, err := newAuthentication(cfg, api.WebSocketPath)
	if err != nil {
		return err
	}
	authzn, err := newAuthorization(cfg, cache)
	if err != nil {
		return err
	}
	live, err := newLive(cache, cfg, authn, authzn)
	if err != nil {
		return err
	}

	// 2. Informers, and a probe of the API server for readiness.
	cache.Start(ctx)
	probe, err := cluster.NewProbe(cfg.RestConfig, cluster.ProbeOptions{Logger: log})
	if err != nil {
		return err
	}
	go probe.Run(ctx)
	var synced atomic.Bool
	go func() {
		if cache.WaitForSync(ctx) {
			synced.Store(true)
			log.Info("informer caches synced")
		}
	}()
	ready := func() error {
		if !synced.Load() {
			return fmt.Errorf("informer caches not synced: %s", strings.Join(cache.Unsynced(), ", "))
		}
		return probe.Err()
	}

	// 3. Policies: compiled once here, then recompiled when PolicyDir changes.
	engine, err := policy.New(ctx, policy.Options{Dir: cfg.PolicyDir, Logger: log})
	if err != nil {
		return fmt.Errorf("policies: %w", err)
	}
	go func() {
		if err := engine.Run(ctx); err != nil && ctx.Err() == nil {
			log.Error("policy reloader stopped", "error", err)
		}
	}()

	// 4. The write side.
	// Writes go to the API server as the caller (impersonated); in GitOps
	// mode the same sink's dry-run gates the commit.
	direct := authzn.sink
	writes, closeWrites, err := writeSink(ctx, cfg, direct)
	if err != nil {
		return err
	}
	defer closeWrites()
	syncStatus, writes, err := withSyncStatus(ctx, cfg, writes, cache, dyn, live.events)
	if err != nil {
		return err
	}

	// 5. Audit trail and HTTP safeguards (app/run_audit.go).
	guard, err := newGuard(cfg, live.metrics)
	if err != nil {
		return err
	}
	defer func() { _ = guard.close() }()

	// 6. HTTP API, with the WebSocket stream and the metrics.
	app := api.New(api.Options{Reader: cache, Sink: writes, Policy: engine, Ready: ready, Logger: log, Version: cfg.Version,
		WebSocket: live.stream.Handler(), Metrics: live.metricsHandler(), Sync: syncStatus, Authenticate: authn.middleware,
		Authorizer: authzn.authorizer, Namespaces: authzn.namespaces, ManagedNamespaces: cfg.Namespaces,
		Middleware: guard.middleware(), UserMiddleware: guard.userMiddleware(), Unrouted: guard.unrouted})
	return live.serve(ctx, app, api.ServeOptions{
		Address:         cfg.ListenAddress,
		ShutdownTimeout: cfg.ShutdownTimeout,
		Logger:          log,
		OnListen:        onListen,
		TLSConfig:       guard.tls,
	})
}
