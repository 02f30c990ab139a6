package chart

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/aigw-console/aigw-console/e2e/controlplane"
)

var (
	binaryOnce sync.Once
	binaryPath string
	binaryErr  error
)

// consoleBinary builds cmd/aigw-console once per test run. It uses the
// default build flags so it reuses what `go test` already compiled (a static
// CGO_ENABLED=0 build would compile every dependency once more).
func consoleBinary(t testing.TB) string {
	t.Helper()
	binaryOnce.Do(func() {
		dir, err := os.MkdirTemp("", "aigw-console-chart-")
		if err != nil {
			binaryErr = err
			return
		}
		binaryPath = filepath.Join(dir, "aigw-console")
		cmd := exec.Command("go", "build", "-ldflags", "-X main.version=chart-e2e", "-o", binaryPath, "./cmd/aigw-console")
		cmd.Dir = repoRoot(t)
		if out, err := cmd.CombinedOutput(); err != nil {
			binaryErr = &buildError{what: "cmd/aigw-console", err: err, out: out}
		}
	})
	if binaryErr != nil {
		t.Fatal(binaryErr)
	}
	return binaryPath
}

// identity is the chart's ServiceAccount installed in the API server: a
// kubeconfig that holds nothing but its token and the cluster's CA.
type identity struct {
	// User is the ServiceAccount's user name.
	User string
	// Kubeconfig is the path of the kubeconfig file.
	Kubeconfig string
	// Config is the same credentials as a rest.Config.
	Config *rest.Config
}

// installIdentity applies the rendered ServiceAccount and RBAC objects
// (ServiceAccount, ClusterRole, ClusterRoleBinding, Role, RoleBinding) with
// the admin and mints a token for the ServiceAccount with the TokenRequest
// API.
func installIdentity(t *testing.T, objs []*unstructured.Unstructured) identity {
	t.Helper()
	ctx := context.Background()
	var rbac []*unstructured.Unstructured
	for _, o := range objs {
		switch o.GetKind() {
		case "ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding":
			rbac = append(rbac, o)
		}
	}
	if err := controlplane.Apply(ctx, env.Admin, rbac...); err != nil {
		t.Fatalf("apply the chart's ServiceAccount and RBAC: %v", err)
	}
	sa := one(t, objs, "ServiceAccount")
	t.Cleanup(func() { deleteClusterScoped(t, rbac) })
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	expiry := int64(3600)
	tr, err := cs.CoreV1().ServiceAccounts(sa.GetNamespace()).CreateToken(ctx, sa.GetName(),
		&authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for ServiceAccount %s/%s: %v", sa.GetNamespace(), sa.GetName(), err)
	}
	path, cfg := tokenKubeconfig(t, tr.Status.Token)
	return identity{
		User:       "system:serviceaccount:" + sa.GetNamespace() + ":" + sa.GetName(),
		Kubeconfig: path,
		Config:     cfg,
	}
}

// tokenKubeconfig writes a kubeconfig for the test API server that holds
// nothing of the admin's credentials, only the host, the CA and token, and
// returns its path and the same as a rest.Config.
func tokenKubeconfig(t *testing.T, token string) (string, *rest.Config) {
	t.Helper()
	cfg := rest.AnonymousClientConfig(env.Admin)
	cfg.BearerToken = token
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		var err error
		if ca, err = os.ReadFile(cfg.CAFile); err != nil {
			t.Fatal(err)
		}
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["cluster"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: ca, InsecureSkipTLSVerify: cfg.Insecure}
	kc.AuthInfos["user"] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["user"] = &clientcmdapi.Context{Cluster: "cluster", AuthInfo: "user"}
	kc.CurrentContext = "user"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path, cfg
}

// deleteClusterScoped removes the cluster-scoped objects a test applied
// (namespaced ones go with the test's namespaces).
func deleteClusterScoped(t *testing.T, objs []*unstructured.Unstructured) {
	t.Helper()
	c := env.Client(t)
	for _, o := range objs {
		if o.GetNamespace() == "" {
			_ = c.Delete(context.Background(), o.DeepCopy())
		}
	}
}

// proc is one aigw-console process.
type proc struct {
	// URL is the console's base URL.
	URL    string
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
}

// lockedBuffer is a bytes.Buffer safe for one writer and many readers.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Logs returns everything the console wrote to stderr so far.
func (p *proc) Logs() string { return p.logs.String() }

// startConsole runs the console binary with the chart's container args
// (listening on a free loopback port instead of 0.0.0.0:8080, and reading
// policies from policyDir when the chart mounts them) and nothing but the
// kubeconfig of id (and extraEnv) in its environment. It returns once the
// console listens; the test's end stops it with SIGTERM and expects a clean
// exit.
func startConsole(t *testing.T, chartArgs []string, id identity, policyDir string, extraEnv ...string) *proc {
	t.Helper()
	var args []string
	for _, a := range chartArgs {
		switch {
		case strings.HasPrefix(a, "--listen-address="):
			a = "--listen-address=127.0.0.1:0"
		case strings.HasPrefix(a, "--policy-dir="):
			if policyDir == "" {
				t.Fatal("the chart mounts policies; pass their folder")
			}
			a = "--policy-dir=" + policyDir
		}
		args = append(args, a)
	}
	cmd := exec.Command(consoleBinary(t), args...)
	cmd.Env = append([]string{"KUBECONFIG=" + id.Kubeconfig, "HOME=" + t.TempDir()}, extraEnv...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, logs: &lockedBuffer{}, exited: make(chan struct{})}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			_, _ = p.logs.Write([]byte(line + "\n"))
			var rec struct{ Msg, Address string }
			if json.Unmarshal([]byte(line), &rec) == nil && rec.Msg == "serving" {
				select {
				case addr <- rec.Address:
				default:
				}
			}
		}
	}()
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() { p.stop(t) })
	select {
	case a := <-addr:
		p.URL = "http://" + a
	case <-p.exited:
		t.Fatalf("aigw-console %s exited before listening:\n%s", strings.Join(args, " "), p.Logs())
	case <-time.After(30 * time.Second):
		t.Fatalf("aigw-console did not listen within 30s:\n%s", p.Logs())
	}
	return p
}

// stop sends SIGTERM and expects a clean exit within the shutdown timeout.
func (p *proc) stop(t *testing.T) {
	select {
	case <-p.exited:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(20 * time.Second):
			_ = p.cmd.Process.Kill()
			<-p.exited
			t.Errorf("aigw-console did not stop within 20s of SIGTERM")
		}
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Errorf("aigw-console exited with %d", code)
	}
	if t.Failed() {
		t.Logf("aigw-console log:\n%s", p.Logs())
	}
}

// waitReady polls /readyz until it answers 200.
func (p *proc) waitReady(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last response
	for time.Now().Before(deadline) {
		last = call(t, "GET", p.URL+"/readyz", nil)
		if last.Status == http.StatusOK {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("/readyz not 200 within 30s: %d %s", last.Status, last.Body)
}

// response is one HTTP answer.
type response struct {
	Status int
	Header http.Header
	Body   []byte
}

// problem is the console's problem+json error body.
type problem struct {
	Status int    `json:"status"`
	Code   string `json:"code"`
	Detail string `json:"detail"`
	Causes []struct {
		Field   string `json:"field"`
		Message string `json:"message"`
		Reason  string `json:"reason"`
	} `json:"causes"`
}

// decode unmarshals the body into out.
func (r response) decode(t testing.TB, out any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, out); err != nil {
		t.Fatalf("decode %s: %v", r.Body, err)
	}
}

// adminAuth is the Authorization header of the control plane's admin,
// which every request to a console sends (the console checks it with
// TokenReview and writes impersonating the admin). A console started with
// authDisabled ignores it.
func adminAuth() http.Header {
	return http.Header{"Authorization": {"Bearer " + env.Admin.BearerToken}}
}

// authDisabled is the environment of a console that acts with its own
// identity (--auth-disabled): the chart's rules for the console's kinds are
// what it writes with then.
const authDisabled = "AIGW_AUTH_DISABLED=true"

// call sends method url with a JSON body (nil for none) and header pairs,
// as the admin (see adminAuth).
func call(t testing.TB, method, url string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Authorization", adminAuth().Get("Authorization"))
	for i := 0; i+1 < len(headers); i += 2 {
		if headers[i+1] == "" {
			req.Header.Del(headers[i])
			continue
		}
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	return response{Status: resp.StatusCode, Header: resp.Header, Body: raw}
}
