package e2e

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/e2e/harness"
)

// env is the API server every test in this package shares.
var env *harness.Env

// TestMain runs the suite-level checks (suite_test.go) after every test.
func TestMain(m *testing.M) { os.Exit(harness.MainWith(m, &env, suiteChecks)) }

// adminTokenOnce mints the admin's bearer token once per package.
var adminTokenOnce = sync.OnceValues(func() (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return env.AdminToken(ctx)
})

// adminToken is the bearer token of the harness's cluster admin, which
// every request to a console sends unless a test says otherwise.
func adminToken(t testing.TB) string {
	t.Helper()
	tok, err := adminTokenOnce()
	if err != nil {
		t.Fatalf("admin token: %v", err)
	}
	return tok
}

// bearer returns the Authorization header of the admin.
func bearer(t testing.TB) http.Header {
	return http.Header{"Authorization": {"Bearer " + adminToken(t)}}
}

// adminClient returns a controller-runtime client for the cluster admin.
func adminClient(t *testing.T) client.Client { return env.Client(t) }

// newNamespace creates a fresh namespace and returns its name.
func newNamespace(t *testing.T) string { return env.Namespace(t) }

// console is one in-process aigw-console serving on a loopback port.
type console struct {
	URL  string
	stop func()
}

// startConsole runs the console against the test API server with the
// admin's identity, waits until /readyz is 200 and stops it when the test
// ends.
func startConsole(t testing.TB, mutate ...func(*app.Config)) *console {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cfg := app.Config{
		RestConfig:    env.Admin,
		ListenAddress: "127.0.0.1:0",
		Logger:        slog.New(slog.NewJSONHandler(suite.logs, nil)),
		Version:       "e2e",
	}
	for _, m := range mutate {
		m(&cfg)
	}
	// The suite's audit check reads every console's records, also when a
	// test replaced the whole Config.
	if cfg.Audit.Log == nil && cfg.Audit.LogPath == "" {
		cfg.Audit.Log = suite.audit
	}
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, cfg, func(a net.Addr) { addrs <- a }) }()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		cancel()
		t.Fatalf("console exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		cancel()
		t.Fatal("console did not listen within 30s")
	}
	c := &console{URL: "http://" + addr.String()}
	if cfg.Hardening.TLSCertFile != "" {
		c.URL = "https://" + addr.String()
	}
	suite.addConsole(addr.String())
	stopped := false
	c.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Errorf("console exited with: %v", err)
		}
	}
	t.Cleanup(c.stop)
	waitFor(t, 30*time.Second, "console /readyz 200", func() bool {
		resp, err := insecureClient.Get(c.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return c
}

// waitFor polls cond every 50ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
