// Package chart tests charts/aigw-console against Helm and a real API
// server: lint, golden renders, the values schema, a server-side dry-run of
// every rendered object, restricted Pod Security, and the RBAC proof (the
// console binary runs with the chart's own ServiceAccount token, a smoke
// suite passes through it, and each rule of the role is shown to be needed).
//
// Helm is the pinned binary `make tools` builds into .local/bin/helm (built
// here on first use when it is missing). `go test ./e2e/chart -update`
// rewrites the golden files charts/aigw-console/testdata/*.out.yaml.
package chart

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/aigw-console/aigw-console/e2e/controlplane"
	"github.com/aigw-console/aigw-console/e2e/harness"
)

// env is the API server every test in this package shares.
var env *harness.Env

// prometheusOperatorModule ships the ServiceMonitor CRD the chart's optional
// ServiceMonitor is dry-run against (v0.85.0 is the newest version the Go
// module proxy serves).
const (
	prometheusOperatorModule = "github.com/prometheus-operator/prometheus-operator@v0.85.0"
	serviceMonitorCRD        = "example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml"
)

func TestMain(m *testing.M) { os.Exit(run(m)) }

// run is harness.Main plus the ServiceMonitor CRD.
func run(m *testing.M) int {
	ctrllog.SetLogger(logr.Discard())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	e, err := harness.Start(ctx)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart: cannot start the API server:", err)
		return 1
	}
	defer e.Stop()
	crd, err := moduleFile(ctx, prometheusOperatorModule, serviceMonitorCRD)
	if err != nil {
		fmt.Fprintln(os.Stderr, "chart: ServiceMonitor CRD:", err)
		return 1
	}
	if err := controlplane.InstallCRDs(ctx, e.Admin, crd); err != nil {
		fmt.Fprintln(os.Stderr, "chart: install the ServiceMonitor CRD:", err)
		return 1
	}
	env = e
	// The console binary the tests built (consoleBinary) goes with them.
	defer func() {
		if binaryPath != "" {
			_ = os.RemoveAll(filepath.Dir(binaryPath))
		}
	}()
	return m.Run()
}

// moduleFile reads one file of a module from the Go module cache,
// downloading the module first if needed. It runs outside any module so no
// go.mod changes.
func moduleFile(ctx context.Context, modVersion, path string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", modVersion)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go mod download %s: %w: %s%s", modVersion, err, out, stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return nil, fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	if info.Error != "" || info.Dir == "" {
		return nil, fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	return os.ReadFile(filepath.Join(info.Dir, filepath.FromSlash(path)))
}
