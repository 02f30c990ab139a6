package stream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/gofiber/fiber/v2"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/app/watch"
)

// tokens accepts "alice-token" as alice.
type tokens struct{}

func (tokens) AuthenticateToken(_ context.Context, tok string) (auth.User, error) {
	if tok == "alice-token" {
		return auth.User{Name: "alice", Groups: []string{"team-a", auth.AuthenticatedGroup}}, nil
	}
	return auth.User{}, errors.New("refused")
}

// startAuthenticated serves the stream behind the authentication
// middleware, as app.Run does.
func startAuthenticated(t *testing.T, anonymous bool, opts Options) *fixture {
	t.Helper()
	opts.Kinds = watch.Kinds()
	opts.Authenticate = tokens{}.AuthenticateToken
	return start(t, hub.Options{}, opts, auth.Middleware(auth.Options{
		Tokens: tokens{}, AllowAnonymous: anonymous, Logger: slog.New(slog.DiscardHandler),
		Deferred: func(c *fiber.Ctx) bool { return c.Path() == "/ws" },
	}))
}

func TestFirstMessageAuthentication(t *testing.T) {
	var authorized atomic.Value
	f := startAuthenticated(t, false, Options{
		AuthTimeout: 300 * time.Millisecond,
		AuthorizeUser: func(ctx context.Context) (hub.Filter, error) {
			u, _ := auth.FromContext(ctx)
			authorized.Store(u.Name)
			if u.Name != "alice" {
				return nil, errors.New("no")
			}
			return nil, nil
		},
	})

	t.Run("an accepted token, then subscriptions as that user", func(t *testing.T) {
		c := f.dial(t, nil)
		c.send(AuthenticateRequest{Type: TypeAuthenticate, Token: "alice-token"})
		e := c.expect(TypeAuthenticated)[0]
		if string(e.Data) != `{"user":"alice","groups":["team-a","system:authenticated"]}` {
			t.Errorf("authenticated data %s", e.Data)
		}
		if authorized.Load() != "alice" {
			t.Errorf("AuthorizeUser saw %v", authorized.Load())
		}
		c.subscribe("s", []string{"providers"})
		c.expect(TypeSubscribed, TypeSnapshot)
	})
	t.Run("a header token needs no authenticate message", func(t *testing.T) {
		c := f.dial(t, http.Header{"Authorization": {"Bearer alice-token"}})
		c.subscribe("s", []string{"providers"})
		c.expect(TypeSubscribed, TypeSnapshot)
		c.send(AuthenticateRequest{Type: TypeAuthenticate, Token: "alice-token"})
		if e := c.expect(TypeError)[0]; !strings.Contains(string(e.Data), CodeAlreadyAuthenticated) {
			t.Errorf("second authenticate: %s", e.Data)
		}
	})
	closes := map[string]func(c *client){
		"a subscribe first": func(c *client) { c.subscribe("s", []string{"providers"}) },
		"a refused token":   func(c *client) { c.send(AuthenticateRequest{Type: TypeAuthenticate, Token: "wrong"}) },
		"an empty token":    func(c *client) { c.send(AuthenticateRequest{Type: TypeAuthenticate}) },
		"a binary message": func(c *client) {
			_ = c.ws.WriteMessage(websocket.BinaryMessage, []byte(`{"type":"authenticate","token":"alice-token"}`))
		},
		"an unknown field":   func(c *client) { c.send(map[string]string{"type": "authenticate", "token": "alice-token", "x": "y"}) },
		"silence":            func(*client) {},
		"pings only (alive)": func(c *client) { _ = c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(time.Second)) },
	}
	for name, first := range closes {
		t.Run(name+" closes with 1008", func(t *testing.T) {
			c := f.dial(t, nil)
			first(c)
			if code := c.closeCode(3 * time.Second); code != websocket.ClosePolicyViolation {
				t.Errorf("close code %d, want 1008", code)
			}
		})
	}
	if v := counterValue(t, f.reg, "aigw_console_websocket_connections_rejected_total"); v < float64(len(closes)) {
		t.Errorf("rejected_total = %v, want at least %d", v, len(closes))
	}
}

func TestAnonymousStreamWithoutAuthenticateMessage(t *testing.T) {
	f := startAuthenticated(t, true, Options{AuthTimeout: 300 * time.Millisecond})
	c := f.dial(t, nil)
	c.subscribe("s", []string{"providers"})
	c.expect(TypeSubscribed, TypeSnapshot)
	// An authenticated user may still upgrade from anonymous with the first
	// message.
	d := f.dial(t, nil)
	d.send(AuthenticateRequest{Type: TypeAuthenticate, Token: "alice-token"})
	d.expect(TypeAuthenticated)
}

func TestPendingWithoutAnAuthenticatorIsRefused(t *testing.T) {
	h := hub.New(hub.Options{Logger: slog.New(slog.DiscardHandler)})
	srv, err := New(h, Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	app := fiber.New(fiber.Config{DisableStartupMessage: true})
	app.Use(auth.Middleware(auth.Options{Tokens: tokens{}, Deferred: func(*fiber.Ctx) bool { return true }}))
	app.Get("/ws", srv.Handler())
	req, _ := http.NewRequest("GET", "/ws", nil)
	req.Header.Set("Connection", "Upgrade")
	req.Header.Set("Upgrade", "websocket")
	req.Header.Set("Sec-WebSocket-Version", "13")
	req.Header.Set("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
	resp, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("HTTP %d, want 401", resp.StatusCode)
	}
}
