package stream

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
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

// tokens accepts "alice-token" as alice, and "short-<ms>" as bob with a
// credential that expires <ms> milliseconds from now.
type tokens struct{}

func (tokens) AuthenticateToken(_ context.Context, tok string) (auth.User, error) {
	if tok == "alice-token" {
		return auth.User{Name: "alice", Groups: []string{"team-a", auth.AuthenticatedGroup}}, nil
	}
	if ms, ok := strings.CutPrefix(tok, "short-"); ok {
		if n, err := strconv.Atoi(ms); err == nil {
			return auth.User{Name: "bob", Groups: []string{auth.AuthenticatedGroup}, ExpiresAt: time.Now().Add(time.Duration(n) * time.Millisecond)}, nil
		}
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

func TestConnectionEndsWhenTheCredentialsExpire(t *testing.T) {
	f := startAuthenticated(t, false, Options{})
	for name, dial := range map[string]func() *client{
		"token in the header": func() *client { return f.dial(t, http.Header{"Authorization": {"Bearer short-600"}}) },
		"token in the first message": func() *client {
			c := f.dial(t, nil)
			c.send(AuthenticateRequest{Type: TypeAuthenticate, Token: "short-600"})
			c.expect(TypeAuthenticated)
			return c
		},
	} {
		t.Run(name, func(t *testing.T) {
			began := time.Now()
			c := dial()
			c.subscribe("s", []string{"backends"})
			c.expect(TypeSubscribed, TypeSnapshot)
			ce := c.closeFrame(5 * time.Second)
			took := time.Since(began)
			if ce.Code != websocket.ClosePolicyViolation || ce.Text != CloseReasonExpired {
				t.Errorf("close %d %q, want 1008 %q", ce.Code, ce.Text, CloseReasonExpired)
			}
			if took < 500*time.Millisecond {
				t.Errorf("closed after %s, before the credentials expired (600ms)", took)
			}
		})
	}
	t.Run("a credential without a known expiry keeps the connection", func(t *testing.T) {
		c := f.dial(t, http.Header{"Authorization": {"Bearer alice-token"}})
		c.subscribe("s", []string{"backends"})
		c.expect(TypeSubscribed, TypeSnapshot)
		time.Sleep(800 * time.Millisecond) // past the others' expiry
		f.hub.Publish(backend(hub.Added, "a", "later", 1, nil))
		if e, err := c.read(2 * time.Second); err != nil || e.Type != "resource_added" {
			t.Errorf("after 800ms: %+v %v, want the event", e, err)
		}
	})
	if v := counterValue(t, f.reg, "aigw_console_websocket_connections_rejected_total"); v != 2 {
		t.Errorf("rejected_total = %v, want 2 (expired)", v)
	}
}

// TestConnectionsPerClientCountPerUser: behind one address, each
// authenticated user has MaxConnectionsPerClient of their own; connections
// without credentials yet count against the address.
func TestConnectionsPerClientCountPerUser(t *testing.T) {
	f := startAuthenticated(t, false, Options{MaxConnectionsPerClient: 1})
	status := func(header http.Header) int {
		t.Helper()
		ws, resp, err := websocket.DefaultDialer.Dial(f.url, header)
		if resp != nil {
			_ = resp.Body.Close()
		}
		if err != nil {
			if resp == nil {
				t.Fatalf("dial: %v", err)
			}
			return resp.StatusCode
		}
		t.Cleanup(func() { _ = ws.Close() })
		c := &client{t: t, f: f, ws: ws}
		if header == nil {
			c.send(AuthenticateRequest{Type: TypeAuthenticate, Token: "alice-token"})
			c.expect(TypeAuthenticated)
		} else {
			c.subscribe("s", []string{"backends"})
			c.expect(TypeSubscribed, TypeSnapshot) // counted
		}
		return http.StatusSwitchingProtocols
	}
	alice := http.Header{"Authorization": {"Bearer alice-token"}}
	bob := http.Header{"Authorization": {"Bearer short-600000"}}
	for _, tc := range []struct {
		who    string
		header http.Header
		want   int
	}{
		{"alice", alice, http.StatusSwitchingProtocols},
		{"alice again", alice, http.StatusTooManyRequests},
		{"bob, from the same address", bob, http.StatusSwitchingProtocols},
		{"a connection without credentials", nil, http.StatusSwitchingProtocols},
		{"another one without credentials", nil, http.StatusTooManyRequests},
	} {
		if got := status(tc.header); got != tc.want {
			t.Errorf("%s: HTTP %d, want %d", tc.who, got, tc.want)
		}
	}
}
