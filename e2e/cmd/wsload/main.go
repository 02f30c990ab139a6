// Command wsload is the WebSocket load test of BENCHMARKS.md (`make
// wsload`). On loopback only, and bounded in clients and time (it stops by
// itself after --timeout), it:
//
//  1. starts a local control plane (etcd + kube-apiserver from --bin-dir)
//     with the CRDs, and the console binary (--console) as its own process;
//  2. creates one provider through the REST API;
//  3. connects --clients WebSocket clients, each subscribed to the
//     providers of the namespace, and reads the console's RSS before and
//     after (/proc/<pid>/status VmRSS) for the memory per idle connection;
//  4. --changes times, changes one object of the provider by hand (one
//     provider_updated per client) and measures the time from the write to
//     each client's receipt: p50, p99, max;
//  5. stops the console with SIGTERM and counts the clients that got the
//     close frame 1001.
//
// Clients and console share the machine: the latencies include the
// clients' own scheduling.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/fasthttp/websocket"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/dynamic"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/e2e/controlplane"
	"github.com/aigw-console/aigw-console/e2e/harness"
)

func main() {
	if err := run(); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "wsload:", err)
		os.Exit(1)
	}
}

type options struct {
	clients int
	changes int
	timeout time.Duration
	binDir  string
	console string
}

func run() error {
	var o options
	fs := flag.NewFlagSet("wsload", flag.ContinueOnError)
	fs.IntVar(&o.clients, "clients", 2000, "concurrent subscribed WebSocket clients")
	fs.IntVar(&o.changes, "changes", 5, "changes to measure, one after the other")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "the whole run stops after this")
	fs.StringVar(&o.binDir, "bin-dir", ".local/bin", "folder with kube-apiserver and etcd (make tools)")
	fs.StringVar(&o.console, "console", "bin/aigw-console", "the console binary (make build)")
	if err := fs.Parse(os.Args[1:]); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), o.timeout)
	defer cancel()

	step("starting the local control plane")
	cp, err := controlplane.Start(ctx, controlplane.Options{BinDir: o.binDir})
	if err != nil {
		return err
	}
	defer func() { _ = cp.Stop() }()
	if err := harness.InstallCRDs(ctx, cp.Config()); err != nil {
		return err
	}
	kubeconfig := filepath.Join(cp.Dir(), "wsload.kubeconfig")
	if err := cp.WriteKubeconfig(kubeconfig, controlplane.AdminUser); err != nil {
		return err
	}

	// The console authenticates every request: the local admin's token.
	token := cp.Config().BearerToken

	step("starting the console")
	con, err := startConsole(ctx, o.console, kubeconfig, filepath.Join(cp.Dir(), "console.log"))
	if err != nil {
		return err
	}
	defer con.kill()

	const ns = "default"
	body := `{"name":"wsload","template":"openai","auth":{"type":"APIKey","apiKey":"sk-wsload-placeholder"}}`
	if err := httpDo(ctx, token, "POST", con.url+"/api/v1/providers?namespace="+ns, body, http.StatusCreated, nil); err != nil {
		return err
	}
	var view struct {
		Objects []struct{ Kind, Name string } `json:"objects"`
	}
	if err := httpDo(ctx, token, "GET", con.url+"/api/v1/providers/wsload?namespace="+ns, "", http.StatusOK, &view); err != nil {
		return err
	}
	i := slices.IndexFunc(view.Objects, func(o struct{ Kind, Name string }) bool { return o.Kind == "AIServiceBackend" })
	if i < 0 {
		return errors.New("the provider has no AIServiceBackend")
	}
	asb := view.Objects[i].Name
	time.Sleep(2 * time.Second) // let the console settle before the baseline
	rssBefore, err := rss(con.cmd.Process.Pid)
	if err != nil {
		return err
	}
	goBefore, err := goMemory(ctx, con.url)
	if err != nil {
		return err
	}

	step(fmt.Sprintf("connecting %d clients", o.clients))
	began := time.Now()
	clients, err := connect(ctx, token, con.url, ns, o.clients)
	defer func() {
		for _, c := range clients {
			_ = c.ws.Close()
		}
	}()
	if err != nil {
		return err
	}
	connected := time.Since(began)
	time.Sleep(3 * time.Second)
	rssAfter, err := rss(con.cmd.Process.Pid)
	if err != nil {
		return err
	}
	goAfter, err := goMemory(ctx, con.url)
	if err != nil {
		return err
	}

	dyn, err := dynamic.NewForConfig(cp.Config())
	if err != nil {
		return err
	}
	var all []time.Duration
	var rounds []string
	for r := range o.changes {
		step(fmt.Sprintf("change %d of %d", r+1, o.changes))
		patch := fmt.Sprintf(`{"metadata":{"annotations":{"wsload":"%d"}}}`, r)
		t0 := time.Now()
		if _, err := dyn.Resource(cluster.AIServiceBackend.GVR()).Namespace(ns).Patch(ctx, asb, types.MergePatchType, []byte(patch), metav1.PatchOptions{}); err != nil {
			return err
		}
		lat, err := deliveries(ctx, clients, t0)
		if err != nil {
			return err
		}
		all = append(all, lat...)
		rounds = append(rounds, fmt.Sprintf("first %s, p50 %s, p99 %s, last %s", lat[0].Round(100*time.Microsecond), pct(lat, 50), pct(lat, 99), lat[len(lat)-1].Round(100*time.Microsecond)))
		time.Sleep(500 * time.Millisecond)
	}

	step("stopping the console (SIGTERM)")
	stopped := time.Now()
	_ = con.cmd.Process.Signal(syscall.SIGTERM)
	going, lastClose := closes(ctx, clients)

	fmt.Printf("\nwsload: %d clients, each subscribed to providers in %q, console %s (own process), local control plane, loopback\n", o.clients, ns, o.console)
	fmt.Printf("connect + subscribe + snapshot, all clients: %s\n", connected.Round(time.Millisecond))
	fmt.Printf("console RSS: %d KiB before, %d KiB with %d idle subscribed clients: %.1f KiB per connection\n",
		rssBefore, rssAfter, o.clients, float64(rssAfter-rssBefore)/float64(o.clients))
	per := func(m string) float64 { return (goAfter[m] - goBefore[m]) / float64(o.clients) }
	fmt.Printf("per connection, from the console's /metrics: %.2f goroutines, %.1f KiB of goroutine stacks, %.1f KiB of heap in use\n",
		per("go_goroutines"), per("go_memstats_stack_inuse_bytes")/1024, per("go_memstats_heap_inuse_bytes")/1024)
	for i, r := range rounds {
		fmt.Printf("change %d (one object patched by hand -> one provider_updated at every client), from the PATCH: %s\n", i+1, r)
	}
	slices.Sort(all)
	fmt.Printf("all %d deliveries: p50 %s, p99 %s, max %s\n", len(all), pct(all, 50), pct(all, 99), all[len(all)-1].Round(100*time.Microsecond))
	fmt.Printf("SIGTERM: %d of %d clients got close 1001 (going away), the last %s after the signal\n", going, o.clients, lastClose.Sub(stopped).Round(time.Millisecond))
	return nil
}

func step(s string) { fmt.Fprintf(os.Stderr, "wsload: %s\n", s) }

// consoleProc is the console process.
type consoleProc struct {
	cmd  *exec.Cmd
	url  string
	done chan struct{}
}

func startConsole(ctx context.Context, bin, kubeconfig, logPath string) (*consoleProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	cmd := exec.Command(bin, "--kubeconfig", kubeconfig, "--listen-address", addr, "--log-level", "warn",
		"--ws-max-connections-per-client", "-1")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // dies with wsload
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	c := &consoleProc{cmd: cmd, url: "http://" + addr, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(c.done) }()
	for {
		if err := httpDo(ctx, "", "GET", c.url+"/readyz", "", http.StatusOK, nil); err == nil {
			return c, nil
		}
		select {
		case <-c.done:
			return nil, fmt.Errorf("the console exited; see %s", logPath)
		case <-ctx.Done():
			c.kill()
			return nil, ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func (c *consoleProc) kill() {
	select {
	case <-c.done:
		return
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		_ = c.cmd.Process.Kill()
		<-c.done
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	return port, ln.Close()
}

// rss returns a process's resident set size in KiB.
func rss(pid int) (int64, error) {
	raw, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(raw), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no VmRSS")
}

// goMemory reads the Go runtime gauges of the console's /metrics.
func goMemory(ctx context.Context, url string) (map[string]float64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(raw), "\n") {
		for _, m := range []string{"go_goroutines", "go_memstats_stack_inuse_bytes", "go_memstats_heap_inuse_bytes"} {
			if v, ok := strings.CutPrefix(line, m+" "); ok {
				out[m], _ = strconv.ParseFloat(strings.TrimSpace(v), 64)
			}
		}
	}
	return out, nil
}

func httpDo(ctx context.Context, token, method, url, body string, want int, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err == nil && token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if err != nil {
		return err
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != want {
		return fmt.Errorf("%s %s: %d %s", method, url, resp.StatusCode, raw)
	}
	if out != nil {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// client is one subscribed WebSocket client; its reader goroutine stamps
// every provider_updated with the time it was read.
type client struct {
	ws      *websocket.Conn
	ready   chan struct{} // the snapshot arrived
	updates chan time.Time
	closed  chan closeInfo
}

type closeInfo struct {
	code int
	at   time.Time
}

func connect(ctx context.Context, token, url, ns string, n int) ([]*client, error) {
	wsURL := "ws" + strings.TrimPrefix(url, "http") + "/api/v1/ws"
	sub := []byte(`{"type":"subscribe","id":"p","kinds":["providers"],"namespace":"` + ns + `"}`)
	clients := make([]*client, n)
	errs := make([]error, n)
	sem := make(chan struct{}, 64)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			ws, resp, err := websocket.DefaultDialer.DialContext(ctx, wsURL, http.Header{"Authorization": {"Bearer " + token}})
			if resp != nil {
				_ = resp.Body.Close()
			}
			if err != nil {
				errs[i] = err
				return
			}
			c := &client{ws: ws, ready: make(chan struct{}), updates: make(chan time.Time, 64), closed: make(chan closeInfo, 1)}
			clients[i] = c
			go c.read()
			if err := ws.WriteMessage(websocket.TextMessage, sub); err != nil {
				errs[i] = err
				return
			}
			select {
			case <-c.ready:
			case <-ctx.Done():
				errs[i] = ctx.Err()
			}
		}()
	}
	wg.Wait()
	live := slices.DeleteFunc(clients, func(c *client) bool { return c == nil })
	return live, errors.Join(errs...)
}

func (c *client) read() {
	var typ struct {
		Type string `json:"type"`
	}
	for {
		_, raw, err := c.ws.ReadMessage()
		at := time.Now()
		if err != nil {
			var ce *websocket.CloseError
			code := 0
			if errors.As(err, &ce) {
				code = ce.Code
			}
			c.closed <- closeInfo{code: code, at: at}
			return
		}
		if bytes.HasPrefix(raw, []byte(`{"type":"provider_updated"`)) {
			c.updates <- at
			continue
		}
		_ = json.Unmarshal(raw, &typ)
		if typ.Type == "snapshot" {
			close(c.ready)
		}
	}
}

// deliveries waits for one provider_updated at every client and returns
// the latencies from t0, sorted.
func deliveries(ctx context.Context, clients []*client, t0 time.Time) ([]time.Duration, error) {
	out := make([]time.Duration, 0, len(clients))
	for _, c := range clients {
		select {
		case at := <-c.updates:
			out = append(out, at.Sub(t0))
		case <-ctx.Done():
			return nil, fmt.Errorf("%d of %d clients got the change: %w", len(out), len(clients), ctx.Err())
		}
	}
	slices.Sort(out)
	return out, nil
}

// closes waits for every client's connection to end and counts the close
// frames 1001.
func closes(ctx context.Context, clients []*client) (going int, last time.Time) {
	for _, c := range clients {
		select {
		case ci := <-c.closed:
			if ci.code == websocket.CloseGoingAway {
				going++
			}
			if ci.at.After(last) {
				last = ci.at
			}
		case <-ctx.Done():
			return going, last
		}
	}
	return going, last
}

func pct(sorted []time.Duration, p int) time.Duration {
	return sorted[(len(sorted)-1)*p/100].Round(100 * time.Microsecond)
}
