package api

import (
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/aigw-console/aigw-console/app/audit"
)

// TestUnroutedIsToldOfAnswersBeforeTheMiddleware: a body over the limit
// (413) and a request head over the read buffer (431) are refused by the
// HTTP server before any middleware runs; Unrouted hears of them (to audit
// them), and of nothing that went through the middleware.
func TestUnroutedIsToldOfAnswersBeforeTheMiddleware(t *testing.T) {
	type call struct {
		status int
		code   string
	}
	var calls []call
	app := New(Options{
		Reader:     openAPIReader{},
		BodyLimit:  64,
		Middleware: []fiber.Handler{audit.RequestID()},
		Unrouted:   func(_ *fiber.Ctx, status int, code, _ string) { calls = append(calls, call{status, code}) },
	})
	// A real listener: app.Test refuses the body itself.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = app.Listener(ln) }()
	t.Cleanup(func() { _ = app.Shutdown() })
	do := func(method, path, body string) int {
		t.Helper()
		req, _ := http.NewRequest(method, "http://"+ln.Addr().String()+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		return resp.StatusCode
	}
	if got := do("POST", "/api/v1/providers?namespace=a", `{"name":"`+strings.Repeat("x", 100)+`"}`); got != 413 {
		t.Fatalf("oversized body: %d, want 413", got)
	}
	if len(calls) != 1 || calls[0] != (call{413, "RequestEntityTooLarge"}) {
		t.Fatalf("Unrouted calls %+v, want one 413 RequestEntityTooLarge", calls)
	}
	// A request head over the read buffer (4 KiB) is 431, also before any
	// middleware.
	if got := do("DELETE", "/api/v1/routes/"+strings.Repeat("%E0", 2000)+"?namespace=a", ""); got != 431 {
		t.Fatalf("oversized request line: %d, want 431", got)
	}
	if len(calls) != 2 || calls[1] != (call{431, "RequestHeaderFieldsTooLarge"}) {
		t.Fatalf("Unrouted calls %+v, want a second one for 431 RequestHeaderFieldsTooLarge", calls)
	}
	if got := do("POST", "/api/v1/nothing", `{}`); got != 404 {
		t.Fatalf("unknown route: %d, want 404", got)
	}
	if len(calls) != 2 {
		t.Errorf("Unrouted heard of a request that went through the middleware: %+v", calls)
	}
}
