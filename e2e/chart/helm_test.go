package chart

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/e2e/controlplane"
	"github.com/aigw-console/aigw-console/e2e/harness"
)

// Helm is pinned here and in the Makefile (HELM_VERSION, HELM_LDFLAGS);
// TestHelmIsThePinnedVersion catches a drift between the two.
const (
	helmVersion = "v3.22.0"
	helmModule  = "helm.sh/helm/v3/cmd/helm@" + helmVersion
	// helmLDFlags set the version and, as Helm's own Makefile does, the
	// Kubernetes version Helm assumes without a cluster (client-go v0.37).
	helmLDFlags = "-s -w -X helm.sh/helm/v3/internal/version.version=" + helmVersion +
		" -X helm.sh/helm/v3/internal/version.metadata=" +
		" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37" +
		" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37"
	// kubeVersion is the version renders assume: the local API server's.
	kubeVersion = "1.37.2"
	// goldenRelease and goldenNamespace name the release in golden renders.
	goldenRelease   = "aigw-console"
	goldenNamespace = "aigw-system"
)

var (
	helmOnce sync.Once
	helmPath string
	helmErr  error
)

// repoRoot is the repository root.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := harness.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// chartDir is charts/aigw-console.
func chartDir(t testing.TB) string { return filepath.Join(repoRoot(t), "charts", "aigw-console") }

// helmBinary returns the pinned helm: $HELM, else .local/bin/helm, built
// there with `go install` when it is missing (about 2 minutes the first
// time).
func helmBinary(t testing.TB) string {
	t.Helper()
	helmOnce.Do(func() {
		if p := os.Getenv("HELM"); p != "" {
			helmPath = p
			return
		}
		bin := filepath.Join(repoRoot(t), ".local", "bin")
		helmPath = filepath.Join(bin, "helm")
		if _, err := os.Stat(helmPath); err == nil {
			return
		}
		cmd := exec.Command("go", "install", "-ldflags", helmLDFlags, helmModule)
		cmd.Dir = os.TempDir()
		cmd.Env = append(os.Environ(), "GOBIN="+bin, "CGO_ENABLED=0", "GOFLAGS=")
		if out, err := cmd.CombinedOutput(); err != nil {
			helmErr = &buildError{what: "helm " + helmVersion, err: err, out: out}
		}
	})
	if helmErr != nil {
		t.Fatal(helmErr)
	}
	return helmPath
}

type buildError struct {
	what string
	err  error
	out  []byte
}

func (e *buildError) Error() string {
	return "build " + e.what + ": " + e.err.Error() + ": " + string(e.out)
}

// helm runs the helm binary and returns its stdout, stderr and error.
func helm(t testing.TB, args ...string) (string, string, error) {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	// No user configuration, repositories or plugins leak into the tests.
	home := t.TempDir()
	cmd.Env = []string{"HOME=" + home, "HELM_CACHE_HOME=" + home, "HELM_CONFIG_HOME=" + home, "HELM_DATA_HOME=" + home, "PATH=" + os.Getenv("PATH")}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	return stdout.String(), stderr.String(), err
}

// renderOptions select one `helm template`.
type renderOptions struct {
	// release and namespace name the release. Default: goldenRelease,
	// goldenNamespace.
	release, namespace string
	// valuesFiles are passed with -f, in order.
	valuesFiles []string
	// set are --set-json key=value pairs.
	set []string
}

// renderRaw runs helm template and returns the manifest.
func renderRaw(t testing.TB, o renderOptions) (string, error) {
	t.Helper()
	if o.release == "" {
		o.release = goldenRelease
	}
	if o.namespace == "" {
		o.namespace = goldenNamespace
	}
	args := []string{"template", o.release, chartDir(t), "--namespace", o.namespace, "--kube-version", kubeVersion}
	for _, f := range o.valuesFiles {
		args = append(args, "--values", f)
	}
	for _, s := range o.set {
		args = append(args, "--set-json", s)
	}
	out, stderr, err := helm(t, args...)
	if err != nil {
		return "", &helmError{args: args, err: err, stderr: stderr}
	}
	return out, nil
}

type helmError struct {
	args   []string
	err    error
	stderr string
}

func (e *helmError) Error() string {
	return "helm " + strings.Join(e.args, " ") + ": " + e.err.Error() + "\n" + e.stderr
}

// render runs helm template and decodes the objects.
func render(t testing.TB, o renderOptions) []*unstructured.Unstructured {
	t.Helper()
	out, err := renderRaw(t, o)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := controlplane.DecodeYAML([]byte(out))
	if err != nil {
		t.Fatalf("decode the rendered manifest: %v\n%s", err, out)
	}
	return objs
}

// valueSets returns the golden inputs (testdata/*.in.yaml) and the CI values
// (ci/*.yaml), by name.
func valueSets(t testing.TB) map[string]string {
	t.Helper()
	out := map[string]string{}
	golden, err := filepath.Glob(filepath.Join(chartDir(t), "testdata", "*.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := filepath.Glob(filepath.Join(chartDir(t), "ci", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range golden {
		out[strings.TrimSuffix(filepath.Base(f), ".in.yaml")] = f
	}
	for _, f := range ci {
		out["ci/"+strings.TrimSuffix(filepath.Base(f), ".yaml")] = f
	}
	if len(out) == 0 {
		t.Fatal("no value sets in testdata/ or ci/")
	}
	return out
}

// find returns the rendered objects of one kind.
func find(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

// one returns the only rendered object of a kind.
func one(t testing.TB, objs []*unstructured.Unstructured, kind string) *unstructured.Unstructured {
	t.Helper()
	found := find(objs, kind)
	if len(found) != 1 {
		t.Fatalf("want one %s in the render, got %d", kind, len(found))
	}
	return found[0]
}

// containerArgs returns the console container's args from a rendered
// Deployment.
func containerArgs(t testing.TB, objs []*unstructured.Unstructured) []string {
	t.Helper()
	containers, _, _ := unstructured.NestedSlice(one(t, objs, "Deployment").Object, "spec", "template", "spec", "containers")
	if len(containers) != 1 {
		t.Fatalf("want one container, got %d", len(containers))
	}
	args, _, _ := unstructured.NestedStringSlice(containers[0].(map[string]any), "args")
	return args
}
