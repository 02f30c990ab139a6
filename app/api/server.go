package api

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/gofiber/fiber/v2"
)

// ServeOptions configure Serve.
type ServeOptions struct {
	// Address is the host:port to listen on. Required.
	Address string
	// ShutdownTimeout bounds the graceful shutdown when ctx ends.
	// Default: 15s.
	ShutdownTimeout time.Duration
	// Logger reports the listening address. Default: slog.Default().
	Logger *slog.Logger
	// OnListen, if set, is called with the bound address once the listener
	// is open (useful with port 0).
	OnListen func(addr net.Addr)
	// TLSConfig, if set, makes the server speak HTTPS. Default: plain HTTP.
	TLSConfig *tls.Config
}

// Serve opens its own listener, serves app until ctx ends, then shuts down
// gracefully: in-flight requests finish, new connections are refused.
func Serve(ctx context.Context, app *fiber.App, opts ServeOptions) error {
	if opts.ShutdownTimeout == 0 {
		opts.ShutdownTimeout = 15 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", opts.Address)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", opts.Address, err)
	}
	if opts.TLSConfig != nil {
		ln = tls.NewListener(ln, opts.TLSConfig)
	}
	opts.Logger.Info("serving", "address", ln.Addr().String(), "tls", opts.TLSConfig != nil)
	if opts.OnListen != nil {
		opts.OnListen(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	if err := app.ShutdownWithTimeout(opts.ShutdownTimeout); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return <-served
}
