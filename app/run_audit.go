package app

import (
	"context"
	"crypto/tls"
	"fmt"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigw-console/aigw-console/app/audit"
	"github.com/aigw-console/aigw-console/app/clientip"
	"github.com/aigw-console/aigw-console/app/hardening"
)

// guard is the audit trail and the HTTP safeguards of one console.
type guard struct {
	clients *clientip.Resolver
	auditor *audit.Auditor
	limiter *hardening.Limiter
	tls     *tls.Config
	cfg     Config
	closeFn func() error
	stop    context.CancelFunc
}

// hardeningDefaults lets the WebSocket Origin check follow the CORS
// allowlist when it has none of its own.
func (c *Config) hardeningDefaults() {
	if len(c.WebSocket.AllowedOrigins) == 0 {
		c.WebSocket.AllowedOrigins = c.Hardening.CORSAllowedOrigins
	}
}

// newGuard builds the auditor (its Events are created with the console's
// own identity) and the safeguards, and starts creating Events.
func newGuard(cfg Config, reg prometheus.Registerer) (*guard, error) {
	trusted, err := parseCIDRs("--trusted-proxy-cidrs", cfg.Hardening.TrustedProxyCIDRs)
	if err != nil {
		return nil, err
	}
	g := &guard{cfg: cfg, clients: clientip.New(trusted), closeFn: func() error { return nil }}
	out := cfg.Audit.Log
	if out == nil {
		switch cfg.Audit.LogPath {
		case "", "-":
			out = os.Stdout
		default:
			f, err := os.OpenFile(cfg.Audit.LogPath, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
			if err != nil {
				return nil, fmt.Errorf("--audit-log-path: %w", err)
			}
			out, g.closeFn = f, f.Close
		}
	}
	opts := audit.Options{Log: out, QueueLength: cfg.Audit.EventQueueLength, Mode: string(cfg.Mode), Logger: cfg.Logger, Registerer: reg}
	if !cfg.Audit.DisableEvents {
		ev, err := audit.NewEvents(cfg.RestConfig)
		if err != nil {
			return nil, err
		}
		opts.Events = ev
	}
	a, err := audit.New(opts)
	if err != nil {
		return nil, err
	}
	g.auditor = a
	h := cfg.Hardening
	g.limiter = hardening.NewLimiter(hardening.RateLimitOptions{QPS: h.RateLimitQPS, Burst: h.RateLimitBurst})
	if h.TLSCertFile != "" || h.TLSKeyFile != "" {
		r, err := hardening.NewCertReloader(h.TLSCertFile, h.TLSKeyFile, cfg.Logger)
		if err != nil {
			return nil, err
		}
		g.tls = r.TLSConfig()
	}
	ctx, stop := context.WithCancel(context.Background())
	g.stop = stop
	go a.Run(ctx, cfg.ShutdownTimeout)
	return g, nil
}

// middleware runs before every route, in this order: the client's address
// (behind trusted proxies), security headers and the request ID on every
// answer, the audit record (before anything can refuse a request), CORS,
// the request timeout.
func (g *guard) middleware() []fiber.Handler {
	return []fiber.Handler{
		g.clients.Middleware(),
		hardening.SecurityHeaders(),
		audit.RequestID(),
		g.auditor.Middleware(),
		hardening.CORS(g.cfg.Hardening.CORSAllowedOrigins),
		hardening.Timeout(g.cfg.Hardening.RequestTimeout, "/api/v1/ws"),
	}
}

// unrouted answers for the middleware when the HTTP server refused a
// request before routing (413, 431): request ID, security headers, audit
// record.
func (g *guard) unrouted(c *fiber.Ctx, status int, code, detail string) {
	g.clients.Resolve(c)
	audit.AssignRequestID(c)
	hardening.SetSecurityHeaders(c)
	g.auditor.Refused(c, status, code, detail)
}

// userMiddleware runs under /api/v1 after authentication: the per-user
// rate limit.
func (g *guard) userMiddleware() []fiber.Handler {
	return []fiber.Handler{hardening.RateLimit(g.limiter)}
}

// close finishes the queued Events (bounded by the shutdown timeout) and
// closes the audit log.
func (g *guard) close() error {
	g.stop()
	done := make(chan struct{})
	go func() { g.auditor.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(g.cfg.ShutdownTimeout + time.Second):
	}
	if g.closeFn == nil {
		return nil
	}
	return g.closeFn()
}
