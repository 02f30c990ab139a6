package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/aigw-console/aigw-console/app"
	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/audit"
	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/authz"
	"github.com/aigw-console/aigw-console/app/stream"
)

// whoamiPolicy is a team policy that refuses every provider named whoami-*
// with a message naming the caller as the policy input has it: a dry run
// of such a provider tells who the console thinks the caller is.
const whoamiPolicy = `package aigw.whoami

deny contains {"msg": sprintf("caller %s groups %s", [input.user.name, concat(",", sort(input.user.groups))]), "field": "name"} if {
	input.kind == "provider"
	some obj in input.objects
	startswith(obj.metadata.labels["aigw-console.io/provider"], "whoami-")
}
`

// whoamiConsole starts a console with whoamiPolicy and mutate applied.
func whoamiConsole(t *testing.T, mutate ...func(*app.Config)) *console {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "whoami.rego"), []byte(whoamiPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	return startConsole(t, append([]func(*app.Config){func(c *app.Config) { c.PolicyDir = dir }}, mutate...)...)
}

// whoami returns "caller <name> groups <g1,g2>" for the credentials in
// headers, from the policy input of a dry run.
func whoami(t *testing.T, con *console, ns string, headers ...string) string {
	t.Helper()
	r := call(t, "POST", con.URL+"/api/v1/providers?dryRun=true&namespace="+ns, selfHostedBody("whoami-x"), headers...)
	p := r.problem(t)
	if r.Status != 422 || p.Code != "PolicyDenied" || len(p.Causes) != 1 {
		t.Fatalf("whoami: status %d %+v", r.Status, p)
	}
	return p.Causes[0].Message
}

func wsURL(con *console) string { return "ws" + strings.TrimPrefix(con.URL, "http") + "/api/v1/ws" }

func TestAuthenticationIsRequired(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t)
	con := whoamiConsole(t)
	// A real ServiceAccount token from the TokenRequest API. The binding
	// lets it do everything once writes and reads are authorized per user.
	saToken, err := env.ServiceAccountToken(ctx, ns, "ci", "cluster-admin")
	if err != nil {
		t.Fatal(err)
	}
	saUser := "system:serviceaccount:" + ns + ":ci"
	saAuth := "Bearer " + saToken

	step(t, "without credentials the API is 401 problem+json with a Bearer challenge; health, readiness and metrics stay open", func(t *testing.T) {
		for _, rq := range []struct{ method, path string }{
			{"GET", "/api/v1/providers"}, {"GET", "/api/v1/version"}, {"POST", "/api/v1/providers?namespace=" + ns},
			{"GET", "/api/v1/resources/secrets"}, {"DELETE", "/api/v1/routes/x"}, {"GET", "/api/v1/nothing"},
		} {
			var body any
			if rq.method == "POST" {
				body = selfHostedBody("anon")
			}
			r := call(t, rq.method, con.URL+rq.path, body, "Authorization", "")
			p := r.problem(t)
			if r.Status != 401 || p.Status != 401 || p.Code != "Unauthenticated" || !strings.Contains(p.Detail, "Authorization: Bearer") {
				t.Errorf("%s %s: %d %+v", rq.method, rq.path, r.Status, p)
			}
			if r.Header.Get("WWW-Authenticate") != `Bearer realm="aigw-console"` || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("%s %s: headers %v", rq.method, rq.path, r.Header)
			}
		}
		for _, path := range []string{"/healthz", "/readyz", "/metrics"} {
			if r := call(t, "GET", con.URL+path, nil, "Authorization", ""); r.Status != 200 {
				t.Errorf("GET %s without credentials: %d", path, r.Status)
			}
		}
		if exists(t, adminClient(t), ns, "anon", &aigv1b1.AIServiceBackend{}) {
			t.Error("the unauthenticated POST created something")
		}
	})

	step(t, "a wrong token is 401 invalid_token, on REST and on the WebSocket upgrade", func(t *testing.T) {
		r := call(t, "GET", con.URL+"/api/v1/providers", nil, "Authorization", "Bearer not-a-real-token")
		if p := r.problem(t); r.Status != 401 || p.Code != "InvalidCredentials" || !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("%d %+v %v", r.Status, p, r.Header)
		}
		if strings.Contains(string(r.Body), "not-a-real-token") {
			t.Error("the answer echoes the token")
		}
		ws, resp, err := websocket.DefaultDialer.Dial(wsURL(con), http.Header{"Authorization": {"Bearer not-a-real-token"}})
		if err == nil {
			_ = ws.Close()
			t.Fatal("the upgrade with a wrong token was accepted")
		}
		if resp == nil || resp.StatusCode != 401 {
			t.Fatalf("upgrade with a wrong token: %v %v", resp, err)
		}
		_ = resp.Body.Close()
	})

	step(t, "a ServiceAccount token is accepted through TokenReview and the policy input names its user", func(t *testing.T) {
		if r := call(t, "GET", con.URL+"/api/v1/providers?namespace="+ns, nil, "Authorization", saAuth); r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		got := whoami(t, con, ns, "Authorization", saAuth)
		want := "caller " + saUser + " groups system:authenticated,system:serviceaccounts,system:serviceaccounts:" + ns
		if got != want {
			t.Errorf("policy input:\n got %s\nwant %s", got, want)
		}
	})

	step(t, "WebSocket: a token in the upgrade request's Authorization header", func(t *testing.T) {
		c := dialStreamWith(t, con, false, http.Header{"Authorization": {saAuth}})
		c.send(subscribeReq("a", ns, "providers"))
		c.expect(stream.TypeSubscribed, stream.TypeSnapshot)
	})

	step(t, "WebSocket: a token in the first message (browsers)", func(t *testing.T) {
		c := dialStreamWith(t, con, false, nil)
		c.sendJSON(stream.AuthenticateRequest{Type: stream.TypeAuthenticate, Token: saToken})
		m := c.expect(stream.TypeAuthenticated)[0]
		var d stream.AuthenticatedData
		if err := json.Unmarshal(m.env.Data, &d); err != nil || d.User != saUser {
			t.Errorf("authenticated: %s (%v)", m.raw, err)
		}
		if strings.Contains(string(m.raw), saToken) {
			t.Error("the answer echoes the token")
		}
		c.send(subscribeReq("b", ns, "providers"))
		c.expect(stream.TypeSubscribed, stream.TypeSnapshot)
		c.sendJSON(stream.AuthenticateRequest{Type: stream.TypeAuthenticate, Token: saToken})
		if m := c.expect(stream.TypeError)[0]; !strings.Contains(string(m.raw), stream.CodeAlreadyAuthenticated) {
			t.Errorf("second authenticate: %s", m.raw)
		}
	})

	step(t, "WebSocket: anything else first closes with 1008", func(t *testing.T) {
		c := dialStreamWith(t, con, false, nil)
		c.send(subscribeReq("c", ns, "providers"))
		if code := c.closeCode(5 * time.Second); code != websocket.ClosePolicyViolation {
			t.Errorf("close code %d, want 1008", code)
		}
	})

	step(t, "WebSocket: a refused token in the first message closes with 1008", func(t *testing.T) {
		c := dialStreamWith(t, con, false, nil)
		c.sendJSON(stream.AuthenticateRequest{Type: stream.TypeAuthenticate, Token: "not-a-real-token"})
		if code := c.closeCode(5 * time.Second); code != websocket.ClosePolicyViolation {
			t.Errorf("close code %d, want 1008", code)
		}
	})

	step(t, "WebSocket: 10 s without the authenticate message closes with 1008", func(t *testing.T) {
		start := time.Now()
		c := dialStreamWith(t, con, false, nil)
		code := c.closeCode(20 * time.Second)
		took := time.Since(start)
		if code != websocket.ClosePolicyViolation || took < 9*time.Second || took > 15*time.Second {
			t.Errorf("close code %d after %s, want 1008 after about 10s", code, took)
		}
		t.Logf("closed with %d after %s", code, took.Round(10*time.Millisecond))
	})
}

func TestAnonymousAccessOnlyWhenEnabled(t *testing.T) {
	ns := newNamespace(t)
	con := whoamiConsole(t, func(c *app.Config) { c.Auth.AllowAnonymous = true })
	// Anonymous callers are authorized like everyone else, by RBAC: nothing
	// until a Role grants it (here to the group system:unauthenticated).
	if r := call(t, "GET", con.URL+"/api/v1/providers?namespace="+ns, nil, "Authorization", ""); r.Status != 403 {
		t.Errorf("anonymous list without RBAC: %d %s, want 403", r.Status, r.Body)
	}
	grantRole(t, ns, rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "system:unauthenticated"})
	// The console reuses the denial for its SubjectAccessReview cache TTL.
	waitFor(t, authz.DefaultCacheTTL+5*time.Second, "the anonymous list to be allowed", func() bool {
		return call(t, "GET", con.URL+"/api/v1/providers?namespace="+ns, nil, "Authorization", "").Status == 200
	})
	if got := whoami(t, con, ns, "Authorization", ""); got != "caller system:anonymous groups system:unauthenticated" {
		t.Errorf("anonymous policy input: %s", got)
	}
	if r := call(t, "GET", con.URL+"/api/v1/providers", nil, "Authorization", "Bearer not-a-real-token"); r.Status != 401 {
		t.Errorf("a wrong token with anonymous access on: %d, want 401", r.Status)
	}
	c := dialStreamWith(t, con, false, nil)
	c.send(subscribeReq("anon", ns, "providers"))
	c.expect(stream.TypeSubscribed, stream.TypeSnapshot)
}

// TestTokenReviewsAreCachedBrieflyAndTokensNeverLogged shows the console's
// own cache of accepted TokenReviews (default 10 s): with the API server
// stopped, a token reviewed just before is still accepted (reads come from
// the informer cache), and once the entry expires the console answers 503
// (it cannot review) instead of trusting the token longer.
func TestTokenReviewsAreCachedBrieflyAndTokensNeverLogged(t *testing.T) {
	if env.ControlPlane == nil {
		t.Skip("needs the local control plane: an external cluster's API server cannot be stopped")
	}
	ctx := context.Background()
	ns := newNamespace(t)
	logs := &lockedBuffer{}
	con := startConsole(t, func(c *app.Config) {
		c.Logger = slog.New(slog.NewJSONHandler(io.MultiWriter(logs, suite.logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	tok, err := env.ServiceAccountToken(ctx, ns, "reviewed", "cluster-admin")
	if err != nil {
		t.Fatal(err)
	}
	list := con.URL + "/api/v1/providers?namespace=" + ns
	if r := call(t, "GET", list, nil, "Authorization", "Bearer not-a-real-token"); r.Status != 401 {
		t.Fatalf("a wrong token: %d", r.Status)
	}
	if r := call(t, "GET", list, nil, "Authorization", "Bearer "+tok); r.Status != 200 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	reviewed := time.Now()

	running := true
	t.Cleanup(func() {
		if !running {
			_ = env.ControlPlane.StartAPIServer(context.Background())
		}
	})
	if err := env.ControlPlane.StopAPIServer(); err != nil {
		t.Fatal(err)
	}
	running = false
	if r := call(t, "GET", list, nil, "Authorization", "Bearer "+tok); time.Since(reviewed) < 9*time.Second && r.Status != 200 {
		t.Errorf("with the API server down, %s after the review: %d, want 200 from the cached review", time.Since(reviewed).Round(time.Millisecond), r.Status)
	}
	var last response
	waitFor(t, 20*time.Second, "the cached review to expire", func() bool {
		last = call(t, "GET", list, nil, "Authorization", "Bearer "+tok)
		return last.Status != 200
	})
	expired := time.Since(reviewed)
	t.Logf("the cached review expired %s after it was made (TTL 10s)", expired.Round(10*time.Millisecond))
	if p := last.problem(t); last.Status != 503 || p.Code != "AuthenticationUnavailable" || last.Header.Get("Retry-After") == "" {
		t.Errorf("after the TTL with the API server down: %d %+v, want 503 AuthenticationUnavailable", last.Status, p)
	}
	if expired < 9500*time.Millisecond || expired > 15*time.Second {
		t.Errorf("the review was trusted for %s, want about 10s", expired)
	}

	sctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := env.ControlPlane.StartAPIServer(sctx); err != nil {
		t.Fatal(err)
	}
	running = true
	waitFor(t, 30*time.Second, "the token to be accepted again", func() bool {
		return call(t, "GET", list, nil, "Authorization", "Bearer "+tok).Status == 200
	})

	if !strings.Contains(logs.String(), "authentication refused") || !strings.Contains(logs.String(), "authentication unavailable") {
		t.Errorf("refusals and failures are not logged:\n%.3000s", logs.String())
	}
	for _, secret := range []string{tok, adminToken(t), "not-a-real-token"} {
		if strings.Contains(logs.String(), secret) {
			t.Fatal("a bearer token appears in the console's log")
		}
	}
}

func TestAuthProxyHeadersOnlyFromTrustedSources(t *testing.T) {
	ns := newNamespace(t)
	headers := []string{"Authorization", "", "X-Remote-User", "proxied-user", "X-Remote-Group", "g1"}
	// The proxied user is authorized by RBAC through the group the proxy
	// names.
	grantRole(t, ns, rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "g1"})
	t.Run("trusted: the proxy names the user", func(t *testing.T) {
		con := whoamiConsole(t, func(c *app.Config) { c.Auth.ProxyCIDRs = []string{"127.0.0.0/8"} })
		if got := whoami(t, con, ns, headers...); got != "caller proxied-user groups g1,system:authenticated" {
			t.Errorf("policy input: %s", got)
		}
	})
	t.Run("untrusted: the headers are ignored", func(t *testing.T) {
		con := whoamiConsole(t, func(c *app.Config) { c.Auth.ProxyCIDRs = []string{"192.0.2.0/24"} })
		if r := call(t, "GET", con.URL+"/api/v1/providers", nil, headers...); r.Status != 401 {
			t.Errorf("headers from an untrusted source: %d, want 401", r.Status)
		}
		got := whoami(t, con, ns, "X-Remote-User", "proxied-user")
		if strings.Contains(got, "proxied-user") {
			t.Errorf("an untrusted X-Remote-User reached the policy input: %s", got)
		}
	})
}

// tokenReviews reads how many TokenReviews the API server has answered
// (its apiserver_request_total metric).
func tokenReviews(t *testing.T) int {
	t.Helper()
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := cs.RESTClient().Get().AbsPath("/metrics").DoRaw(context.Background())
	if err != nil {
		t.Fatalf("the API server's /metrics: %v", err)
	}
	n := 0
	for _, line := range strings.Split(string(raw), "\n") {
		if strings.HasPrefix(line, "apiserver_request_total{") && strings.Contains(line, `resource="tokenreviews"`) && strings.Contains(line, `verb="POST"`) {
			f := strings.Fields(line)
			v, err := strconv.ParseFloat(f[len(f)-1], 64)
			if err != nil {
				t.Fatalf("metric line %q: %v", line, err)
			}
			n += int(v)
		}
	}
	return n
}

// TestRefusedTokensAreThrottledPerClient: a client that keeps presenting
// refused tokens spends its budget; then no new token from its address is
// checked (no TokenReview reaches the API server) and it gets 429 with
// Retry-After, on REST and on the WebSocket's authenticate message; a token
// accepted within the hour still works from there.
func TestRefusedTokensAreThrottledPerClient(t *testing.T) {
	const budget = 3
	ns := newNamespace(t)
	con := startConsole(t, func(c *app.Config) { c.Auth.FailuresPerMinute = budget })
	list := con.URL + "/api/v1/providers?namespace=" + ns
	if r := call(t, "GET", list, nil); r.Status != 200 {
		t.Fatalf("the admin token: %d", r.Status)
	}
	for i := range budget {
		r := call(t, "GET", list, nil, "Authorization", "Bearer not-a-token-"+strconv.Itoa(i))
		if p := r.problem(t); r.Status != 401 || p.Code != "InvalidCredentials" {
			t.Fatalf("refused token %d: %d %+v", i, r.Status, p)
		}
	}
	before := tokenReviews(t)
	for _, tc := range []struct{ method, url, token string }{
		{"GET", list, "not-a-token-again"},
		{"GET", list, adminToken(t) + "x"}, // an unseen token: it would need a review
		{"POST", list, "not-a-token-either"},
	} {
		r := call(t, tc.method, tc.url, selfHostedBody("throttled"), "Authorization", "Bearer "+tc.token)
		p := r.problem(t)
		if r.Status != 429 || p.Code != auth.CodeTooManyAuthenticationFailures || r.Header.Get("Retry-After") == "" {
			t.Errorf("%s with the budget spent: %d %+v Retry-After %q", tc.method, r.Status, p, r.Header.Get("Retry-After"))
		}
	}
	c := dialStreamWith(t, con, false, nil)
	c.sendJSON(stream.AuthenticateRequest{Type: stream.TypeAuthenticate, Token: "not-a-token-ws"})
	if ce := c.closeFrame(5 * time.Second); ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "too many refused credentials") {
		t.Errorf("WebSocket authenticate with the budget spent: %d %q", ce.Code, ce.Text)
	}
	if after := tokenReviews(t); after != before || before < budget {
		t.Errorf("the API server answered %d TokenReviews for a throttled client, want 0 (%d before, at least the %d refusals)", after-before, before, budget)
	}
	// A token accepted within the hour is still checked from the throttled
	// address: other users behind the same NAT or proxy keep working.
	if r := call(t, "GET", list, nil); r.Status != 200 {
		t.Errorf("the admin token, accepted before, from the throttled address: %d, want 200", r.Status)
	}
}

// TestClientAddressBehindTrustedProxies: with the loopback listed as a
// trusted proxy, the client is the right-most X-Forwarded-For address that
// is not a proxy (what the client wrote further left is ignored): the audit
// record names it, and each client has a refused-token budget of its own.
// Without trusted proxies the header is ignored.
func TestClientAddressBehindTrustedProxies(t *testing.T) {
	ns := newNamespace(t)
	body := selfHostedBody("behind-proxy")
	sourceIP := func(t *testing.T, con *console, xff string) string {
		t.Helper()
		r := call(t, "POST", con.URL+"/api/v1/providers?dryRun=true&namespace="+ns, body, "X-Forwarded-For", xff)
		if r.Status != 200 {
			t.Fatalf("dry run: %d %s", r.Status, r.Body)
		}
		return auditRecord(t, r.Header.Get(audit.RequestIDHeader)).SourceIP
	}

	proxied := startConsole(t, func(c *app.Config) {
		c.Hardening.TrustedProxyCIDRs = []string{"127.0.0.0/8"}
		c.Auth.FailuresPerMinute = 1
	})
	if got := sourceIP(t, proxied, "203.0.113.5, 198.51.100.7"); got != "198.51.100.7" {
		t.Errorf("behind a trusted proxy: source IP %q, want 198.51.100.7", got)
	}
	if got := sourceIP(t, proxied, "198.51.100.7, 127.0.0.9"); got != "198.51.100.7" {
		t.Errorf("behind two trusted proxies: source IP %q, want 198.51.100.7", got)
	}
	list := proxied.URL + "/api/v1/providers?namespace=" + ns
	status := func(client, token string) int {
		return call(t, "GET", list, nil, "Authorization", "Bearer "+token, "X-Forwarded-For", client).Status
	}
	if s1, s2 := status("198.51.100.8", "wrong-1"), status("198.51.100.8", "wrong-2"); s1 != 401 || s2 != 429 {
		t.Errorf("one client's refused tokens: %d then %d, want 401 then 429", s1, s2)
	}
	if s := status("198.51.100.9", "wrong-3"); s != 401 {
		t.Errorf("another client behind the same proxy: %d, want 401 (its own budget)", s)
	}

	direct := startConsole(t)
	if got := sourceIP(t, direct, "198.51.100.7"); got != "127.0.0.1" {
		t.Errorf("without trusted proxies: source IP %q, want the TCP peer 127.0.0.1", got)
	}
}
