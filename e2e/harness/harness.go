// Package harness gives e2e tests a real Kubernetes API server: the local
// control plane built by `make tools` (package controlplane), or any cluster
// named by E2E_KUBECONFIG (for example a kind cluster), with the CRDs the
// console manages installed.
//
// # Environment
//
//   - E2E_KUBECONFIG: run against this cluster instead of starting a local
//     control plane. Its current context must be a cluster admin. Ordinary
//     users are then simulated with impersonation, which the API server
//     authorizes exactly like the token-file users of the local control
//     plane.
//   - E2E_BIN_DIR: where kube-apiserver and etcd are. Default: .local/bin in
//     the repository root.
package harness

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-logr/logr"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/aigw-console/aigw-console/app/apis/crds"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/e2e/controlplane"
)

// Env is one API server shared by the tests of a package.
type Env struct {
	// Admin reaches the API server as a cluster admin.
	Admin *rest.Config
	// ControlPlane is the local control plane, nil on an external cluster.
	ControlPlane *controlplane.ControlPlane
	// Scheme knows core, the AI Gateway kinds, Backend and BackendTLSPolicy.
	Scheme *runtime.Scheme
}

// Start starts (or connects to) the API server and installs the CRDs.
func Start(ctx context.Context) (*Env, error) {
	env := &Env{Scheme: cluster.NewScheme()}
	if kc := os.Getenv("E2E_KUBECONFIG"); kc != "" {
		cfg, err := clientcmd.BuildConfigFromFlags("", kc)
		if err != nil {
			return nil, fmt.Errorf("E2E_KUBECONFIG: %w", err)
		}
		env.Admin = cfg
	} else {
		binDir := os.Getenv("E2E_BIN_DIR")
		if binDir == "" {
			root, err := RepoRoot()
			if err != nil {
				return nil, err
			}
			binDir = filepath.Join(root, ".local", "bin")
		}
		cp, err := controlplane.Start(ctx, controlplane.Options{BinDir: binDir})
		if err != nil {
			return nil, err
		}
		env.ControlPlane, env.Admin = cp, cp.Config()
	}
	if err := InstallCRDs(ctx, env.Admin); err != nil {
		env.Stop()
		return nil, err
	}
	return env, nil
}

// InstallCRDs installs the console's AI Gateway CRDs and the upstream
// Gateway API and Envoy Gateway CRDs.
func InstallCRDs(ctx context.Context, cfg *rest.Config) error {
	ours, err := crds.All()
	if err != nil {
		return err
	}
	upstream, err := controlplane.UpstreamCRDs(ctx)
	if err != nil {
		return err
	}
	return controlplane.InstallCRDs(ctx, cfg, append(ours, upstream...)...)
}

// Stop stops a local control plane; it leaves an external cluster alone.
func (e *Env) Stop() {
	if e.ControlPlane != nil {
		_ = e.ControlPlane.Stop()
	}
}

// Main is a TestMain body: it starts the Env, runs the tests and stops it.
// Use it as `func TestMain(m *testing.M) { os.Exit(harness.Main(m, &env)) }`.
func Main(m *testing.M, env **Env) int {
	// controller-runtime complains on stderr unless its global logger is set.
	ctrllog.SetLogger(logr.Discard())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	e, err := Start(ctx)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e: cannot start the API server:", err)
		return 1
	}
	*env = e
	defer e.Stop()
	return m.Run()
}

// UserConfig returns a rest.Config for an ordinary user: the token-file
// user of that name on the local control plane (see
// controlplane.DefaultUsers), or the admin impersonating name and groups on
// an external cluster.
func (e *Env) UserConfig(name string, groups ...string) (*rest.Config, error) {
	if e.ControlPlane != nil {
		return e.ControlPlane.UserConfig(name)
	}
	cfg := rest.CopyConfig(e.Admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: name, Groups: groups}
	return cfg, nil
}

// Client returns a controller-runtime client for the admin.
func (e *Env) Client(t testing.TB) client.Client {
	t.Helper()
	c, err := client.New(e.Admin, client.Options{Scheme: e.Scheme})
	if err != nil {
		t.Fatalf("admin client: %v", err)
	}
	return c
}

// Namespace creates a fresh namespace for one test. Namespaces are not
// deleted: the local control plane runs no namespace controller, and a
// fresh name per test keeps tests apart.
func (e *Env) Namespace(t testing.TB) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-" + randomSuffix()}}
	if err := e.Client(t).Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns.Name
}

// RepoRoot returns the repository root: the nearest parent of the working
// directory holding the product's go.mod.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && isProductModule(b) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root not found above the working directory")
		}
		dir = parent
	}
}

func isProductModule(gomod []byte) bool {
	const want = "module github.com/aigw-console/aigw-console\n"
	return len(gomod) >= len(want) && string(gomod[:len(want)]) == want
}

func randomSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// AdminToken returns a bearer token of a cluster admin, for clients of a
// console (which checks it with TokenReview): the admin's own token on the
// local control plane; on an external cluster, whose admin may use a client
// certificate, the token of a ServiceAccount aigw-e2e-admin in kube-system
// bound to cluster-admin, minted with the TokenRequest API.
func (e *Env) AdminToken(ctx context.Context) (string, error) {
	if e.Admin.BearerToken != "" {
		return e.Admin.BearerToken, nil
	}
	return e.ServiceAccountToken(ctx, "kube-system", "aigw-e2e-admin", "cluster-admin")
}

// ServiceAccountToken creates (or reuses) the ServiceAccount ns/name, binds
// it to clusterRole when that is not empty, and returns a one-hour token
// for it from the TokenRequest API.
func (e *Env) ServiceAccountToken(ctx context.Context, ns, name, clusterRole string) (string, error) {
	cs, err := kubernetes.NewForConfig(e.Admin)
	if err != nil {
		return "", err
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns}}
	if _, err := cs.CoreV1().ServiceAccounts(ns).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return "", fmt.Errorf("service account %s/%s: %w", ns, name, err)
	}
	if clusterRole != "" {
		crb := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: ns + "-" + name + "-" + clusterRole},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: clusterRole},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Namespace: ns, Name: name}},
		}
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return "", fmt.Errorf("binding %s: %w", crb.Name, err)
		}
	}
	expiry := int64(3600)
	tr, err := cs.CoreV1().ServiceAccounts(ns).CreateToken(ctx, name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{ExpirationSeconds: &expiry}}, metav1.CreateOptions{})
	if err != nil {
		return "", fmt.Errorf("token for %s/%s: %w", ns, name, err)
	}
	return tr.Status.Token, nil
}

// UserToken returns the bearer token of a token-file user of the local
// control plane, and false on an external cluster (which has no such
// users).
func (e *Env) UserToken(name string) (string, bool) {
	if e.ControlPlane == nil {
		return "", false
	}
	cfg, err := e.ControlPlane.UserConfig(name)
	if err != nil {
		return "", false
	}
	return cfg.BearerToken, true
}
