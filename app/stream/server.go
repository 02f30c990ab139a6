package stream

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/fasthttp/websocket"
	fiberws "github.com/gofiber/contrib/websocket"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/clientip"
	"github.com/aigw-console/aigw-console/app/hub"
)

// Defaults of Options.
const (
	DefaultMaxConnections          = 10_000
	DefaultMaxConnectionsPerClient = 100
	DefaultMaxSubscriptions        = 100
	DefaultMaxMessageBytes         = 64 << 10
	DefaultPingInterval            = 20 * time.Second
	DefaultPongTimeout             = 10 * time.Second
	DefaultWriteTimeout            = 10 * time.Second
	DefaultIdleTimeout             = 60 * time.Second
	DefaultAuthTimeout             = 10 * time.Second
)

// Options configure New. The zero value works.
type Options struct {
	// Kinds are the kinds a subscription may name (watch.Kinds()). Default:
	// any non-empty kind.
	Kinds []string
	// MaxConnections bounds the open connections; more are refused with
	// 503 before the upgrade. Default: 10,000. Negative: no limit.
	MaxConnections int
	// MaxConnectionsPerClient bounds the open connections of one client
	// (ClientKey: a user, or an address); more are refused with 429.
	// Default: 100.
	// Negative: no limit.
	MaxConnectionsPerClient int
	// MaxSubscriptions bounds the open subscriptions of one connection.
	// Default: 100.
	MaxSubscriptions int
	// MaxMessageBytes bounds a client message; a larger one closes the
	// connection with 1009 (message too big). Server messages are not
	// limited: a snapshot is as large as the state it holds. Default:
	// 64 KiB.
	MaxMessageBytes int64
	// AllowedOrigins are the browser origins allowed to connect
	// ("https://console.example.com"; "*" allows any). A request without
	// an Origin header (curl, Go and other non-browser clients) is always
	// allowed. Default: none, which allows only the same origin: the
	// Origin's host must equal the request's Host.
	AllowedOrigins []string
	// PingInterval is how often the server pings, and sends bookmarks to
	// quiet subscriptions. Default: 20s.
	PingInterval time.Duration
	// PongTimeout is how long after a ping interval without any frame from
	// the client the connection is dropped: the read deadline is
	// PingInterval + PongTimeout after the last frame received. Default:
	// 10s.
	PongTimeout time.Duration
	// WriteTimeout bounds writing one message; a client that does not read
	// for that long is dropped. Default: 10s.
	WriteTimeout time.Duration
	// IdleTimeout closes (with 1000) a connection that had no subscription
	// for this long; checked at every ping. Default: 60s.
	IdleTimeout time.Duration
	// ClientKey names the client that a connection counts against for
	// MaxConnectionsPerClient. Default: the user the upgrade request was
	// authenticated as, else (no credentials yet, or anonymous) the client
	// address (clientip.Of).
	ClientKey func(c *fiber.Ctx) string
	// Authorize returns the filter that every subscription of the
	// connection is restricted to (the user's permissions), or an error to
	// refuse the upgrade with 403. Default: none, everything is visible.
	Authorize func(c *fiber.Ctx) (hub.Filter, error)
	// Access returns the per-user authorization of a connection, from the
	// upgrade request's context (the authenticated user): every
	// subscription is checked when it opens (an error with code Forbidden
	// refuses it), every event is filtered by it, and open subscriptions
	// are re-checked every RecheckInterval and ended with Forbidden when
	// access was revoked. An error refuses the upgrade with 403. Default:
	// none.
	Access func(ctx context.Context) (Access, error)
	// RecheckInterval is how often Access is asked again for the open
	// subscriptions. Default: 5s.
	RecheckInterval time.Duration
	// Authenticate checks the token of an authenticate message, the first
	// message of a connection whose upgrade request carried no credentials
	// (auth.Pending). Such a connection that sends anything else first, a
	// refused token, or nothing within AuthTimeout is closed with 1008
	// (policy violation), unless the upgrade came with a user already
	// (anonymous access): then a first message other than authenticate is
	// served as that user. Default: none; connections are not asked to
	// authenticate.
	Authenticate func(ctx context.Context, token string) (auth.User, error)
	// AuthorizeUser returns the filter of a connection that authenticated
	// with its first message; ctx carries the user (auth.FromContext). An
	// error closes the connection with 1008. Default: Authorize's filter.
	AuthorizeUser func(ctx context.Context) (hub.Filter, error)
	// AuthTimeout is how long a pending connection has to send its
	// authenticate message. Default: 10s.
	AuthTimeout time.Duration
	// Registerer receives the stream's metrics. Default: none.
	Registerer prometheus.Registerer
	// Logger receives connection failures. Default: slog.Default().
	Logger *slog.Logger
}

func (o *Options) defaults() {
	if o.MaxConnections == 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.MaxConnectionsPerClient == 0 {
		o.MaxConnectionsPerClient = DefaultMaxConnectionsPerClient
	}
	if o.MaxSubscriptions <= 0 {
		o.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = DefaultMaxMessageBytes
	}
	if o.PingInterval <= 0 {
		o.PingInterval = DefaultPingInterval
	}
	if o.PongTimeout <= 0 {
		o.PongTimeout = DefaultPongTimeout
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = DefaultWriteTimeout
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.RecheckInterval <= 0 {
		o.RecheckInterval = DefaultRecheckInterval
	}
	if o.ClientKey == nil {
		o.ClientKey = clientKey
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.AuthTimeout <= 0 {
		o.AuthTimeout = DefaultAuthTimeout
	}
}

// Locals keys that carry admission results into the connection.
const (
	localClient = "aigw.stream.client"
	localFilter = "aigw.stream.filter"
	localAccess = "aigw.stream.access"
	localAuth   = "aigw.stream.auth"
)

// Server serves the WebSocket stream.
type Server struct {
	opts    Options
	hub     *hub.Hub
	log     *slog.Logger
	metrics *metrics
	upgrade fiber.Handler
	buffers sync.Pool // *[]byte message buffers shared by the writers

	// ctx ends when Shutdown starts; every connection then closes.
	ctx    context.Context
	cancel context.CancelFunc

	mu        sync.Mutex
	closing   bool
	total     int
	perClient map[string]int
	conns     sync.WaitGroup
}

// New returns a Server fed by h.
func New(h *hub.Hub, opts Options) (*Server, error) {
	opts.defaults()
	m, err := newMetrics(opts.Registerer, h)
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, hub: h, log: opts.Logger, metrics: m, perClient: map[string]int{}}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.upgrade = fiberws.New(s.serve, fiberws.Config{
		// The Origin was checked by admit, with the same-origin default
		// the contrib check lacks.
		Origins: []string{"*"},
		// Idle connections hold no write buffer: buffers come from a pool
		// for the time of one message.
		WriteBufferSize: 4096,
		WriteBufferPool: &sync.Pool{},
		RecoverHandler:  s.recoverConn,
	})
	return s, nil
}

// Handler returns the handler of GET /api/v1/ws: admission (upgrade
// request, Origin, limits, authorization), then the upgrade.
func (s *Server) Handler() fiber.Handler {
	return func(c *fiber.Ctx) error {
		if !fiberws.IsWebSocketUpgrade(c) {
			c.Set(fiber.HeaderUpgrade, "websocket")
			return fiber.NewError(fiber.StatusUpgradeRequired, "this endpoint speaks WebSocket only (send Connection: Upgrade and Upgrade: websocket); see docs/websocket.md")
		}
		if origin := c.Get(fiber.HeaderOrigin); origin != "" && !s.originAllowed(origin, string(c.Request().Host())) {
			s.metrics.rejected.WithLabelValues("origin").Inc()
			return fiber.NewError(fiber.StatusForbidden, fmt.Sprintf("origin %q is not allowed to open the stream", origin))
		}
		key := s.opts.ClientKey(c)
		if status, reason := s.full(key); status != 0 {
			s.metrics.rejected.WithLabelValues(reason).Inc()
			c.Set(fiber.HeaderRetryAfter, "5")
			return fiber.NewError(status, "the stream is refusing connections: "+reason)
		}
		if auth.Pending(c) && s.opts.Authenticate == nil {
			// Fail closed: the middleware deferred authentication to a
			// stream that cannot do it.
			s.metrics.rejected.WithLabelValues("unauthenticated").Inc()
			return fiber.NewError(fiber.StatusUnauthorized, "authentication required: send Authorization: Bearer <token>")
		}
		var filter hub.Filter
		if s.opts.Authorize != nil {
			f, err := s.opts.Authorize(c)
			if err != nil {
				s.metrics.rejected.WithLabelValues("forbidden").Inc()
				return fiber.NewError(fiber.StatusForbidden, err.Error())
			}
			filter = f
		}
		if s.opts.Access != nil {
			a, err := s.opts.Access(c.UserContext())
			if err != nil {
				s.metrics.rejected.WithLabelValues("forbidden").Inc()
				return fiber.NewError(fiber.StatusForbidden, err.Error())
			}
			c.Locals(localAccess, a)
		}
		c.Locals(localClient, key)
		c.Locals(localFilter, filter)
		c.Locals(localAuth, s.admission(c))
		return s.upgrade(c)
	}
}

// originAllowed checks a browser's Origin against AllowedOrigins, or
// against the request's host when the list is empty.
func (s *Server) originAllowed(origin, host string) bool {
	if len(s.opts.AllowedOrigins) > 0 {
		return slices.ContainsFunc(s.opts.AllowedOrigins, func(o string) bool {
			return o == "*" || strings.EqualFold(strings.TrimSuffix(o, "/"), origin)
		})
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, host)
}

// full returns the HTTP status and reason for refusing a connection of
// client key, or 0.
func (s *Server) full(key string) (int, string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fullLocked(key)
}

func (s *Server) fullLocked(key string) (int, string) {
	switch {
	case s.closing:
		return fiber.StatusServiceUnavailable, "shutting down"
	case s.opts.MaxConnections > 0 && s.total >= s.opts.MaxConnections:
		return fiber.StatusServiceUnavailable, "too many connections"
	case s.opts.MaxConnectionsPerClient > 0 && s.perClient[key] >= s.opts.MaxConnectionsPerClient:
		return fiber.StatusTooManyRequests, "too many connections from this client"
	}
	return 0, ""
}

// acquire counts a connection of client key against the limits, or returns
// nil and the close frame to send when a limit was reached between the
// admission and the upgrade.
func (s *Server) acquire(key string) (release func(), closeCode int, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Checked and counted under one lock, so that Shutdown never waits
	// while a connection is being added.
	if status, reason := s.fullLocked(key); status != 0 {
		if s.closing {
			return nil, websocket.CloseGoingAway, reason
		}
		return nil, websocket.CloseTryAgainLater, reason
	}
	s.total++
	s.perClient[key]++
	s.conns.Add(1)
	return func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.total--
		if s.perClient[key]--; s.perClient[key] <= 0 {
			delete(s.perClient, key)
		}
		s.conns.Done()
	}, 0, ""
}

// Shutdown sends every connection a close frame 1001 (going away), refuses
// new ones and waits until the connections have ended or ctx is done. Call
// it before the HTTP server shuts down: hijacked connections are not the
// HTTP server's to wait for.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	s.mu.Unlock()
	s.cancel()
	done := make(chan struct{})
	go func() {
		s.conns.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("websocket shutdown: %w", ctx.Err())
	}
}

// serve runs one upgraded connection.
func (s *Server) serve(ws *fiberws.Conn) {
	key, _ := ws.Locals(localClient).(string)
	filter, _ := ws.Locals(localFilter).(hub.Filter)
	release, code, reason := s.acquire(key)
	if release == nil {
		s.metrics.rejected.WithLabelValues(reason).Inc()
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
		return
	}
	defer release()
	conn := newConn(s, ws.Conn, filter)
	if a, ok := ws.Locals(localAccess).(Access); ok && a != nil {
		conn.guard = newGuard(a)
	}
	conn.auth, _ = ws.Locals(localAuth).(admission)
	conn.run()
}

// recoverConn is the contrib handler's last resort: a panic that escaped
// the connection's own recovery.
func (s *Server) recoverConn(ws *fiberws.Conn) {
	if p := recover(); p != nil {
		s.log.Error("websocket: recovered a panic", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if ws.Conn != nil {
			_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseInternalServerErr, "internal error"), time.Now().Add(time.Second))
		}
	}
}

// clientKey is the default ClientKey: users behind one address (a NAT, a
// proxy) each get their own connections; without a user, the address.
func clientKey(c *fiber.Ctx) string {
	if u, ok := auth.FromContext(c.UserContext()); ok && u.Name != "" && u.Name != auth.AnonymousUser && !auth.Pending(c) {
		return "user:" + u.Name
	}
	return "ip:" + clientip.Of(c)
}
