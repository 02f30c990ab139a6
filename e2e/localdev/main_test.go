package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aigw-console/aigw-console/e2e/harness"
)

// TestMakeRun runs the `make run` program as a real process, the way a
// newcomer does: it must serve /readyz, list the demo objects, and leave no
// etcd or kube-apiserver behind when stopped with Ctrl-C or even SIGKILL.
func TestMakeRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts its own control plane")
	}
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(t.TempDir(), "localdev")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	binDir := os.Getenv("E2E_BIN_DIR")
	if binDir == "" {
		binDir = filepath.Join(root, ".local", "bin")
	}

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(fmt.Sprintf("stopping with %s leaves no process behind", sig), func(t *testing.T) {
			dir := t.TempDir()
			addr := freeAddr(t)
			cmd := exec.Command(bin, "--bin-dir", binDir, "--dir", dir, "--listen-address", addr)
			stdout, err := cmd.StdoutPipe()
			if err != nil {
				t.Fatal(err)
			}
			cmd.Stderr = os.Stderr
			started := time.Now()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
			banner := make(chan string, 1)
			go func() {
				var b strings.Builder
				sc := bufio.NewScanner(stdout)
				for sc.Scan() {
					b.WriteString(sc.Text() + "\n")
					if strings.Contains(sc.Text(), "Press Ctrl-C") {
						banner <- b.String()
					}
				}
			}()
			select {
			case text := <-banner:
				for _, want := range []string{"http://" + addr, "Kubeconfig:", filepath.Join(dir, "kubeconfig"), `curl -H "Authorization: Bearer $(cat ` + filepath.Join(dir, "token-admin") + `)"`} {
					if !strings.Contains(text, want) {
						t.Errorf("banner lacks %q:\n%s", want, text)
					}
				}
			case <-time.After(2 * time.Minute):
				t.Fatal("no banner within 2 minutes")
			}
			waitReady(t, "http://"+addr+"/readyz")
			t.Logf("ready %s after start", time.Since(started).Round(time.Millisecond))

			var list struct {
				Items []struct {
					Metadata struct{ Name string } `json:"metadata"`
				} `json:"items"`
			}
			listURL := "http://" + addr + "/api/v1/resources/aiservicebackends?namespace=default"
			resp, err := http.Get(listURL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("without a token: HTTP %d, want 401 (authentication is on)", resp.StatusCode)
			}
			token, err := os.ReadFile(filepath.Join(dir, "token-admin"))
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []string{"alice", "bob", "carol"} {
				if fi, err := os.Stat(filepath.Join(dir, "token-"+u)); err != nil || fi.Mode().Perm() != 0o600 {
					t.Errorf("token-%s: %v %v", u, fi, err)
				}
			}
			req, _ := http.NewRequest("GET", listURL, nil)
			req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
			resp, err = http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if len(list.Items) != 1 || list.Items[0].Metadata.Name != "openai" {
				t.Fatalf("demo AIServiceBackend not listed: %+v", list.Items)
			}

			pids := readPIDs(t, filepath.Join(dir, "pids"))
			if len(pids) != 2 {
				t.Fatalf("want the pids of etcd and kube-apiserver, got %v", pids)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = cmd.Wait()
			deadline := time.Now().Add(20 * time.Second)
			for _, pid := range pids {
				for alive(pid) {
					if time.Now().After(deadline) {
						t.Fatalf("process %d still running after %s", pid, sig)
					}
					time.Sleep(50 * time.Millisecond)
				}
			}
		})
	}
}

func waitReady(t *testing.T, url string) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not 200 within a minute", url)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func readPIDs(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, pid)
	}
	return out
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	fields := strings.Fields(string(b))
	return len(fields) > 2 && fields[2] != "Z"
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = l.Close() }()
	return l.Addr().String()
}
