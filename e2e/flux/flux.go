package flux

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/aigw-console/aigw-console/e2e/controlplane"
	"github.com/aigw-console/aigw-console/e2e/localtool"
)

const (
	// Version of both controllers (e2e/tools/flux/go.mod).
	Version = "v1.9.6"
	// SourceController and KustomizeController are the binaries' names in
	// the bin folder.
	SourceController    = "source-controller"
	KustomizeController = "kustomize-controller"
	// MakeTarget builds both binaries.
	MakeTarget = "flux-tools"
	// Namespace is the controllers' RUNTIME_NAMESPACE.
	Namespace = "flux-system"

	toolsDir = "e2e/tools/flux"
)

// Binaries are the binaries Start needs.
var Binaries = []string{SourceController, KustomizeController}

// CRDs returns Flux's CustomResourceDefinitions from config/crd/bases of
// source-controller and kustomize-controller in the Go module cache.
func CRDs(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	for _, mod := range []string{"github.com/fluxcd/source-controller", "github.com/fluxcd/kustomize-controller"} {
		dir, err := localtool.ModuleDir(ctx, toolsDir, mod)
		if err != nil {
			return nil, err
		}
		files, err := filepath.Glob(filepath.Join(dir, "config", "crd", "bases", "*.yaml"))
		if err != nil {
			return nil, err
		}
		if len(files) == 0 {
			return nil, fmt.Errorf("flux: no CRDs in %s/config/crd/bases", dir)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			out = append(out, b)
		}
	}
	return out, nil
}

// InstallCRDs installs Flux's CRDs and the flux-system namespace and waits
// until the CRDs are Established.
func InstallCRDs(ctx context.Context, cfg *rest.Config) error {
	crds, err := CRDs(ctx)
	if err != nil {
		return err
	}
	if err := controlplane.InstallCRDs(ctx, cfg, crds...); err != nil {
		return err
	}
	return ensureNamespace(ctx, cfg, Namespace)
}

// Options configure Start.
type Options struct {
	// BinDir holds source-controller and kustomize-controller. Default:
	// localtool.BinDir() ($E2E_BIN_DIR or .local/bin).
	BinDir string
	// Dir receives the kubeconfig, the artifact storage and the logs.
	// Default: a temporary folder that Stop removes.
	Dir string
	// StartTimeout bounds the wait for both controllers' /readyz.
	// Default: 60s.
	StartTimeout time.Duration
}

// Flux is a running source-controller and kustomize-controller.
type Flux struct {
	cfg       *rest.Config
	dir       string
	removeDir bool
	// StorageURL is source-controller's artifact server.
	StorageURL string
	source     *localtool.Process
	kustomize  *localtool.Process
}

// Start installs the CRDs (InstallCRDs) and starts both controllers
// against the API server of cfg (whose user must be a cluster admin), and
// returns once both answer /readyz. On error it stops what it started.
func Start(ctx context.Context, cfg *rest.Config, opts Options) (_ *Flux, err error) {
	if opts.BinDir == "" {
		if opts.BinDir, err = localtool.BinDir(); err != nil {
			return nil, err
		}
	}
	if missing := localtool.Missing(opts.BinDir, Binaries...); len(missing) > 0 {
		return nil, fmt.Errorf("flux: %v not in %s (build them with `make %s`)", missing, opts.BinDir, MakeTarget)
	}
	if opts.StartTimeout == 0 {
		opts.StartTimeout = 60 * time.Second
	}
	f := &Flux{cfg: rest.CopyConfig(cfg), dir: opts.Dir}
	if f.dir == "" {
		if f.dir, err = os.MkdirTemp("", "aigw-flux-"); err != nil {
			return nil, err
		}
		f.removeDir = true
	}
	defer func() {
		if err != nil {
			_ = f.Stop()
		}
	}()
	if err := os.MkdirAll(filepath.Join(f.dir, "storage"), 0o700); err != nil {
		return nil, err
	}
	if err := InstallCRDs(ctx, cfg); err != nil {
		return nil, err
	}
	kubeconfig := filepath.Join(f.dir, "kubeconfig")
	if err := WriteKubeconfig(cfg, kubeconfig); err != nil {
		return nil, err
	}
	env := []string{"RUNTIME_NAMESPACE=" + Namespace, "KUBECONFIG=" + kubeconfig}

	ports := make([]int, 5)
	for i := range ports {
		if ports[i], err = localtool.FreePort(); err != nil {
			return nil, err
		}
	}
	storage := "127.0.0.1:" + strconv.Itoa(ports[0])
	f.StorageURL = "http://" + storage
	common := func(metrics, health int) []string {
		return []string{
			"--enable-leader-election=false",
			"--metrics-addr=127.0.0.1:" + strconv.Itoa(metrics),
			"--health-addr=127.0.0.1:" + strconv.Itoa(health),
			"--log-level=info",
			"--log-encoding=console",
		}
	}
	srcArgs := append(common(ports[1], ports[2]),
		"--storage-path="+filepath.Join(f.dir, "storage"),
		"--storage-addr="+storage,
		"--storage-adv-addr="+storage,
	)
	if f.source, err = localtool.Start(filepath.Join(opts.BinDir, SourceController), srcArgs, env, f.dir,
		filepath.Join(f.dir, SourceController+".log")); err != nil {
		return nil, err
	}
	if f.kustomize, err = localtool.Start(filepath.Join(opts.BinDir, KustomizeController), common(ports[3], ports[4]), env, f.dir,
		filepath.Join(f.dir, KustomizeController+".log")); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, opts.StartTimeout)
	defer cancel()
	if err := waitReady(ctx, f.source, ports[2]); err != nil {
		return nil, err
	}
	if err := waitReady(ctx, f.kustomize, ports[4]); err != nil {
		return nil, err
	}
	return f, nil
}

// Dir is the state folder (kubeconfig, storage, <controller>.log).
func (f *Flux) Dir() string { return f.dir }

// PIDs returns the controllers' process IDs.
func (f *Flux) PIDs() []int {
	var out []int
	for _, p := range []*localtool.Process{f.source, f.kustomize} {
		if p != nil {
			out = append(out, p.PID())
		}
	}
	return out
}

// Logs returns the tail of both controllers' logs (n lines each).
func (f *Flux) Logs(n int) string {
	var s string
	for _, p := range []*localtool.Process{f.source, f.kustomize} {
		if p != nil {
			s += p.LogTail(n) + "\n"
		}
	}
	return s
}

// Stop kills both controllers' process groups and removes a temporary Dir.
func (f *Flux) Stop() error {
	f.kustomize.Stop()
	f.source.Stop()
	if f.removeDir {
		return os.RemoveAll(f.dir)
	}
	return nil
}

func waitReady(ctx context.Context, p *localtool.Process, healthPort int) error {
	url := "http://127.0.0.1:" + strconv.Itoa(healthPort) + "/readyz"
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if resp, err := http.DefaultClient.Do(req); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-p.Exited():
			return fmt.Errorf("flux: %s exited during start: %s", p.Name, p.LogTail(20))
		case <-ctx.Done():
			return fmt.Errorf("flux: %s not ready: %w: %s", p.Name, ctx.Err(), p.LogTail(20))
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// WriteKubeconfig writes a kubeconfig for cfg (bearer token or client
// certificate, CA data) to path.
func WriteKubeconfig(cfg *rest.Config, path string) error {
	if cfg.Host == "" {
		return errors.New("flux: rest.Config without Host")
	}
	ca := cfg.CAData
	if len(ca) == 0 && cfg.CAFile != "" {
		b, err := os.ReadFile(cfg.CAFile)
		if err != nil {
			return err
		}
		ca = b
	}
	kc := clientcmdapi.NewConfig()
	kc.Clusters["local"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: ca, InsecureSkipTLSVerify: cfg.Insecure}
	kc.AuthInfos["flux"] = &clientcmdapi.AuthInfo{
		Token: cfg.BearerToken, TokenFile: cfg.BearerTokenFile,
		ClientCertificateData: cfg.CertData, ClientCertificate: cfg.CertFile,
		ClientKeyData: cfg.KeyData, ClientKey: cfg.KeyFile,
		Username: cfg.Username, Password: cfg.Password,
	}
	kc.Contexts["local"] = &clientcmdapi.Context{Cluster: "local", AuthInfo: "flux"}
	kc.CurrentContext = "local"
	return clientcmd.WriteToFile(*kc, path)
}
