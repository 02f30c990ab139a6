package policy

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// denyRule is a team policy that denies every provider with msg.
func denyRule(msg string) string {
	return fmt.Sprintf("package aigw.team_x\n\ndeny contains {\"msg\": %q, \"field\": \"\"} if input.kind == \"provider\"\n", msg)
}

// startRun runs e.Run until the test ends and checks that it returns nil.
func startRun(t *testing.T, e *Engine) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v, want nil", err)
		}
	})
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting until %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// denies reports whether e denies the provider input with exactly msgs
// (besides the default rules, which the input passes).
func denies(t *testing.T, e *Engine, msgs ...string) bool {
	t.Helper()
	d, err := e.Evaluate(context.Background(), providerInput(t))
	if err != nil {
		t.Fatalf("Evaluate: %v", err)
	}
	var got []string
	for _, v := range d.Deny {
		got = append(got, v.Message)
	}
	return strings.Join(got, "|") == strings.Join(msgs, "|")
}

// syncBuffer is a log sink safe for the Run goroutine and the test to share.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func TestRunHotReload(t *testing.T) {
	dir := t.TempDir()
	var logs syncBuffer
	e := newEngine(t, Options{Dir: dir, ReloadInterval: 10 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	startRun(t, e)
	initial := e.Revision()
	if !denies(t, e) {
		t.Fatal("the realistic provider must pass the default policies")
	}

	path := writePolicy(t, dir, "team_x.rego", denyRule("team x freezes providers"))
	eventually(t, "the new rule denies", func() bool { return denies(t, e, "team x freezes providers") })
	reloaded := e.Revision()
	if reloaded == initial {
		t.Error("Revision did not change after a reload")
	}

	writePolicy(t, dir, "team_x.rego", "package aigw.team_x\n\ndeny contains {\n  \"msg\": oops,\n")
	eventually(t, "LastError reports the broken file", func() bool { return e.LastError() != nil })
	if err := e.LastError(); !strings.Contains(err.Error(), path) {
		t.Errorf("LastError %q does not name %s", err, path)
	}
	if !denies(t, e, "team x freezes providers") || e.Revision() != reloaded {
		t.Error("a broken file must keep the previous policy in force")
	}
	if got := strings.Count(logs.String(), "policy reload failed"); got != 1 {
		t.Errorf("the broken file was logged %d times, want once:\n%s", got, logs.String())
	}

	writePolicy(t, dir, "team_x.rego", denyRule("team x freezes providers until Monday"))
	eventually(t, "the fixed file applies", func() bool { return denies(t, e, "team x freezes providers until Monday") })
	if err := e.LastError(); err != nil {
		t.Errorf("LastError = %v after the fix, want nil", err)
	}

	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the removed rule stops denying", func() bool { return denies(t, e) })
	if e.Revision() != initial {
		t.Errorf("removing the only team file gave revision %s, want the initial %s", e.Revision(), initial)
	}
}

func TestRunClearsErrorWhenBrokenFileIsReverted(t *testing.T) {
	dir := t.TempDir()
	writePolicy(t, dir, "team_x.rego", denyRule("frozen"))
	e := newEngine(t, Options{Dir: dir, ReloadInterval: 10 * time.Millisecond})
	startRun(t, e)

	writePolicy(t, dir, "team_x.rego", "package aigw.team_x\n\ndeny contains 1 if {\n")
	eventually(t, "LastError is set", func() bool { return e.LastError() != nil })
	writePolicy(t, dir, "team_x.rego", denyRule("frozen"))
	eventually(t, "LastError is cleared", func() bool { return e.LastError() == nil })
	if !denies(t, e, "frozen") {
		t.Error("the reverted policy must still apply")
	}
}

func TestRunReportsAMissingDirectory(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "policies")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writePolicy(t, dir, "team_x.rego", denyRule("frozen"))
	e := newEngine(t, Options{Dir: dir, ReloadInterval: 10 * time.Millisecond})
	startRun(t, e)

	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	eventually(t, "LastError reports the missing directory", func() bool { return e.LastError() != nil })
	if !denies(t, e, "frozen") {
		t.Error("a missing directory must keep the previous policy in force")
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	writePolicy(t, dir, "team_x.rego", denyRule("frozen"))
	eventually(t, "LastError is cleared", func() bool { return e.LastError() == nil })
}

// TestRunFollowsConfigMapUpdates lays Dir out the way the kubelet mounts a
// ConfigMap: the files live in a timestamped directory, "..data" links to it,
// and each key is a top-level link through "..data". An update writes a new
// timestamped directory and renames a new "..data" link over the old one.
func TestRunFollowsConfigMapUpdates(t *testing.T) {
	dir := t.TempDir()
	publish := func(version, text string) {
		t.Helper()
		data := filepath.Join(dir, "..2026_11_26_"+version)
		if err := os.Mkdir(data, 0o755); err != nil {
			t.Fatal(err)
		}
		writePolicy(t, data, "team_x.rego", text)
		tmp := filepath.Join(dir, "..data_tmp")
		if err := os.Symlink(filepath.Base(data), tmp); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	publish("1", denyRule("version one"))
	if err := os.Symlink(filepath.Join("..data", "team_x.rego"), filepath.Join(dir, "team_x.rego")); err != nil {
		t.Fatal(err)
	}
	// A symlink to a directory is not followed.
	if err := os.Symlink("..data", filepath.Join(dir, "linked-dir")); err != nil {
		t.Fatal(err)
	}

	e := newEngine(t, Options{Dir: dir, ReloadInterval: 10 * time.Millisecond})
	if !denies(t, e, "version one") {
		t.Fatal("the mounted file must be loaded exactly once")
	}
	startRun(t, e)
	publish("2", denyRule("version two"))
	eventually(t, "the updated ConfigMap applies", func() bool { return denies(t, e, "version two") })

	plain := t.TempDir()
	writePolicy(t, plain, "team_x.rego", denyRule("version two"))
	if want := newEngine(t, Options{Dir: plain}).Revision(); e.Revision() != want {
		t.Errorf("Revision %s differs from the same file in a plain directory (%s)", e.Revision(), want)
	}
}

func TestRunWithoutDirWaitsForContext(t *testing.T) {
	e := newEngine(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.Run(ctx) }()
	select {
	case err := <-done:
		t.Fatalf("Run returned %v before ctx ended", err)
	case <-time.After(20 * time.Millisecond):
	}
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
}

// TestEvaluateDuringReload evaluates from many goroutines while Run swaps the
// policy set; run it with -race. Every decision must come from one whole
// policy set: the old rule or the new one, never an error or a mix.
func TestEvaluateDuringReload(t *testing.T) {
	dir := t.TempDir()
	writePolicy(t, dir, "team_x.rego", denyRule("rule 0"))
	e := newEngine(t, Options{Dir: dir, ReloadInterval: time.Millisecond})
	startRun(t, e)

	const rewrites = 5
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 4)
	for range 4 {
		wg.Go(func() {
			in := providerInput(t)
			for ctx.Err() == nil {
				d, err := e.Evaluate(context.Background(), in)
				if err != nil {
					errs <- err
					return
				}
				if len(d.Deny) != 1 || !strings.HasPrefix(d.Deny[0].Message, "rule ") {
					errs <- fmt.Errorf("decision %+v is not from one whole policy set", d)
					return
				}
			}
		})
	}
	for i := 1; i <= rewrites; i++ {
		msg := fmt.Sprintf("rule %d", i)
		writePolicy(t, dir, "team_x.rego", denyRule(msg))
		eventually(t, msg+" applies", func() bool { return denies(t, e, msg) })
	}
	stop()
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
