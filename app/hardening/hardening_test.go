package hardening

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"golang.org/x/time/rate"

	"github.com/aigw-console/aigw-console/app/auth"
)

// answer is what the tests look at of a response (its body is closed).
type answer struct {
	StatusCode int
	Header     http.Header
}

func do(t *testing.T, app *fiber.App, method, path string, hdr ...string) answer {
	t.Helper()
	req := httptest.NewRequest(method, path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := app.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	return answer{resp.StatusCode, resp.Header}
}

func errStatus(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		return c.Status(fe.Code).SendString(fe.Message)
	}
	return c.Status(500).SendString(err.Error())
}

func TestSecurityHeadersOnEveryAnswer(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: errStatus})
	app.Use(SecurityHeaders())
	app.Get("/ok", func(c *fiber.Ctx) error { return c.SendString("ok") })
	for _, path := range []string{"/ok", "/missing"} {
		r := do(t, app, "GET", path)
		for h, want := range map[string]string{
			"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "frame-ancestors 'none'",
			"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store",
		} {
			if got := r.Header.Get(h); got != want {
				t.Errorf("%s: %s = %q, want %q", path, h, got, want)
			}
		}
		if r.Header.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS over plain HTTP", path)
		}
	}
}

func TestCORSAllowlist(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: errStatus})
	app.Use(CORS([]string{"https://ui.example.com"}))
	app.Get("/x", func(c *fiber.Ctx) error { return c.SendString("ok") })
	app.Post("/x", func(c *fiber.Ctx) error { return c.SendString("ok") })

	r := do(t, app, "OPTIONS", "/x", "Origin", "https://ui.example.com", "Access-Control-Request-Method", "POST")
	if r.StatusCode != 204 || r.Header.Get("Access-Control-Allow-Origin") != "https://ui.example.com" || r.Header.Get("Access-Control-Allow-Methods") == "" {
		t.Errorf("allowed preflight: %d %v", r.StatusCode, r.Header)
	}
	r = do(t, app, "POST", "/x", "Origin", "https://ui.example.com")
	if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "https://ui.example.com" {
		t.Errorf("allowed write: %d %v", r.StatusCode, r.Header)
	}
	for _, m := range []string{"OPTIONS", "POST"} {
		r = do(t, app, m, "/x", "Origin", "https://evil.example.com", "Access-Control-Request-Method", "POST")
		if r.StatusCode != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("%s from another origin: %d %v", m, r.StatusCode, r.Header)
		}
	}
	r = do(t, app, "GET", "/x", "Origin", "https://evil.example.com")
	if r.StatusCode != 200 || r.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("GET from another origin must get no CORS headers: %d %v", r.StatusCode, r.Header)
	}
	r = do(t, app, "POST", "/x")
	if r.StatusCode != 200 {
		t.Errorf("no Origin: %d", r.StatusCode)
	}
	r = do(t, app, "POST", "http://console.local/x", "Origin", "http://console.local")
	if r.StatusCode != 200 {
		t.Errorf("same origin: %d", r.StatusCode)
	}
}

func TestRateLimitPerUser(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLimiter(RateLimitOptions{QPS: 2, Burst: 3, MaxUsers: 2, Now: func() time.Time { return now }})
	app := fiber.New(fiber.Config{ErrorHandler: errStatus})
	app.Use(func(c *fiber.Ctx) error {
		c.SetUserContext(auth.NewContext(c.UserContext(), auth.User{Name: c.Get("X-User")}))
		return c.Next()
	}, RateLimit(l))
	app.Get("/x", func(c *fiber.Ctx) error { return c.SendString("ok") })
	for i := 0; i < 3; i++ {
		if r := do(t, app, "GET", "/x", "X-User", "alice"); r.StatusCode != 200 {
			t.Fatalf("request %d within the burst: %d", i, r.StatusCode)
		}
	}
	r := do(t, app, "GET", "/x", "X-User", "alice")
	if r.StatusCode != 429 || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("past the burst: %d Retry-After %q", r.StatusCode, r.Header.Get("Retry-After"))
	}
	if r := do(t, app, "GET", "/x", "X-User", "bob"); r.StatusCode != 200 {
		t.Errorf("another user is limited by alice: %d", r.StatusCode)
	}
	now = now.Add(500 * time.Millisecond) // one token back at 2 qps
	if r := do(t, app, "GET", "/x", "X-User", "alice"); r.StatusCode != 200 {
		t.Errorf("after the refill: %d", r.StatusCode)
	}
	do(t, app, "GET", "/x", "X-User", "carol")
	do(t, app, "GET", "/x", "X-User", "dave")
	if l.Len() != 2 {
		t.Errorf("buckets kept: %d, want at most 2", l.Len())
	}
	if NewLimiter(RateLimitOptions{}) != nil {
		t.Error("QPS 0 must turn the limit off")
	}
}

// TestLimiterAsAThrottle: one token per refused credential; Wait peeks
// without taking and says how long until the next one.
func TestLimiterAsAThrottle(t *testing.T) {
	now := time.Unix(1000, 0)
	l := NewLimiter(RateLimitOptions{QPS: 0.5, Burst: 2, Now: func() time.Time { return now }})
	var th auth.Throttle = l
	if w := th.Wait("192.0.2.1"); w != 0 {
		t.Errorf("a client never seen waits %s", w)
	}
	th.Refused("192.0.2.1")
	if w := th.Wait("192.0.2.1"); w != 0 {
		t.Errorf("after one of two refusals: wait %s", w)
	}
	th.Refused("192.0.2.1")
	for range 3 { // peeking takes nothing
		if w := th.Wait("192.0.2.1"); w != 2*time.Second {
			t.Errorf("with the budget spent: wait %s, want 2s (one token at 0.5/s)", w)
		}
	}
	now = now.Add(1500 * time.Millisecond)
	if w := th.Wait("192.0.2.1"); w != 500*time.Millisecond {
		t.Errorf("1.5s later: wait %s, want 500ms", w)
	}
	now = now.Add(500 * time.Millisecond)
	if w := th.Wait("192.0.2.1"); w != 0 {
		t.Errorf("2s later: wait %s, want 0", w)
	}
	if w := th.Wait("192.0.2.2"); w != 0 {
		t.Errorf("another client waits %s", w)
	}
}

func TestTimeoutAnswers504(t *testing.T) {
	app := fiber.New(fiber.Config{ErrorHandler: errStatus})
	app.Use(Timeout(20*time.Millisecond, "/ws"))
	slow := func(c *fiber.Ctx) error {
		select {
		case <-c.UserContext().Done():
			return c.UserContext().Err()
		case <-time.After(200 * time.Millisecond):
			return c.SendString("done")
		}
	}
	app.Get("/slow", slow)
	app.Get("/answered", func(c *fiber.Ctx) error {
		<-c.UserContext().Done()
		return c.Status(503).SendString("checker unavailable")
	})
	// A client-side throttle that would have to wait past the deadline
	// fails at once, before the deadline, with an error that wraps
	// nothing (client-go's rate limiter, as seen from a SubjectAccessReview).
	throttle := rate.NewLimiter(rate.Every(time.Minute), 1)
	throttle.Allow()
	app.Get("/throttled", func(c *fiber.Ctx) error {
		if err := throttle.Wait(c.UserContext()); err != nil {
			return fmt.Errorf("could not check access: %v", err) //nolint:errorlint // as the error arrives: unwrapped
		}
		return c.SendString("done")
	})
	app.Get("/failed", func(*fiber.Ctx) error { return errors.New("a failure of its own") })
	app.Get("/ws", slow)
	if r := do(t, app, "GET", "/throttled"); r.StatusCode != 504 {
		t.Errorf("throttled past the deadline: %d, want 504", r.StatusCode)
	}
	if r := do(t, app, "GET", "/failed"); r.StatusCode != 500 {
		t.Errorf("a failure before the deadline: %d, want 500", r.StatusCode)
	}
	if r := do(t, app, "GET", "/slow"); r.StatusCode != 504 {
		t.Errorf("slow: %d, want 504", r.StatusCode)
	}
	if r := do(t, app, "GET", "/answered"); r.StatusCode != 504 {
		t.Errorf("a 503 written after the deadline: %d, want 504", r.StatusCode)
	}
	if r := do(t, app, "GET", "/ws"); r.StatusCode != 200 {
		t.Errorf("exempt path: %d, want 200", r.StatusCode)
	}
}

// writePair writes a self-signed certificate with serial and its key.
func writePair(t *testing.T, certFile, keyFile string, serial int64) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCertReloaderPicksUpNewPairAndKeepsOldOnBadPair(t *testing.T) {
	dir := t.TempDir()
	cf, kf := filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	writePair(t, cf, kf, 1)
	r, err := NewCertReloader(cf, kf, nil)
	if err != nil {
		t.Fatal(err)
	}
	serial := func() string {
		c, err := r.GetCertificate(&tls.ClientHelloInfo{})
		if err != nil {
			t.Fatal(err)
		}
		return c.Leaf.SerialNumber.String()
	}
	if s := serial(); s != "1" {
		t.Fatalf("serial %s", s)
	}
	writePair(t, cf, kf, 2)
	if s := serial(); s != "2" {
		t.Fatalf("after rewrite: serial %s, want 2", s)
	}
	// Half written: the certificate cut short.
	raw, _ := os.ReadFile(cf)
	if err := os.WriteFile(cf, raw[:len(raw)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	if s := serial(); s != "2" {
		t.Fatalf("half-written pair: serial %s, want the old 2", s)
	}
	writePair(t, cf, kf, 3)
	if s := serial(); s != "3" {
		t.Fatalf("after repair: serial %s, want 3", s)
	}
	if _, err := NewCertReloader(cf, "", nil); err == nil {
		t.Error("a cert without key must be refused")
	}
}
