package auth

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"
)

// newTestApp serves GET /healthz openly and GET /who (the user as JSON)
// behind the middleware.
func newTestApp(opts Options) *fiber.App {
	app := fiber.New(fiber.Config{Immutable: true})
	app.Get("/healthz", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Use(Middleware(opts))
	app.Get("/who", func(c *fiber.Ctx) error {
		u, ok := FromContext(c.UserContext())
		if !ok {
			return c.JSON(map[string]any{"none": true, "pending": Pending(c)})
		}
		return c.JSON(map[string]any{"user": u, "pending": Pending(c), "header": c.Get(HeaderRemoteUser)})
	})
	return app
}

func do(t *testing.T, app *fiber.App, header ...string) (int, http.Header, map[string]any) {
	t.Helper()
	req := httptest.NewRequest("GET", "/who", nil)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := app.Test(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var body map[string]any
	if err := json.Unmarshal(raw, &body); err != nil {
		t.Fatalf("body %s: %v", raw, err)
	}
	return resp.StatusCode, resp.Header, body
}

var testTokens = tokenFunc(func(tok string) (User, error) {
	switch tok {
	case "alice-token":
		return User{Name: "alice", Groups: []string{"team-a", AuthenticatedGroup}}, nil
	case "down":
		return User{}, &UnavailableError{Authenticator: "tokenreview", Err: errors.New("no route to host")}
	}
	return User{}, errors.New("token refused by the Kubernetes API server: invalid bearer token")
})

func TestMiddleware(t *testing.T) {
	app := newTestApp(Options{Tokens: testTokens})

	t.Run("open routes stay open", func(t *testing.T) {
		resp, err := app.Test(httptest.NewRequest("GET", "/healthz", nil))
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("healthz: %d", resp.StatusCode)
		}
	})
	t.Run("no credentials is 401 problem+json with a challenge", func(t *testing.T) {
		status, h, body := do(t, app)
		if status != 401 || body["code"] != CodeUnauthenticated || body["status"] != float64(401) || body["title"] != "Unauthorized" || body["type"] != "about:blank" {
			t.Errorf("%d %v", status, body)
		}
		if h.Get("WWW-Authenticate") != `Bearer realm="aigw-console"` || h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("headers %v", h)
		}
	})
	t.Run("a refused token is 401 invalid_token and not echoed", func(t *testing.T) {
		status, h, body := do(t, app, "Authorization", "Bearer s3cr3t-value")
		if status != 401 || body["code"] != CodeInvalidCredentials || !strings.Contains(h.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%d %v %v", status, h, body)
		}
		if strings.Contains(body["detail"].(string), "s3cr3t-value") || !strings.Contains(body["detail"].(string), "invalid bearer token") {
			t.Errorf("detail %q", body["detail"])
		}
	})
	t.Run("another scheme is 401", func(t *testing.T) {
		if status, _, body := do(t, app, "Authorization", "Basic YWxpY2U6cHc="); status != 401 || !strings.Contains(body["detail"].(string), "Bearer") {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("an accepted token puts the user in the context", func(t *testing.T) {
		status, _, body := do(t, app, "Authorization", "bearer alice-token")
		u, _ := body["user"].(map[string]any)
		if status != 200 || u["name"] != "alice" {
			t.Errorf("%d %v", status, body)
		}
	})
	t.Run("an authenticator that cannot decide is 503 with Retry-After", func(t *testing.T) {
		status, h, body := do(t, app, "Authorization", "Bearer down")
		if status != 503 || h.Get("Retry-After") == "" || body["code"] != CodeAuthenticationUnavailable {
			t.Errorf("%d %v %v", status, h, body)
		}
	})
	t.Run("proxy headers from an untrusted source are ignored and removed", func(t *testing.T) {
		status, _, body := do(t, app, HeaderRemoteUser, "admin", HeaderRemoteGroup, "system:masters")
		if status != 401 {
			t.Errorf("%d %v", status, body)
		}
		status, _, body = do(t, app, HeaderRemoteUser, "admin", "Authorization", "Bearer alice-token")
		if u, _ := body["user"].(map[string]any); status != 200 || u["name"] != "alice" || body["header"] != "" {
			t.Errorf("%d %v", status, body)
		}
	})
}

func TestMiddlewareAnonymousAndDeferred(t *testing.T) {
	deferred := func(c *fiber.Ctx) bool { return c.Get("Upgrade") == "websocket" }
	t.Run("anonymous", func(t *testing.T) {
		app := newTestApp(Options{Tokens: testTokens, AllowAnonymous: true})
		status, _, body := do(t, app)
		u, _ := body["user"].(map[string]any)
		if status != 200 || u["name"] != AnonymousUser || u["groups"].([]any)[0] != UnauthenticatedGroup {
			t.Errorf("%d %v", status, body)
		}
		if status, _, _ := do(t, app, "Authorization", "Bearer wrong"); status != 401 {
			t.Errorf("a refused token with anonymous on: %d, want 401", status)
		}
	})
	t.Run("deferred", func(t *testing.T) {
		app := newTestApp(Options{Tokens: testTokens, Deferred: deferred})
		status, _, body := do(t, app, "Upgrade", "websocket")
		if status != 200 || body["none"] != true || body["pending"] != true {
			t.Errorf("%d %v", status, body)
		}
		status, _, body = do(t, app, "Upgrade", "websocket", "Authorization", "Bearer alice-token")
		if status != 200 || body["pending"] != false {
			t.Errorf("with a header: %d %v", status, body)
		}
	})
}

func TestProxyHeadersFromATrustedSource(t *testing.T) {
	// app.Test's connection comes from 0.0.0.0.
	app := newTestApp(Options{Tokens: testTokens, Proxy: Proxy{Sources: []netip.Prefix{netip.MustParsePrefix("0.0.0.0/32")}}})
	status, _, body := do(t, app, HeaderRemoteUser, "carol", HeaderRemoteGroup, "ops", HeaderRemoteGroup, "dev",
		"X-Remote-Extra-Scopes", "read", "X-Remote-Extra-Acme.com%2Fproject", "p1")
	u, _ := body["user"].(map[string]any)
	if status != 200 || u["name"] != "carol" {
		t.Fatalf("%d %v", status, body)
	}
	groups, _ := json.Marshal(u["groups"])
	extra, _ := json.Marshal(u["extra"])
	if string(groups) != `["ops","dev","system:authenticated"]` || string(extra) != `{"acme.com/project":["p1"],"scopes":["read"]}` {
		t.Errorf("groups %s extra %s", groups, extra)
	}
	if status, _, _ := do(t, app); status != 401 {
		t.Errorf("the proxy without X-Remote-User: %d, want 401", status)
	}
}
