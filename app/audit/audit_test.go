package audit

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/policy"
)

const secret = "sk-CANARY-0123456789abcdef"

func TestScrubberRemovesClearAndEncodedValues(t *testing.T) {
	s := NewScrubber([]string{secret})
	for name, in := range map[string]string{
		"clear":            "key " + secret + " leaked",
		"std base64":       base64.StdEncoding.EncodeToString([]byte(secret)),
		"url base64":       base64.RawURLEncoding.EncodeToString([]byte(secret)),
		"embedded, offset": base64.StdEncoding.EncodeToString([]byte("x" + secret + "tail")),
		"embedded, two":    base64.StdEncoding.EncodeToString([]byte("xy" + secret)),
	} {
		out := s.String(in)
		if strings.Contains(out, secret) || !strings.Contains(out, Redacted) {
			t.Errorf("%s: %q → %q", name, in, out)
		}
	}
	if got := s.String("nothing secret"); got != "nothing secret" {
		t.Errorf("untouched text changed: %q", got)
	}
}

func TestSecretsFindsCredentialValues(t *testing.T) {
	body := `{"name":"p","auth":{"type":"APIKey","apiKey":"` + secret + `","aws":{"secretAccessKey":"aws-secret-1"}},` +
		`"data":{"k":"` + base64.StdEncoding.EncodeToString([]byte("decoded-secret")) + `"}}`
	got := strings.Join(Secrets([]byte(body), "Bearer tok-abcdef"), "|")
	for _, want := range []string{secret, "aws-secret-1", "decoded-secret", "tok-abcdef"} {
		if !strings.Contains(got, want) {
			t.Errorf("Secrets missed %q: %s", want, got)
		}
	}
	if strings.Contains(got, "APIKey") || strings.Contains(got, "|p|") {
		t.Errorf("Secrets took non-credential values: %s", got)
	}
	// A malformed body still gives up its credential.
	got = strings.Join(Secrets([]byte(`{"auth":{"apiKey": "`+secret+`",}`), ""), "|")
	if !strings.Contains(got, secret) {
		t.Errorf("malformed body: %s", got)
	}
}

type recordedEvents struct {
	mu     sync.Mutex
	events []Event
	block  chan struct{}
}

func (r *recordedEvents) CreateEvent(ctx context.Context, ev Event) error {
	if r.block != nil {
		select {
		case <-r.block:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, ev)
	return nil
}

func (r *recordedEvents) all() []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Event(nil), r.events...)
}

// testApp is a Fiber app with the audit middleware in front of handlers
// that play the write pipeline.
func testApp(t *testing.T, a *Auditor) *fiber.App {
	app := fiber.New(fiber.Config{ErrorHandler: func(c *fiber.Ctx, err error) error {
		code := fiber.StatusInternalServerError
		var fe *fiber.Error
		if errors.As(err, &fe) {
			code = fe.Code
		}
		return c.Status(code).JSON(map[string]any{"code": http.StatusText(code), "detail": err.Error()})
	}})
	app.Use(recover.New(), RequestID(), a.Middleware())
	app.Use(func(c *fiber.Ctx) error {
		if u := c.Get("X-Test-User"); u != "" {
			c.SetUserContext(auth.NewContext(c.UserContext(), auth.User{Name: u, Groups: []string{"g1"}}))
		}
		return c.Next()
	})
	app.Post("/api/v1/providers", func(c *fiber.Ctx) error {
		d := From(c)
		d.Change("create", "provider", "team-a", c.Query("dryRun") == "true", nil, nil)
		d.Decision(policy.Decision{Revision: "rev1"})
		d.SinkResult(sink.Result{Entries: []sink.Entry{{Ref: sink.Ref{Namespace: "team-a", Name: "p"}, Kind: "AIServiceBackend",
			APIVersion: "aigateway.envoyproxy.io/v1beta1", Action: sink.Created, ResourceVersion: "42"}},
			GitOps: &sink.GitOps{Commit: "abc123", Branch: "main", PullRequest: &sink.PullRequest{URL: "https://forge/pr/1"}}})
		return c.Status(201).JSON(map[string]string{"ok": "yes"})
	})
	app.Delete("/api/v1/routes/:name", func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusUnprocessableEntity, "bad key "+secret)
	})
	app.Put("/api/v1/routes/:name", func(*fiber.Ctx) error { panic("boom") })
	app.Get("/api/v1/providers", func(c *fiber.Ctx) error { return c.SendString("list") })
	return app
}

func newAuditor(t *testing.T, log io.Writer, ev EventWriter, reg prometheus.Registerer, queue int) *Auditor {
	t.Helper()
	a, err := New(Options{Log: log, Events: ev, Registerer: reg, QueueLength: queue})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func records(t *testing.T, buf *bytes.Buffer) []Record {
	t.Helper()
	var out []Record
	for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
		if line == "" {
			continue
		}
		var r Record
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("record %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

func TestMiddlewareWritesOneRecordPerMutatingRequest(t *testing.T) {
	var buf bytes.Buffer
	ev := &recordedEvents{}
	a := newAuditor(t, &buf, ev, nil, 10)
	ctx, cancel := context.WithCancel(context.Background())
	go a.Run(ctx, time.Second)
	app := testApp(t, a)

	type answer struct {
		StatusCode int
		Header     http.Header
	}
	do := func(method, path, body string, hdr ...string) answer {
		req := httptest.NewRequest(method, path, strings.NewReader(body))
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
	r1 := do("POST", "/api/v1/providers?namespace=team-a", `{"name":"p","auth":{"apiKey":"`+secret+`"}}`, "X-Request-Id", "req-1", "X-Test-User", "alice", "Authorization", "Bearer "+secret)
	if r1.StatusCode != 201 || r1.Header.Get(RequestIDHeader) != "req-1" {
		t.Fatalf("create: %d, X-Request-Id %q", r1.StatusCode, r1.Header.Get(RequestIDHeader))
	}
	r2 := do("DELETE", "/api/v1/routes/r1?namespace=team-a", "", "X-Request-Id", "bad id\nwith newline", "Authorization", "Bearer "+secret)
	if got := r2.Header.Get(RequestIDHeader); got == "" || strings.Contains(got, "bad") {
		t.Errorf("an unsafe request ID must be replaced, got %q", got)
	}
	do("PUT", "/api/v1/routes/r1?namespace=team-a", "{}", "X-Test-User", "bob")
	do("GET", "/api/v1/providers", "")
	cancel()
	a.Wait()

	recs := records(t, &buf)
	if len(recs) != 3 {
		t.Fatalf("want 3 records (GET not audited), got %d: %s", len(recs), buf.String())
	}
	if strings.Contains(buf.String(), secret) || strings.Contains(buf.String(), base64.StdEncoding.EncodeToString([]byte(secret))) {
		t.Fatalf("a record holds the secret: %s", buf.String())
	}
	c := recs[0]
	if c.RequestID != "req-1" || c.User != "alice" || len(c.Groups) != 1 || c.Operation != "create" || c.Kind != "provider" ||
		c.Namespace != "team-a" || c.Name != "p" || c.Result.Status != 201 || c.Result.Commit != "abc123" ||
		c.Result.PullRequestURL != "https://forge/pr/1" || c.Decision == nil || !c.Decision.Allowed || c.Decision.Revision != "rev1" ||
		len(c.Objects) != 1 || c.Objects[0].ResourceVersion != "42" || c.Mode != "direct" || c.SourceIP == "" {
		t.Errorf("create record: %+v", c)
	}
	d := recs[1]
	if d.Operation != "delete" || d.Kind != "route" || d.Name != "r1" || d.Result.Status != 422 || !strings.Contains(d.Result.Error, Redacted) {
		t.Errorf("delete record: %+v", d)
	}
	if p := recs[2]; p.Result.Status != 500 || p.Method != "PUT" || p.User != "bob" {
		t.Errorf("panic record: %+v", p)
	}
	evs := ev.all()
	if len(evs) != 3 {
		t.Fatalf("want 3 Events, got %+v", evs)
	}
	want := map[string]string{"req-1": ReasonApplied, d.RequestID: ReasonInvalid, recs[2].RequestID: ReasonFailed}
	for _, e := range evs {
		if want[e.RequestID] != e.Reason || strings.Contains(e.Message, secret) || e.Name != EventName(e.Object.Name, e.RequestID) {
			t.Errorf("event %+v, want reason %s", e, want[e.RequestID])
		}
	}
	if c.Target == nil || c.Target.Kind != "AIServiceBackend" || c.Target.Name != "p" {
		t.Errorf("create record target: %+v", c.Target)
	}
	if evs[0].Object.Kind != "AIServiceBackend" || evs[0].Object.ResourceVersion != "42" {
		t.Errorf("provider Event object: %+v", evs[0].Object)
	}
}

func TestReasons(t *testing.T) {
	for _, tc := range []struct {
		rec  Record
		want string
		due  bool
	}{
		{Record{Name: "x", Kind: "route", Operation: "create", Result: Result{Status: 201}}, ReasonApplied, true},
		{Record{Name: "x", Kind: "route", Operation: "create", DryRun: true, Result: Result{Status: 200}}, ReasonDryRun, true},
		{Record{Name: "x", Kind: "route", Operation: "delete", Result: Result{Status: 200}}, ReasonDeleted, true},
		{Record{Name: "x", Kind: "route", Result: Result{Status: 422, Code: "PolicyDenied"}}, ReasonDenied, true},
		{Record{Name: "x", Kind: "route", Result: Result{Status: 403}}, ReasonDenied, true},
		{Record{Name: "x", Kind: "route", Result: Result{Status: 400}}, ReasonInvalid, true},
		{Record{Name: "x", Kind: "route", Result: Result{Status: 504}}, ReasonFailed, true},
		{Record{Name: "x", Kind: "route", Result: Result{Status: 401}}, "", false},
		{Record{Name: "x", Kind: "route", Result: Result{Status: 429}}, "", false},
		{Record{Name: "x", Kind: "route", Result: Result{Status: 413}}, "", false},
		{Record{Name: "x", Kind: "route", Result: Result{Status: 431}}, "", false},
		{Record{Kind: "route", Result: Result{Status: 400}}, "", false},
		{Record{Name: "x", Kind: "resource", Result: Result{Status: 400}}, "", false},
	} {
		if got := EventDue(tc.rec); got != tc.due {
			t.Errorf("%+v: due %v, want %v", tc.rec, got, tc.due)
			continue
		}
		if r, _ := Reason(tc.rec); tc.due && r != tc.want {
			t.Errorf("%+v: reason %s, want %s", tc.rec, r, tc.want)
		}
	}
}

func TestFullQueueDropsAndCounts(t *testing.T) {
	reg := prometheus.NewRegistry()
	ev := &recordedEvents{block: make(chan struct{})}
	a := newAuditor(t, io.Discard, ev, reg, 1)
	ctx, cancel := context.WithCancel(context.Background())
	go a.Run(ctx, 5*time.Second)
	rec := Record{Name: "x", Namespace: "ns", Kind: "route", Result: Result{Status: 201}}
	for i := 0; i < 5; i++ {
		rec.RequestID = "r" + string(rune('0'+i))
		a.Write(rec, nil)
		time.Sleep(20 * time.Millisecond) // let the worker pick up the first one
	}
	// One in the worker, one queued, three dropped.
	if got := testutil.ToFloat64(a.dropped); got != 3 {
		t.Errorf("dropped: %v, want 3", got)
	}
	close(ev.block)
	cancel()
	a.Wait()
	if got := len(ev.all()); got != 2 {
		t.Errorf("created %d Events, want 2", got)
	}
	if got := testutil.ToFloat64(a.records.WithLabelValues("2xx")); got != 5 {
		t.Errorf("records: %v", got)
	}
}
