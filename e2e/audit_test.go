package e2e

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/app/audit"
	"github.com/aigw-console/aigw-console/app/stream"
)

// auditRecord returns the one audit record of requestID (failing the test
// when there is not exactly one).
func auditRecord(t *testing.T, requestID string) audit.Record {
	t.Helper()
	var got []audit.Record
	sc := bufio.NewScanner(bytes.NewReader(suite.audit.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 16<<20)
	for sc.Scan() {
		var r audit.Record
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("audit line %q: %v", sc.Bytes(), err)
		}
		if r.RequestID == requestID {
			got = append(got, r)
		}
	}
	if len(got) != 1 {
		t.Fatalf("request %s: %d audit records, want 1", requestID, len(got))
	}
	return got[0]
}

// auditEvent waits for the Event of rec.
func auditEvent(t *testing.T, rec audit.Record) *corev1.Event {
	t.Helper()
	if rec.Target == nil {
		t.Fatalf("record %s names no object: %+v", rec.RequestID, rec)
	}
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	var ev *corev1.Event
	waitFor(t, 10*time.Second, "the Event of request "+rec.RequestID, func() bool {
		ev, err = cs.CoreV1().Events(rec.Target.Namespace).Get(context.Background(), audit.EventName(rec.Target.Name, rec.RequestID), metav1.GetOptions{})
		return err == nil
	})
	return ev
}

func TestEveryMutatingRequestIsAuditedWithAnEvent(t *testing.T) {
	ns := newNamespace(t)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "deny_team.rego"), []byte(denyTeam), 0o600); err != nil {
		t.Fatal(err)
	}
	con := startConsole(t, func(c *app.Config) { c.PolicyDir = dir })
	canary := newCanary(t)
	providers := con.URL + "/api/v1/providers?namespace=" + ns
	one := func(name string) string { return con.URL + "/api/v1/providers/" + name + "?namespace=" + ns }
	body := func(name, key string) string {
		return `{"name":"` + name + `","template":"openai","auth":{"apiKey":"sk-` + key + `"}}`
	}

	cases := []struct {
		name, method, url, body string
		status                  int
		op, reason, code        string
		check                   func(t *testing.T, r audit.Record)
	}{
		{"create", "POST", providers, body("audited", canary), 201, "create", audit.ReasonApplied, "", func(t *testing.T, r audit.Record) {
			if r.Decision == nil || !r.Decision.Allowed || r.Decision.Revision == "" {
				t.Errorf("decision %+v", r.Decision)
			}
			created := 0
			for _, o := range r.Objects {
				if o.Action == "created" && o.ResourceVersion != "" {
					created++
				}
			}
			if created < 4 || r.Target.ResourceVersion == "" {
				t.Errorf("want every object created with its resourceVersion: %+v (target %+v)", r.Objects, r.Target)
			}
		}},
		{"update", "PUT", one("audited"), body("audited", canary+"-2"), 200, "update", audit.ReasonApplied, "", nil},
		{"dry run", "POST", providers + "&dryRun=true", body("dry", canary), 200, "create", audit.ReasonDryRun, "", func(t *testing.T, r audit.Record) {
			if !r.DryRun {
				t.Error("dryRun not recorded")
			}
		}},
		{"denied by Rego", "POST", providers, body("blocked-x", canary), 422, "create", audit.ReasonDenied, "PolicyDenied", func(t *testing.T, r audit.Record) {
			if r.Decision == nil || r.Decision.Allowed || len(r.Decision.Deny) == 0 || !strings.Contains(r.Decision.Deny[0].Message, "team rule") {
				t.Errorf("decision %+v", r.Decision)
			}
		}},
		{"invalid", "POST", providers, `{"name":"bad","template":"gpt-5","auth":{"apiKey":"sk-` + canary + `"}}`, 422, "create", audit.ReasonInvalid, "", nil},
		{"malformed", "POST", providers, `{"name":"broken","template":"openai","auth":{"apiKey":"sk-` + canary + `"`, 400, "create", audit.ReasonInvalid, "", nil},
		{"delete", "DELETE", one("audited"), "", 200, "delete", audit.ReasonDeleted, "", nil},
	}
	for _, tc := range cases {
		step(t, tc.name, func(t *testing.T) {
			var b any
			if tc.body != "" {
				b = tc.body
			}
			r := callNoLeak(t, canary, tc.method, tc.url, b)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			id := r.Header.Get(audit.RequestIDHeader)
			rec := auditRecord(t, id)
			u, _ := url.Parse(tc.url)
			if rec.Method != tc.method || rec.Path != u.Path || rec.Operation != tc.op || rec.Kind != "provider" || rec.Namespace != ns ||
				rec.Result.Status != tc.status || rec.SourceIP != "127.0.0.1" || rec.Mode != "direct" || rec.Time.IsZero() {
				t.Errorf("record %+v", rec)
			}
			if tc.code != "" && rec.Result.Code != tc.code {
				t.Errorf("code %q, want %q", rec.Result.Code, tc.code)
			}
			if tc.check != nil {
				tc.check(t, rec)
			}
			ev := auditEvent(t, rec)
			if ev.Reason != tc.reason || ev.Annotations[audit.RequestIDAnnotation] != id || ev.InvolvedObject.Kind != "AIServiceBackend" ||
				ev.Source.Component != audit.Component || strings.Contains(ev.Message, canary) {
				t.Errorf("Event: reason %s (want %s), annotations %v, object %+v, message %q", ev.Reason, tc.reason, ev.Annotations, ev.InvolvedObject, ev.Message)
			}
		})
	}

	step(t, "a client's own request ID is kept", func(t *testing.T) {
		r := call(t, "POST", providers+"&dryRun=true", body("mine", canary), "X-Request-Id", "client-chosen-42")
		if r.Header.Get(audit.RequestIDHeader) != "client-chosen-42" {
			t.Fatalf("X-Request-Id %q", r.Header.Get(audit.RequestIDHeader))
		}
		auditRecord(t, "client-chosen-42")
	})
	step(t, "the metrics count records and Events", func(t *testing.T) {
		if v := scrape(t, con, "aigw_console_audit_events_created_total"); v < float64(len(cases)) {
			t.Errorf("events created = %v, want at least %d", v, len(cases))
		}
		if v := scrape(t, con, "aigw_console_audit_events_dropped_total"); v != 0 {
			t.Errorf("events dropped = %v, want 0", v)
		}
		if v := scrape(t, con, `aigw_console_audit_records_total{status="4xx"}`); v != 3 {
			t.Errorf("4xx records = %v, want 3 (denied, invalid, malformed)", v)
		}
	})
	step(t, "no record holds the credential", func(t *testing.T) {
		if bytes.Contains(suite.audit.Bytes(), []byte(canary)) {
			t.Fatal("an audit record holds the canary")
		}
	})
}

func TestRateLimitAnswers429WithRetryAfter(t *testing.T) {
	ns := newNamespace(t)
	con := startConsole(t, func(c *app.Config) { c.Hardening.RateLimitQPS, c.Hardening.RateLimitBurst = 0.5, 3 })
	list := con.URL + "/api/v1/providers?namespace=" + ns
	for i := 0; i < 3; i++ {
		if r := call(t, "GET", list, nil); r.Status != 200 {
			t.Fatalf("request %d within the burst: %d", i, r.Status)
		}
	}
	r := call(t, "POST", list, selfHostedBody("limited"))
	p := r.problem(t)
	if r.Status != 429 || r.Header.Get("Retry-After") != "2" || p.Code != "TooManyRequests" {
		t.Fatalf("past the burst: %d Retry-After %q %+v", r.Status, r.Header.Get("Retry-After"), p)
	}
	rec := auditRecord(t, r.Header.Get(audit.RequestIDHeader))
	if rec.Result.Status != 429 || audit.EventDue(rec) {
		t.Errorf("a 429 is recorded without an Event: %+v", rec)
	}
	if r := call(t, "GET", con.URL+"/healthz", nil); r.Status != 200 {
		t.Errorf("/healthz is outside the limit: %d", r.Status)
	}
}

func TestCORSAndSecurityHeaders(t *testing.T) {
	ns := newNamespace(t)
	const ui, evil = "https://ui.example.com", "https://evil.example.com"
	con := startConsole(t, func(c *app.Config) { c.Hardening.CORSAllowedOrigins = []string{ui} })
	list := con.URL + "/api/v1/providers?namespace=" + ns

	t.Run("security headers on every answer", func(t *testing.T) {
		for _, x := range []struct{ method, path string }{{"GET", "/healthz"}, {"GET", "/api/v1/providers"}, {"GET", "/api/v1/nothing"}, {"POST", "/api/v1/providers?namespace=Bad_NS"}} {
			r := call(t, x.method, con.URL+x.path, nil)
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "frame-ancestors 'none'",
				"X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s %s (%d): %s = %q, want %q", x.method, x.path, r.Status, h, got, want)
				}
			}
			if r.Header.Get(audit.RequestIDHeader) == "" {
				t.Errorf("%s %s: no X-Request-Id", x.method, x.path)
			}
		}
	})
	t.Run("an allowed origin gets CORS headers, its preflight 204", func(t *testing.T) {
		r := call(t, "OPTIONS", list, nil, "Origin", ui, "Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization,content-type")
		if r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != ui || !strings.Contains(r.Header.Get("Access-Control-Allow-Headers"), "Authorization") {
			t.Errorf("preflight: %d %v", r.Status, r.Header)
		}
		r = call(t, "POST", list+"&dryRun=true", selfHostedBody("cors-ok"), "Origin", ui)
		if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != ui {
			t.Errorf("write from the allowed origin: %d %v", r.Status, r.Header)
		}
	})
	t.Run("another origin gets no CORS headers; its preflight and writes are 403 and audited", func(t *testing.T) {
		r := call(t, "OPTIONS", list, nil, "Origin", evil, "Access-Control-Request-Method", "POST")
		if r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("preflight: %d %v", r.Status, r.Header)
		}
		r = call(t, "POST", list, selfHostedBody("cors-evil"), "Origin", evil)
		if r.Status != 403 || r.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("write: %d %v", r.Status, r.Header)
		}
		rec := auditRecord(t, r.Header.Get(audit.RequestIDHeader))
		if ev := auditEvent(t, rec); ev.Reason != audit.ReasonDenied {
			t.Errorf("Event reason %s", ev.Reason)
		}
		if c := call(t, "GET", list, nil, "Origin", evil); c.Status != 200 || c.Header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("read: %d %v", c.Status, c.Header)
		}
	})
}

func TestRequestTimeoutAnswers504AndSparesTheStream(t *testing.T) {
	ns := newNamespace(t)
	con := startConsole(t, func(c *app.Config) { c.Hardening.RequestTimeout = time.Millisecond })
	r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, selfHostedBody("slow"))
	if p := r.problem(t); r.Status != 504 || p.Code != "GatewayTimeout" {
		t.Fatalf("status %d %+v", r.Status, p)
	}
	if rec := auditRecord(t, r.Header.Get(audit.RequestIDHeader)); auditEvent(t, rec).Reason != audit.ReasonFailed {
		t.Error("a 504 gets a ConsoleFailed Event")
	}
	s := dialStream(t, con, false)
	time.Sleep(20 * time.Millisecond)
	s.send(subscribeReq("s", ns, "providers"))
	s.expect(stream.TypeSubscribed, stream.TypeSnapshot)
}

// tlsPair writes a self-signed certificate for 127.0.0.1 with serial,
// key first (as a mounted Secret may change), then the certificate.
func tlsPair(t *testing.T, dir string, serial int64) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "aigw-console"},
		DNSNames: []string{"localhost"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

func TestTLSServingReloadsTheCertificate(t *testing.T) {
	dir := t.TempDir()
	cf, kf := tlsPair(t, dir, 1001)
	con := startConsole(t, func(c *app.Config) { c.Hardening.TLSCertFile, c.Hardening.TLSKeyFile = cf, kf })
	if !strings.HasPrefix(con.URL, "https://") {
		t.Fatalf("URL %s", con.URL)
	}
	addr := strings.TrimPrefix(con.URL, "https://")
	serial := func() string {
		t.Helper()
		conn, err := tls.Dial("tcp", addr, &tls.Config{InsecureSkipVerify: true}) //nolint:gosec // test certificate
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = conn.Close() }()
		return conn.ConnectionState().PeerCertificates[0].SerialNumber.String()
	}
	if s := serial(); s != "1001" {
		t.Fatalf("serial %s, want 1001", s)
	}
	t.Run("HTTPS answers carry HSTS", func(t *testing.T) {
		req, _ := http.NewRequest("POST", con.URL+"/api/v1/providers?namespace=Bad_NS", strings.NewReader("{}"))
		resp, err := insecureClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		suite.captureHTTP(req, resp, raw)
		// Refused either way (400 for the namespace, or 401 with
		// authentication on); the headers are what matter here.
		if resp.Header.Get("Strict-Transport-Security") == "" || resp.StatusCode < 400 {
			t.Errorf("%d, HSTS %q", resp.StatusCode, resp.Header.Get("Strict-Transport-Security"))
		}
	})
	t.Run("the next handshake after a change sees the new certificate", func(t *testing.T) {
		tlsPair(t, dir, 1002)
		if s := serial(); s != "1002" {
			t.Fatalf("serial %s, want 1002", s)
		}
	})
	t.Run("a half-written pair keeps the old certificate", func(t *testing.T) {
		raw, err := os.ReadFile(cf)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cf, raw[:len(raw)/2], 0o600); err != nil {
			t.Fatal(err)
		}
		if s := serial(); s != "1002" {
			t.Fatalf("serial %s, want the old 1002", s)
		}
		tlsPair(t, dir, 1003)
		if s := serial(); s != "1003" {
			t.Fatalf("serial %s, want 1003", s)
		}
	})
}

func TestGitScanFindsACanary(t *testing.T) {
	// The suite's Git scan must be able to fail: a repository holding a
	// canary in a blob is found (this repository is not registered).
	dir := t.TempDir()
	needle := "CANARY-git-scan-control"
	for _, args := range [][]string{{"init", "-q"}, {"config", "user.email", "e2e@example.com"}, {"config", "user.name", "e2e"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "secret.yaml"), []byte("apiKey: "+needle+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"add", "."}, {"commit", "-q", "-m", "x"}} {
		if out, err := exec.Command("git", append([]string{"-C", dir}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v: %s", args, err, out)
		}
	}
	n, hits, err := scanRepo(filepath.Join(dir, ".git"), [][]byte{[]byte(needle)})
	if err != nil || n != 3 || len(hits) != 1 || !strings.Contains(hits[0], "blob") {
		t.Fatalf("scan: %d objects, hits %v, err %v", n, hits, err)
	}
	// The same through the suite's scan of a registered folder (a bare
	// clone next to the work tree), on a capture of its own.
	if out, err := exec.Command("git", "clone", "-q", "--bare", dir, filepath.Join(dir, "remote.git")).CombinedOutput(); err != nil {
		t.Fatalf("git clone: %v: %s", err, out)
	}
	c := &capture{logs: &lockedBuffer{}, audit: &lockedBuffer{}, consoles: map[string]bool{}, canaries: map[string]bool{needle: true}}
	c.scanGit(dir)
	if c.git.repos != 2 || c.git.objects != 6 || len(c.git.fails) != 2 {
		t.Fatalf("scanGit: %d repositories, %d objects, findings %v", c.git.repos, c.git.objects, c.git.fails)
	}
}

func TestSuiteChecksCanFail(t *testing.T) {
	// The suite-level checks run on the whole suite's capture; here the same
	// checks run on a small capture of their own that breaks each rule once.
	c := &capture{logs: &lockedBuffer{}, audit: &lockedBuffer{}, consoles: map[string]bool{"127.0.0.1:1": true}, canaries: map[string]bool{}, label: "(self-check) "}
	const canary = "CANARY-self-check-0001"
	c.canaries[canary] = true
	_, _ = c.logs.Write([]byte("a log line\n"))
	c.frames = append(c.frames, []byte(`{"data":"`+base64.StdEncoding.EncodeToString([]byte("key="+canary))+`"}`))
	req, _ := http.NewRequest("POST", "http://127.0.0.1:1/api/v1/providers", nil)
	req.Header.Set("Authorization", "Bearer tok-self-check-0001")
	c.captureHTTP(req, &http.Response{StatusCode: 201, Header: http.Header{"X-Request-Id": {"no-record"}}}, []byte(`{"token":"tok-self-check-0001"}`))
	rec, _ := json.Marshal(audit.Record{RequestID: "orphan", Method: "DELETE", Path: "/api/v1/routes/x", Result: audit.Result{Status: 200}})
	_, _ = c.audit.Write(append(rec, '\n'))

	fails := strings.Join(append(c.checkAudit(), c.checkCanaries()...), "\n")
	for _, want := range []string{"request no-record: 0 audit records, want 1", "audit record orphan", "a canary", "in a WebSocket frame",
		"(tok-self-check-0001) appears in the answer to POST /api/v1/providers"} {
		if !strings.Contains(fails, want) {
			t.Errorf("the checks did not report %q:\n%s", want, fails)
		}
	}
}

func TestAuditLogFile(t *testing.T) {
	ns := newNamespace(t)
	path := filepath.Join(t.TempDir(), "audit.jsonl")
	con := startConsole(t, func(c *app.Config) { c.Audit.Log, c.Audit.LogPath = nil, path })
	r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns+"&dryRun=true", selfHostedBody("to-file"))
	if r.Status != 200 {
		t.Fatalf("dry run: %d %s", r.Status, r.Body)
	}
	con.stop()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The suite's audit check sees this console's records through the file.
	_, _ = suite.audit.Write(raw)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v, want 0600", fi.Mode().Perm())
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	var rec audit.Record
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &rec) != nil || rec.RequestID != r.Header.Get(audit.RequestIDHeader) || !rec.DryRun {
		t.Errorf("audit log file: %q", raw)
	}
}
