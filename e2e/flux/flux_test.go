package flux_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"log/slog"
	"os"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/e2e/flux"
	"github.com/aigw-console/aigw-console/e2e/gitserver"
	"github.com/aigw-console/aigw-console/e2e/harness"
	"github.com/aigw-console/aigw-console/e2e/localtool"
	"github.com/aigw-console/aigw-console/gitops"
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// TestFluxAppliesAndPrunesSOPSSecrets commits a SOPS-encrypted Secret and a
// ConfigMap through the GitOps sink to a real Git server; real Flux fetches
// the commit, decrypts the Secret with the age identity and applies both;
// removing the Secret's file makes Flux prune it; with the Git server
// stopped the GitRepository turns not Ready, and once it is restarted the
// commit made meanwhile is applied.
func TestFluxAppliesAndPrunesSOPSSecrets(t *testing.T) {
	binDir := localtool.Require(t, flux.MakeTarget, flux.Binaries...)
	if os.Getenv("E2E_KUBECONFIG") == "" {
		localtool.Require(t, "tools", "kube-apiserver", "etcd")
	}
	ctrllog.SetLogger(logr.Discard())
	ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
	defer cancel()

	start := time.Now()
	env, err := harness.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(env.Stop)
	t.Logf("API server ready in %s", time.Since(start).Round(time.Millisecond))

	start = time.Now()
	fx, err := flux.Start(ctx, env.Admin, flux.Options{BinDir: binDir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fx.Stop() })
	t.Logf("Flux CRDs installed and both controllers ready in %s", time.Since(start).Round(time.Millisecond))

	// A Git server with basic auth, an empty fleet repository, and the
	// console's GitOps sink with an age recipient.
	password := "git-" + randomHex(8)
	git := gitserver.Start(t, gitserver.Options{User: "flux", Password: password})
	repo := git.CreateRepo(t, "fleet.git", nil)
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	s, err := gitops.New(ctx, gitops.Options{
		URL: repo.URL, CacheDir: t.TempDir(),
		Auth:       gitops.Auth{Username: "flux", Password: password},
		Recipients: []string{identity.Recipient().String()},
		Logger:     slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	kube := kubernetes.NewForConfigOrDie(env.Admin)
	ns := "team-" + randomHex(3)
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}

	secretValue := "sk-flux-" + randomHex(12)
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "openai-credentials", "namespace": ns},
		"type":     "Opaque",
		"data":     map[string]any{"apiKey": base64.StdEncoding.EncodeToString([]byte(secretValue))},
	}}
	configMap := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "settings", "namespace": ns},
		"data":     map[string]any{"region": "eu-west-1"},
	}}
	if _, err := s.Apply(ctx, sink.ChangeSet{Apply: []*unstructured.Unstructured{secret, configMap}}); err != nil {
		t.Fatal(err)
	}
	head := repo.Head(t, "main")
	t.Logf("committed %s: %v", head[:12], repo.Files(t, "main"))

	const name = "fleet"
	if err := fx.CreateGitRepository(ctx, flux.GitRepository{Name: name, URL: repo.URL, Username: "flux", Password: password}); err != nil {
		t.Fatal(err)
	}
	if err := fx.CreateKustomization(ctx, flux.Kustomization{Name: name, Source: name, Path: "./clusters/default", AgeIdentity: identity.String()}); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	wait := func(sha string) {
		t.Helper()
		wctx, wcancel := context.WithTimeout(ctx, 3*time.Minute)
		defer wcancel()
		if err := fx.WaitApplied(wctx, "", name, name, flux.Revision("main", sha)); err != nil {
			t.Fatal(err)
		}
	}
	wait(head)
	t.Logf("Flux applied %s in %s (GitRepository and Kustomization created)", head[:12], time.Since(start).Round(time.Millisecond))

	got, err := kube.CoreV1().Secrets(ns).Get(ctx, "openai-credentials", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(got.Data["apiKey"]) != secretValue {
		t.Fatalf("the Secret in the cluster holds %d bytes that are not the decrypted value (SOPS not decrypted?)", len(got.Data["apiKey"]))
	}
	if _, ok := got.Data["sops"]; ok {
		t.Error("the Secret in the cluster carries SOPS metadata")
	}
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{})
	if err != nil || cm.Data["region"] != "eu-west-1" {
		t.Fatalf("ConfigMap = %v, %v", cm.Data, err)
	}

	// Remove the Secret's file: Flux prunes the Secret, the ConfigMap stays.
	if _, err := s.Apply(ctx, sink.ChangeSet{Delete: []sink.Ref{sink.RefOf(secret)}}); err != nil {
		t.Fatal(err)
	}
	next := repo.Head(t, "main")
	if next == head {
		t.Fatal("deleting the Secret made no commit")
	}
	start = time.Now()
	if err := fx.Reconcile(ctx, "", name, name); err != nil {
		t.Fatal(err)
	}
	wait(next)
	t.Logf("Flux applied %s (Secret removed) in %s after a reconcile request", next[:12], time.Since(start).Round(time.Millisecond))
	if _, err := kube.CoreV1().Secrets(ns).Get(ctx, "openai-credentials", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("Secret after its file was removed: err = %v, want NotFound (pruned)", err)
	}
	if _, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, "settings", metav1.GetOptions{}); err != nil {
		t.Errorf("ConfigMap after the Secret was pruned: %v", err)
	}

	// The Git server goes down: source-controller reports the failed
	// fetch; once it is back, the commit made meanwhile is applied.
	git.Stop()
	third := repo.Commit(t, "main", "written while the server is down", map[string]string{"README.md": "moved on\n"}, nil)
	start = time.Now()
	if err := fx.Reconcile(ctx, "", name, name); err != nil {
		t.Fatal(err)
	}
	dctx, dcancel := context.WithTimeout(ctx, 2*time.Minute)
	st, err := fx.WaitStatus(dctx, flux.GitRepositoryResource, "", name, func(s flux.Status) bool { return s.Ready == "False" })
	dcancel()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Git server down: GitRepository not Ready after %s: %s", time.Since(start).Round(time.Millisecond), st.Reason)
	if err := git.Restart(); err != nil {
		t.Fatal(err)
	}
	start = time.Now()
	if err := fx.Reconcile(ctx, "", name, name); err != nil {
		t.Fatal(err)
	}
	wait(third)
	t.Logf("Git server back: Flux applied %s in %s", third[:12], time.Since(start).Round(time.Millisecond))

	// The value never reached Git, in clear or base64.
	scan, err := git.ScanHistory(secretValue, base64.StdEncoding.EncodeToString([]byte(secretValue)))
	if err != nil {
		t.Fatal(err)
	}
	if err := scan.Err(); err != nil {
		t.Fatal(err)
	}
	t.Logf("history scan: %d repositories, %d objects, no Secret value", scan.Repos, scan.Objects)
}
