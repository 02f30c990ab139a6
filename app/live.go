package app

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aigw-console/aigw-console/app/api"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/app/stream"
	"github.com/aigw-console/aigw-console/app/syncstatus"
	"github.com/aigw-console/aigw-console/app/watch"
)

// live is the read path to dashboards, watcher → hub → stream, and the
// metrics registry it reports to.
type live struct {
	events  *hub.Hub // the sync status of GitOps mode publishes here too
	stream  *stream.Server
	metrics *prometheus.Registry
}

// newLive builds the live path on cache. Call it before cache.Start: the
// watcher's handlers then see the initial list as additions, so the hub's
// state starts complete.
func newLive(cache *cluster.Cache, cfg Config, authn *authentication, az *authorization) (*live, error) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	events := hub.New(hub.Options{History: cfg.WebSocket.History, QueueLength: cfg.WebSocket.QueueLength, Logger: cfg.Logger})
	if _, err := watch.New(cache, events, watch.Options{Logger: cfg.Logger}); err != nil {
		return nil, err
	}
	ws := cfg.WebSocket
	srv, err := stream.New(events, stream.Options{
		Kinds:                   streamKinds(cfg.Mode),
		MaxConnections:          ws.MaxConnections,
		MaxConnectionsPerClient: ws.MaxConnectionsPerClient,
		MaxSubscriptions:        ws.MaxSubscriptions,
		MaxMessageBytes:         ws.MaxMessageBytes,
		AllowedOrigins:          ws.AllowedOrigins,
		PingInterval:            ws.PingInterval,
		PongTimeout:             ws.PongTimeout,
		WriteTimeout:            ws.WriteTimeout,
		IdleTimeout:             ws.IdleTimeout,
		Authenticate:            authn.streamAuthenticate(),
		Registerer:              reg,
		Logger:                  cfg.Logger,
		Access:                  az.streamAccess,
		RecheckInterval:         cfg.Authz.WSRecheckInterval,
	})
	if err != nil {
		return nil, err
	}
	return &live{events: events, stream: srv, metrics: reg}, nil
}

// streamKinds are the kinds clients may subscribe to: sync only in GitOps
// mode.
func streamKinds(m Mode) []string {
	if m == ModeGitOps {
		return append(watch.Kinds(), syncstatus.KindSync)
	}
	return watch.Kinds()
}

// metricsHandler serves the registry at GET /metrics.
func (l *live) metricsHandler() fiber.Handler {
	return adaptor.HTTPHandler(promhttp.HandlerFor(l.metrics, promhttp.HandlerOpts{}))
}

// serve is api.Serve with the stream's shutdown first. Order matters
// here: when ctx ends every WebSocket client gets its close frame (1001,
// going away) and reconnects to another replica while this process still
// drains plain requests; the HTTP server stops after that, because
// hijacked WebSocket connections are not the HTTP server's to close.
func (l *live) serve(ctx context.Context, app *fiber.App, opts api.ServeOptions) error {
	if opts.ShutdownTimeout <= 0 {
		opts.ShutdownTimeout = 15 * time.Second
	}
	serveCtx, stopServing := context.WithCancel(context.WithoutCancel(ctx))
	defer stopServing()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), opts.ShutdownTimeout)
		defer cancel()
		if err := l.stream.Shutdown(sctx); err != nil && opts.Logger != nil {
			opts.Logger.Warn("websocket connections did not end in time", "error", err)
		}
		stopServing()
	}()
	return api.Serve(serveCtx, app, opts)
}
