package api

import (
	"context"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/policy"
)

// deps are what the handlers are built from.
type deps struct {
	reader Reader
	sink   sink.Sink
	policy PolicyEvaluator
	sync   SyncStatus // nil in direct mode
	authz  Authorizer // nil: no authorization (authentication disabled)
	// managed are the namespaces writes may target; empty: all.
	managed []string
	log     *slog.Logger
}

// Reader is the read side the handlers need: the shared informer cache.
type Reader interface {
	List(k cluster.Kind, ns string, sel labels.Selector) []*unstructured.Unstructured
	Get(k cluster.Kind, ns, name string) (*unstructured.Unstructured, error)
}

// PolicyEvaluator decides whether a change is allowed (package policy).
type PolicyEvaluator interface {
	Evaluate(ctx context.Context, in policy.Input) (policy.Decision, error)
}

// Options are the dependencies of the HTTP surface.
type Options struct {
	// Reader serves every read. Required.
	Reader Reader
	// Sink receives every write. Required for writes.
	Sink sink.Sink
	// Policy decides every write. Required for writes.
	Policy PolicyEvaluator
	// Ready reports whether the console can serve (nil error) or why not.
	// Default: always ready.
	Ready func() error
	// Logger receives request failures. Default: slog.Default().
	Logger *slog.Logger
	// Version is reported by GET /api/v1/version. Default: "dev".
	Version string
	// BodyLimit is the largest request body accepted, in bytes; larger
	// bodies get 413. Default: 1 MiB.
	BodyLimit int
	// ReadTimeout bounds reading one request. Default: 30s.
	ReadTimeout time.Duration
	// WebSocket serves GET /api/v1/ws, the live stream (package stream).
	// Default: none, the route is not registered.
	WebSocket fiber.Handler
	// Metrics serves GET /metrics in the Prometheus text format. Default:
	// none, the route is not registered.
	Metrics fiber.Handler
	// Sync reports the sync status in GitOps mode: views carry "sync",
	// lists add objects pending creation, GET /api/v1/sync answers.
	// Default: none (direct mode; GET /api/v1/sync is 404).
	Sync SyncStatus
	// Authorizer applies the cluster's RBAC to the caller of every request
	// (reads filtered, writes checked first). Default: none, everything is
	// allowed (authentication disabled).
	Authorizer Authorizer
	// Namespaces lists the namespaces GET /api/v1/me reports on. Default:
	// the namespaces that hold cached objects.
	Namespaces func() []string
	// ManagedNamespaces are the only namespaces writes may target (the
	// console's --namespaces); a write elsewhere is 403 even for a caller
	// whose RBAC would allow it. Default: empty, every namespace.
	ManagedNamespaces []string
	// Authenticate is the authentication middleware (package auth): it
	// runs before every route but /healthz, /readyz and /metrics. Default:
	// none, requests are not authenticated.
	Authenticate fiber.Handler
	// Middleware runs before every route, in order (security headers,
	// request ID, audit, CORS, timeout). Default: none.
	Middleware []fiber.Handler
	// Unrouted is called for an error answer the HTTP server gives before
	// any middleware ran (a body over BodyLimit is 413, a request head over
	// the read buffer 431), before the problem
	// is written: it does what the middleware would have done for the
	// answer (request ID, security headers, the audit record). Optional.
	Unrouted func(c *fiber.Ctx, status int, code, detail string)
	// UserMiddleware runs under /api/v1 after authentication, in order
	// (the per-user rate limit). Default: none.
	UserMiddleware []fiber.Handler
}

// WebSocketPath is the route of the live stream.
const WebSocketPath = "/api/v1/ws"

func (o *Options) defaults() {
	if o.Ready == nil {
		o.Ready = func() error { return nil }
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Version == "" {
		o.Version = "dev"
	}
	if o.BodyLimit == 0 {
		o.BodyLimit = 1 << 20
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = 30 * time.Second
	}
}

// New returns the Fiber app with every route and the middleware chain. This
// file is the whole route table.
func New(opts Options) *fiber.App {
	opts.defaults()
	app := fiber.New(fiber.Config{
		AppName:               "aigw-console",
		BodyLimit:             opts.BodyLimit,
		ReadTimeout:           opts.ReadTimeout,
		ErrorHandler:          errorHandler(opts.Logger, opts.Unrouted),
		DisableStartupMessage: true,
		// Values taken from fiber.Ctx are reused after the handler returns;
		// Immutable copies them so nothing handed to a sink, the hub or a
		// goroutine can change under it.
		Immutable: true,
	})
	app.Use(recover.New())
	for _, m := range opts.Middleware {
		app.Use(m)
	}
	d := &deps{reader: opts.Reader, sink: opts.Sink, policy: opts.Policy, sync: opts.Sync, authz: opts.Authorizer, log: opts.Logger, managed: opts.ManagedNamespaces}

	app.Get("/healthz", healthz())
	app.Get("/readyz", readyz(opts.Ready))
	if opts.Metrics != nil {
		app.Get("/metrics", opts.Metrics)
	}

	if opts.Authenticate != nil {
		app.Use(opts.Authenticate)
	}

	v1 := app.Group("/api/v1")
	for _, m := range opts.UserMiddleware {
		v1.Use(m)
	}
	v1.Get("/version", version(opts.Version))
	v1.Get("/openapi.json", openAPIDocument())
	v1.Get("/resources", listKinds())
	v1.Get("/me", me(d, opts.Namespaces))
	v1.Get("/resources/:kind", d.allow("list", false), listResources(d))
	v1.Get("/resources/:kind/:name", d.allow("get", true), getResource(d))
	v1.Put("/resources/:kind/:name", d.allow("patch", true), applyResource(d))
	v1.Delete("/resources/:kind/:name", d.allow("delete", true), deleteResource(d))

	pk, rk := providerAuthzKinds(), cluster.AIGatewayRoute
	v1.Get("/providers", d.allow("list", false, pk...), listProviders(d))
	v1.Post("/providers", d.allow("create", true, pk...), createProvider(d))
	v1.Get("/providers/:name", d.allow("get", true, pk...), getProvider(d))
	v1.Put("/providers/:name", d.allow("patch", true, pk...), updateProvider(d))
	v1.Delete("/providers/:name", d.allow("delete", true, pk...), deleteProvider(d))

	v1.Get("/routes", d.allow("list", false, rk), listRoutes(d))
	v1.Post("/routes", d.allow("create", true, rk), createRoute(d))
	v1.Get("/routes/:name", d.allow("get", true, rk), getRoute(d))
	v1.Put("/routes/:name", d.allow("patch", true, rk), updateRoute(d))
	v1.Delete("/routes/:name", d.allow("delete", true, rk), deleteRoute(d))

	v1.Get("/sync", getSync(d))

	if opts.WebSocket != nil {
		v1.Get("/ws", opts.WebSocket)
	}

	v1.Get("/templates", listTemplates())
	v1.Get("/templates/:name", getTemplate())
	v1.Post("/templates/:name/preview", previewTemplate())

	app.Use(func(c *fiber.Ctx) error {
		return newProblem(fiber.StatusNotFound, "RouteNotFound", "no route "+c.Method()+" "+c.Path())
	})
	return app
}

// versionResponse is the body of GET /api/v1/version.
type versionResponse struct {
	Version string `json:"version"`
}

func version(v string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		return c.JSON(versionResponse{Version: v})
	}
}
