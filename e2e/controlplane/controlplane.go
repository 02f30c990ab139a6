package controlplane

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// AdminUser is the token-file user in group system:masters.
const AdminUser = "admin"

// User is a static token-file user of the local API server.
type User struct {
	// Name is the user name the API server authenticates.
	Name string
	// Groups are the user's groups (system:authenticated is added by the
	// API server).
	Groups []string
}

// DefaultUsers are the ordinary users every control plane knows. They have
// no RBAC until a test grants it.
var DefaultUsers = []User{
	{Name: "alice", Groups: []string{"team-a"}},
	{Name: "bob", Groups: []string{"team-b"}},
	{Name: "carol"},
}

// Options configure Start. The zero value is not enough: BinDir is required.
type Options struct {
	// BinDir holds the kube-apiserver and etcd binaries. Required.
	BinDir string
	// Dir is where certificates, the token file, etcd's data and the
	// components' logs are written. Default: a new temporary folder that Stop
	// removes.
	Dir string
	// Users are the ordinary token-file users. Default: DefaultUsers.
	Users []User
	// StartTimeout bounds how long Start waits for /readyz. Default: 60s.
	StartTimeout time.Duration
}

// ControlPlane is a running etcd + kube-apiserver pair.
type ControlPlane struct {
	opts       Options
	dir        string
	removeDir  bool
	etcdURL    string
	apiPort    int
	ca         []byte
	tokens     map[string]string // user name -> bearer token
	etcd       *exec.Cmd
	apiserver  *exec.Cmd
	apiExited  chan struct{}
	etcdExited chan struct{}
}

// Start launches etcd and kube-apiserver and returns once the API server
// answers /readyz. On error everything it started is stopped again.
func Start(ctx context.Context, opts Options) (_ *ControlPlane, err error) {
	if opts.BinDir == "" {
		return nil, errors.New("controlplane: BinDir is required (build it with `make tools`)")
	}
	for _, bin := range []string{"kube-apiserver", "etcd"} {
		if _, err := os.Stat(filepath.Join(opts.BinDir, bin)); err != nil {
			return nil, fmt.Errorf("controlplane: %s not found in %s (build it with `make tools`): %w", bin, opts.BinDir, err)
		}
	}
	if opts.Users == nil {
		opts.Users = DefaultUsers
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	cp := &ControlPlane{opts: opts, dir: opts.Dir, tokens: map[string]string{}}
	if cp.dir == "" {
		if cp.dir, err = os.MkdirTemp("", "aigw-controlplane-"); err != nil {
			return nil, err
		}
		cp.removeDir = true
	}
	defer func() {
		if err != nil {
			_ = cp.Stop()
		}
	}()
	if err := os.MkdirAll(cp.dir, 0o700); err != nil {
		return nil, err
	}
	if err := cp.writeCredentials(); err != nil {
		return nil, err
	}
	if err := cp.startEtcd(ctx); err != nil {
		return nil, err
	}
	if cp.apiPort, err = freePort(); err != nil {
		return nil, err
	}
	if err := cp.StartAPIServer(ctx); err != nil {
		return nil, err
	}
	return cp, nil
}

// Dir is the control plane's state folder (certificates, logs, etcd data).
func (cp *ControlPlane) Dir() string { return cp.dir }

// Host is the API server's URL.
func (cp *ControlPlane) Host() string { return fmt.Sprintf("https://127.0.0.1:%d", cp.apiPort) }

// Config returns a rest.Config for the admin user (system:masters).
func (cp *ControlPlane) Config() *rest.Config {
	cfg, _ := cp.UserConfig(AdminUser)
	return cfg
}

// UserConfig returns a rest.Config that authenticates as the named
// token-file user.
func (cp *ControlPlane) UserConfig(name string) (*rest.Config, error) {
	token, ok := cp.tokens[name]
	if !ok {
		return nil, fmt.Errorf("controlplane: no token-file user %q", name)
	}
	return &rest.Config{
		Host:            cp.Host(),
		BearerToken:     token,
		TLSClientConfig: rest.TLSClientConfig{CAData: append([]byte(nil), cp.ca...)},
		QPS:             200,
		Burst:           400,
	}, nil
}

// WriteKubeconfig writes a kubeconfig for the named user to path.
func (cp *ControlPlane) WriteKubeconfig(path, user string) error {
	token, ok := cp.tokens[user]
	if !ok {
		return fmt.Errorf("controlplane: no token-file user %q", user)
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cp.Host(), CertificateAuthorityData: cp.ca}
	kc.AuthInfos[user] = &clientcmdapi.AuthInfo{Token: token}
	kc.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: user, Namespace: "default"}
	kc.CurrentContext = "local"
	return clientcmd.WriteToFile(*kc, path)
}

// StopAPIServer stops kube-apiserver and leaves etcd running.
func (cp *ControlPlane) StopAPIServer() error {
	return stopProcess(cp.apiserver, cp.apiExited)
}

// StartAPIServer starts kube-apiserver (again) on the same port and waits
// for /readyz.
func (cp *ControlPlane) StartAPIServer(ctx context.Context) error {
	args := []string{
		"--etcd-servers=" + cp.etcdURL,
		"--bind-address=127.0.0.1",
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--secure-port=" + strconv.Itoa(cp.apiPort),
		"--tls-cert-file=" + cp.path("serving.crt"),
		"--tls-private-key-file=" + cp.path("serving.key"),
		"--token-auth-file=" + cp.path("tokens.csv"),
		"--authorization-mode=RBAC",
		"--service-account-key-file=" + cp.path("sa.pub"),
		"--service-account-signing-key-file=" + cp.path("sa.key"),
		"--service-account-issuer=https://kubernetes.default.svc",
		"--api-audiences=https://kubernetes.default.svc",
		"--service-cluster-ip-range=10.0.0.0/24",
		"--disable-admission-plugins=ServiceAccount",
		"--allow-privileged=false",
		"--profiling=false",
		"--cert-dir=" + cp.path("certs"),
	}
	cmd, exited, err := cp.spawn(ctx, "kube-apiserver", args)
	if err != nil {
		return err
	}
	cp.apiserver, cp.apiExited = cmd, exited
	return cp.waitReady(ctx, exited)
}

// Stop stops kube-apiserver and etcd and removes a temporary Dir.
func (cp *ControlPlane) Stop() error {
	errs := []error{
		stopProcess(cp.apiserver, cp.apiExited),
		stopProcess(cp.etcd, cp.etcdExited),
	}
	if cp.removeDir {
		errs = append(errs, os.RemoveAll(cp.dir))
	}
	return errors.Join(errs...)
}

func (cp *ControlPlane) path(name string) string { return filepath.Join(cp.dir, name) }

func (cp *ControlPlane) writeCredentials() error {
	if err := writePKI(cp.dir); err != nil {
		return err
	}
	ca, err := os.ReadFile(cp.path("ca.crt"))
	if err != nil {
		return err
	}
	cp.ca = ca
	var lines []string
	users := append([]User{{Name: AdminUser, Groups: []string{"system:masters"}}}, cp.opts.Users...)
	for i, u := range users {
		token := randomToken()
		cp.tokens[u.Name] = token
		// token,user,uid,"group1,group2"
		lines = append(lines, fmt.Sprintf("%s,%s,uid-%d,%q", token, u.Name, i, strings.Join(u.Groups, ",")))
	}
	return os.WriteFile(cp.path("tokens.csv"), []byte(strings.Join(lines, "\n")+"\n"), 0o600)
}

func (cp *ControlPlane) startEtcd(ctx context.Context) error {
	clientPort, err := freePort()
	if err != nil {
		return err
	}
	peerPort, err := freePort()
	if err != nil {
		return err
	}
	cp.etcdURL = fmt.Sprintf("http://127.0.0.1:%d", clientPort)
	args := []string{
		"--data-dir=" + cp.path("etcd"),
		"--listen-client-urls=" + cp.etcdURL,
		"--advertise-client-urls=" + cp.etcdURL,
		fmt.Sprintf("--listen-peer-urls=http://127.0.0.1:%d", peerPort),
		fmt.Sprintf("--initial-advertise-peer-urls=http://127.0.0.1:%d", peerPort),
		fmt.Sprintf("--initial-cluster=default=http://127.0.0.1:%d", peerPort),
		"--unsafe-no-fsync",
		"--log-level=warn",
	}
	cmd, exited, err := cp.spawn(ctx, "etcd", args)
	if err != nil {
		return err
	}
	cp.etcd, cp.etcdExited = cmd, exited
	deadline := time.Now().Add(cp.opts.StartTimeout)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("controlplane: etcd exited during start: %s", cp.logTail("etcd"))
		default:
		}
		resp, err := http.Get(cp.etcdURL + "/health")
		if err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("controlplane: etcd not healthy after %s: %s", cp.opts.StartTimeout, cp.logTail("etcd"))
}

// spawn starts one component with its output in <Dir>/<name>.log. The
// child gets its own process group and SIGKILL when this process dies.
func (cp *ControlPlane) spawn(ctx context.Context, name string, args []string) (*exec.Cmd, chan struct{}, error) {
	logFile, err := os.OpenFile(cp.path(name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, err
	}
	// Not exec.CommandContext: the control plane outlives the ctx of Start.
	cmd := exec.Command(filepath.Join(cp.opts.BinDir, name), args...)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = logFile.Close()
		return nil, nil, fmt.Errorf("controlplane: start %s: %w", name, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		_ = logFile.Close()
		close(exited)
	}()
	_ = ctx
	return cmd, exited, nil
}

func (cp *ControlPlane) waitReady(ctx context.Context, exited <-chan struct{}) error {
	cfg := cp.Config()
	client, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, cp.opts.StartTimeout)
	defer cancel()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, cp.Host()+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-exited:
			return fmt.Errorf("controlplane: kube-apiserver exited during start: %s", cp.logTail("kube-apiserver"))
		case <-ctx.Done():
			return fmt.Errorf("controlplane: kube-apiserver not ready: %w: %s", ctx.Err(), cp.logTail("kube-apiserver"))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// stopProcess sends SIGTERM to the process group, then SIGKILL after 10s.
func stopProcess(cmd *exec.Cmd, exited chan struct{}) error {
	if cmd == nil || cmd.Process == nil {
		return nil
	}
	select {
	case <-exited:
		return nil
	default:
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-exited
	}
	return nil
}

// logTail returns the last lines of a component's log, for error messages
// (the log itself may be removed with a temporary Dir).
func (cp *ControlPlane) logTail(name string) string {
	b, err := os.ReadFile(cp.path(name + ".log"))
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 15 {
		lines = lines[len(lines)-15:]
	}
	return name + " log:\n" + strings.Join(lines, "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// PIDs returns the process IDs of the running components.
func (cp *ControlPlane) PIDs() []int {
	var out []int
	for _, c := range []*exec.Cmd{cp.etcd, cp.apiserver} {
		if c != nil && c.Process != nil {
			out = append(out, c.Process.Pid)
		}
	}
	return out
}
