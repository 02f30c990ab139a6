package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/getsops/sops/v3/decrypt"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app"
	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/e2e/gitserver"
	"github.com/aigw-console/aigw-console/gitops"
)

// gitopsEnv is one real Git server (git-http-backend) with one repository,
// an age key pair and a folder that holds the server's repositories and
// every console's clone, so that the test can scan all of them at the end.
type gitopsEnv struct {
	root     string
	server   *gitserver.Server
	repo     *gitserver.Repo
	identity *age.X25519Identity
	idFile   string
	// needles are the credential values the test sent (canaries); none may
	// be in any Git object, in clear or base64.
	mu      sync.Mutex
	needles []string
}

func newGitOpsEnv(t *testing.T) *gitopsEnv {
	t.Helper()
	root := t.TempDir()
	// The suite scans every Git object under root for its canaries.
	registerGitRepo(t, root)
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	g := &gitopsEnv{root: root, identity: id, idFile: filepath.Join(root, "age.key")}
	if err := os.WriteFile(g.idFile, []byte("# test identity\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	g.server = gitserver.Start(t, gitserver.Options{Root: filepath.Join(root, "remote")})
	g.repo = g.server.NewRepo(t, "fleet.git")
	// Scan last (cleanups run in reverse order, so this one runs after
	// the consoles stopped): every object of the remote and of every clone.
	t.Cleanup(func() {
		g.mu.Lock()
		defer g.mu.Unlock()
		var needles []string
		for _, n := range g.needles {
			needles = append(needles, n, base64.StdEncoding.EncodeToString([]byte(n)))
		}
		scan, err := gitserver.ScanHistory(root, append(needles, "ENC[AES256_GCM,")...)
		if err != nil {
			t.Errorf("history scan: %v", err)
			return
		}
		sopsSeen := false
		for _, f := range scan.Found {
			if f.Needle == len(needles) {
				sopsSeen = true
				continue
			}
			t.Errorf("a credential is in Git: %s %s %s", f.Repo, f.Type, f.Object)
		}
		// The marker of SOPS-encrypted values proves that the scan reads
		// the objects that hold the Secrets.
		if len(g.needles) > 0 && !sopsSeen {
			t.Errorf("the scan found no SOPS-encrypted value: it does not read the Secrets")
		}
		t.Logf("Git history scan: %d repositories, %d objects, %d credential needles: none found", scan.Repos, scan.Objects, len(needles))
	})
	return g
}

// canary returns a distinctive API key the scan looks for.
func (g *gitopsEnv) canary(t *testing.T) string {
	c := "sk-" + newCanary(t)
	g.mu.Lock()
	g.needles = append(g.needles, c)
	g.mu.Unlock()
	return c
}

// config is the GitOps configuration of one console with its own clone.
func (g *gitopsEnv) config(name string, recipients bool) app.GitOpsConfig {
	c := app.GitOpsConfig{URL: g.repo.URL, CacheDir: filepath.Join(g.root, "cache-"+name)}
	if recipients {
		c.AgeRecipients = []string{g.identity.Recipient().String()}
		c.AgeIdentityFile = g.idFile
	}
	return c
}

// console starts an in-process console in GitOps mode.
func (g *gitopsEnv) console(t *testing.T, name string, recipients bool, mutate ...func(*app.Config)) *console {
	t.Helper()
	return startConsole(t, append([]func(*app.Config){func(cfg *app.Config) {
		cfg.Mode = app.ModeGitOps
		cfg.GitOps = g.config(name, recipients)
	}}, mutate...)...)
}

// decrypted reads a committed file, SOPS-decrypting a Secret with the age
// identity as Flux's kustomize-controller would.
func (g *gitopsEnv) decrypted(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	raw := []byte(g.repo.Show(t, "main", path))
	if strings.Contains(string(raw), "\nsops:") {
		t.Setenv("SOPS_AGE_KEY", g.identity.String())
		plain, err := decrypt.Data(raw, "yaml")
		if err != nil {
			t.Fatalf("sops decrypt %s: %v", path, err)
		}
		raw = plain
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return u
}

// gitWriteAnswer is a write answer with its gitops part.
type gitWriteAnswer struct {
	writeAnswer
	GitOps *sink.GitOps `json:"gitops"`
}

// openAIWithKey is a provider request that carries an API key.
func openAIWithKey(name, key string) map[string]any {
	return map[string]any{"name": name, "template": "openai", "auth": map[string]any{"apiKey": key}}
}

// objectFiles lists the object files (not kustomizations) of main under
// the namespace's folder.
func objectFiles(t *testing.T, repo *gitserver.Repo, ns string) []string {
	t.Helper()
	var out []string
	for _, f := range repo.Files(t, "main") {
		if strings.HasPrefix(f, "clusters/default/"+ns+"/") && !strings.HasSuffix(f, "/kustomization.yaml") {
			out = append(out, f)
		}
	}
	return out
}

// contains reports every field of want that live lacks or holds with
// another value (live may have more: defaults, status, server metadata).
func contains(path string, live, want any) []string {
	switch w := want.(type) {
	case map[string]any:
		l, ok := live.(map[string]any)
		if !ok {
			return []string{path + ": not an object in the cluster"}
		}
		var out []string
		for k, v := range w {
			out = append(out, contains(path+"."+k, l[k], v)...)
		}
		return out
	case []any:
		l, ok := live.([]any)
		if !ok || len(l) != len(w) {
			return []string{fmt.Sprintf("%s: %v in Git, %v in the cluster", path, want, live)}
		}
		var out []string
		for i := range w {
			out = append(out, contains(fmt.Sprintf("%s[%d]", path, i), l[i], w[i])...)
		}
		return out
	default:
		if !reflect.DeepEqual(live, want) {
			return []string{fmt.Sprintf("%s: %v in Git, %v in the cluster", path, want, live)}
		}
		return nil
	}
}

func TestGitOpsMode(t *testing.T) {
	g := newGitOpsEnv(t)
	c := adminClient(t)
	gc := g.console(t, "a", true)
	ns := newNamespace(t)
	providers := gc.URL + "/api/v1/providers?namespace=" + ns
	key := g.canary(t)

	step(t, "a provider with an API key is one commit of rendered files and a SOPS-encrypted Secret; nothing is applied", func(t *testing.T) {
		r := callNoLeak(t, key, "POST", providers, openAIWithKey("openai", key))
		if r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var a gitWriteAnswer
		r.decode(t, &a)
		head := g.repo.Head(t, "main")
		if a.GitOps == nil || a.GitOps.Commit != head || a.GitOps.Branch != "main" || a.GitOps.PullRequest != nil {
			t.Fatalf("gitops = %+v, head %s", a.GitOps, head)
		}
		if n := g.repo.Commits(t, "main"); n != 1 {
			t.Errorf("commits = %d, want 1", n)
		}
		for _, e := range a.Changes {
			if e.Action != sink.Created || e.ResourceVersion != gitops.VersionPrefix+head {
				t.Errorf("%s: %+v", e.Ref, e)
			}
		}
		files := objectFiles(t, g.repo, ns)
		if len(files) != len(a.Changes) {
			t.Errorf("files %v for %d changes", files, len(a.Changes))
		}
		secret := g.repo.Show(t, "main", "clusters/default/"+ns+"/secret/"+provider.SecretName("openai")+".yaml")
		if !strings.Contains(secret, "ENC[AES256_GCM,") || strings.Contains(secret, key) {
			t.Errorf("the Secret is not SOPS-encrypted:\n%s", secret)
		}
		msg := g.repo.Git(t, "log", "-1", "--format=%B", "main")
		if !strings.Contains(msg, "Policy: passed") {
			t.Errorf("commit message has no policy result:\n%s", msg)
		}
		if exists(t, c, ns, "openai", &aigv1b1.AIServiceBackend{}) {
			t.Error("GitOps mode applied the provider to the cluster")
		}
	})

	step(t, "the committed files equal, field by field, what direct mode applies for the same request", func(t *testing.T) {
		direct := startConsole(t)
		r := call(t, "POST", direct.URL+"/api/v1/providers?namespace="+ns, openAIWithKey("openai", key))
		if r.Status != 201 {
			t.Fatalf("direct: status %d: %s", r.Status, r.Body)
		}
		var a writeAnswer
		r.decode(t, &a)
		files := objectFiles(t, g.repo, ns)
		if len(files) != len(a.Changes) {
			t.Fatalf("Git holds %v, direct mode applied %d objects", files, len(a.Changes))
		}
		for _, f := range files {
			want := g.decrypted(t, f)
			full := want.DeepCopy()
			live := &unstructured.Unstructured{}
			live.SetGroupVersionKind(want.GroupVersionKind())
			if err := c.Get(context.Background(), client.ObjectKey{Namespace: want.GetNamespace(), Name: want.GetName()}, live); err != nil {
				t.Errorf("%s: direct mode did not apply %s %s: %v", f, want.GetKind(), want.GetName(), err)
				continue
			}
			if want.GetKind() == "Secret" {
				// Git holds the value SOPS-decrypted; the cluster holds it
				// under data, base64.
				var s corev1.Secret
				get(t, c, ns, want.GetName(), &s)
				if string(s.Data["apiKey"]) != key {
					t.Errorf("the cluster's Secret does not hold the key")
				}
				for _, field := range []string{"data", "stringData"} {
					m, _, _ := unstructured.NestedStringMap(want.Object, field)
					for k, v := range m {
						if field == "data" {
							b, _ := base64.StdEncoding.DecodeString(v)
							v = string(b)
						}
						if string(s.Data[k]) != v {
							t.Errorf("%s: Secret key %s differs from the cluster's", f, k)
						}
					}
				}
				unstructured.RemoveNestedField(want.Object, "data")
				unstructured.RemoveNestedField(want.Object, "stringData")
			}
			if d := contains(want.GetKind(), jsonValue(t, live.Object), jsonValue(t, want.Object)); len(d) > 0 {
				t.Errorf("%s differs from the object direct mode applied:\n%s", f, strings.Join(d, "\n"))
			}
			// And the other way round: every field direct mode owns is in Git.
			for _, mf := range live.GetManagedFields() {
				if mf.Manager != "aigw-console" || mf.Operation != "Apply" || mf.FieldsV1 == nil {
					continue
				}
				var owned map[string]any
				if err := json.Unmarshal(mf.FieldsV1.GetRawBytes(), &owned); err != nil {
					t.Fatal(err)
				}
				if missing := ownedFieldsMissing(want.GetKind(), owned, full.Object); len(missing) > 0 {
					t.Errorf("%s: direct mode owns fields Git lacks: %v", f, missing)
				}
			}
		}
	})

	step(t, "fields the GitOps applier owns in the cluster do not make the validation dry-run conflict", func(t *testing.T) {
		// Flux applies with its own field manager; the console's dry-run
		// must not answer 409 for those fields.
		owned := &unstructured.Unstructured{Object: backendJSON(ns, "a.models.svc.cluster.local")}
		owned.SetName("flux-owned")
		if err := c.Patch(context.Background(), owned, client.Apply, client.FieldOwner("kustomize-controller"), client.ForceOwnership); err != nil { //nolint:staticcheck // as ssa does
			t.Fatal(err)
		}
		head := g.repo.Head(t, "main")
		body := backendJSON(ns, "b.models.svc.cluster.local")
		body["metadata"].(map[string]any)["name"] = "flux-owned"
		r := call(t, "PUT", gc.URL+"/api/v1/resources/backends/flux-owned?namespace="+ns, body)
		if r.Status != 200 && r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if g.repo.Head(t, "main") == head || !strings.Contains(g.repo.Show(t, "main", "clusters/default/"+ns+"/backend/flux-owned.yaml"), "b.models.svc.cluster.local") {
			t.Error("the change was not committed")
		}
	})

	step(t, "a change that leaves Git as it is makes no commit", func(t *testing.T) {
		n := g.repo.Commits(t, "main")
		url := gc.URL + "/api/v1/resources/backends/raw?namespace=" + ns
		if r := call(t, "PUT", url, backendJSON(ns, "vllm.models.svc.cluster.local")); r.Status != 201 && r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if g.repo.Commits(t, "main") != n+1 {
			t.Fatalf("the raw apply made %d commits", g.repo.Commits(t, "main")-n)
		}
		head := g.repo.Head(t, "main")
		r := call(t, "PUT", url, backendJSON(ns, "vllm.models.svc.cluster.local"))
		var a gitWriteAnswer
		r.decode(t, &a)
		if r.Status != 200 || a.GitOps != nil || len(a.Changes) != 1 || a.Changes[0].Action != sink.Unchanged {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
		if g.repo.Head(t, "main") != head {
			t.Error("a no-op made a commit")
		}
	})

	step(t, "the remote down: 503 GitUnavailable with Retry-After, nothing committed", func(t *testing.T) {
		head := g.repo.Head(t, "main")
		g.server.SetDown(true)
		r := call(t, "POST", providers, selfHostedBody("while-down"))
		g.server.SetDown(false)
		p := r.problem(t)
		if r.Status != 503 || p.Code != "GitUnavailable" || r.Header.Get("Retry-After") == "" {
			t.Fatalf("status %d Retry-After %q problem %+v", r.Status, r.Header.Get("Retry-After"), p)
		}
		if g.repo.Head(t, "main") != head {
			t.Error("something was committed while the remote was down")
		}
		// The next write goes through: nothing half-written blocks it.
		if r := call(t, "POST", providers, selfHostedBody("after-down")); r.Status != 201 {
			t.Fatalf("after the outage: status %d: %s", r.Status, r.Body)
		}
		for _, f := range g.repo.Files(t, "main") {
			if strings.Contains(f, "while-down") {
				t.Errorf("%s was committed", f)
			}
		}
	})

	step(t, "a credential without age recipients is refused naming auth; nothing pushed", func(t *testing.T) {
		plain := g.console(t, "no-recipients", false)
		pushes, head := g.server.Pushes(), g.repo.Head(t, "main")
		k := g.canary(t)
		r := callNoLeak(t, k, "POST", plain.URL+"/api/v1/providers?namespace="+ns, openAIWithKey("no-keys", k))
		p := r.problem(t)
		if r.Status != 422 || p.Code != "UnencryptedSecret" || len(p.Causes) != 1 || p.Causes[0].Field != "auth" || !strings.Contains(p.Causes[0].Message, "auth.secretRef") {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		if g.server.Pushes() != pushes || g.repo.Head(t, "main") != head {
			t.Error("something was pushed")
		}
		// A provider without a credential still works in that console.
		if r := call(t, "POST", plain.URL+"/api/v1/providers?namespace="+ns, selfHostedBody("no-credential")); r.Status != 201 {
			t.Errorf("status %d: %s", r.Status, r.Body)
		}
	})

	step(t, "a per-request flow the console does not allow is 400 naming flow; nothing pushed", func(t *testing.T) {
		pushes := g.server.Pushes()
		r := call(t, "POST", providers+"&flow=pull-request", selfHostedBody("wants-a-pr"))
		p := r.problem(t)
		if r.Status != 400 || p.Code != "InvalidFlow" || len(p.Causes) != 1 || p.Causes[0].Field != "flow" {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		if g.server.Pushes() != pushes {
			t.Error("something was pushed")
		}
	})

	step(t, "a Rego denial and an API-server dry-run rejection push nothing", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "deny_team.rego"), []byte(denyTeam), 0o600); err != nil {
			t.Fatal(err)
		}
		strict := g.console(t, "strict", true, func(cfg *app.Config) { cfg.PolicyDir = dir })
		pushes, head := g.server.Pushes(), g.repo.Head(t, "main")
		r := call(t, "POST", strict.URL+"/api/v1/providers?namespace="+ns, selfHostedBody("blocked-x"))
		if p := r.problem(t); r.Status != 422 || p.Code != "PolicyDenied" {
			t.Fatalf("Rego: status %d problem %+v", r.Status, p)
		}
		bsp := map[string]any{"spec": map[string]any{
			"type":           "APIKey",
			"targetRefs":     []any{map[string]any{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": "x"}},
			"apiKey":         map[string]any{"secretRef": map[string]any{"name": "k"}},
			"awsCredentials": map[string]any{"region": "us-east-1"},
		}}
		r = call(t, "PUT", strict.URL+"/api/v1/resources/backendsecuritypolicies/bad?namespace="+ns, bsp)
		if p := r.problem(t); r.Status != 422 || p.Code != "Invalid" || !strings.Contains(p.Detail, "When type is APIKey, only apiKey field should be set") {
			t.Fatalf("dry-run: status %d problem %+v", r.Status, p)
		}
		if g.server.Pushes() != pushes || g.repo.Head(t, "main") != head {
			t.Error("something was pushed")
		}
	})
}

// jsonValue is v after a JSON round trip, so numbers compare alike.
func jsonValue(t *testing.T, v any) any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(raw, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// ownedFieldsMissing walks a managedFields field set (FieldsV1) and lists
// every owned field that obj lacks; list entries (k:, v:, i:) are not
// descended into.
func ownedFieldsMissing(path string, owned map[string]any, obj any) []string {
	var out []string
	for k, v := range owned {
		name, ok := strings.CutPrefix(k, "f:")
		if !ok {
			continue
		}
		m, isMap := obj.(map[string]any)
		child, has := m[name]
		if !isMap || !has {
			out = append(out, path+"."+name)
			continue
		}
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			out = append(out, ownedFieldsMissing(path+"."+name, sub, child)...)
		}
	}
	return out
}

// TestGitOpsTwoConsoleProcessesShareOneRemote runs two real aigw-console
// processes (the built binary, each with its own clone) on one remote and
// sends 20 provider creates at once, 10 to each.
func TestGitOpsTwoConsoleProcessesShareOneRemote(t *testing.T) {
	g := newGitOpsEnv(t)
	ns := newNamespace(t)
	bin := buildConsole(t)
	kubeconfig := writeAdminKubeconfig(t)
	var urls []string
	for _, name := range []string{"one", "two"} {
		urls = append(urls, startConsoleProcess(t, bin, kubeconfig, name,
			"--mode", "gitops", "--gitops-url", g.repo.URL, "--gitops-cache-dir", filepath.Join(g.root, "cache-"+name),
			"--gitops-age-recipient", g.identity.Recipient().String()))
	}
	const n = 20
	before := g.server.Pushes()
	var wg sync.WaitGroup
	status := make([]int, n)
	bodies := make([]string, n)
	for i := range n {
		key := g.canary(t)
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := call(t, "POST", urls[i%2]+"/api/v1/providers?namespace="+ns, openAIWithKey(fmt.Sprintf("p%02d", i), key))
			status[i], bodies[i] = r.Status, string(r.Body)
		}()
	}
	wg.Wait()
	for i := range n {
		if status[i] != 201 {
			t.Errorf("p%02d: status %d: %s", i, status[i], bodies[i])
		}
	}
	if got := g.repo.Commits(t, "main"); got != n {
		t.Errorf("commits on main = %d, want %d", got, n)
	}
	if err := g.repo.Linear(t, "main"); err != nil {
		t.Error(err)
	}
	files := objectFiles(t, g.repo, ns)
	for i := range n {
		name := fmt.Sprintf("p%02d", i)
		var have []string
		for _, f := range files {
			if strings.HasSuffix(f, "/"+name+".yaml") || strings.HasSuffix(f, "/"+provider.SecretName(name)+".yaml") {
				have = append(have, f)
			}
		}
		sort.Strings(have)
		if len(have) != 5 {
			t.Errorf("%s: files %v, want 5 (AIServiceBackend, Backend, BackendSecurityPolicy, BackendTLSPolicy, Secret)", name, have)
		}
	}
	t.Logf("20 concurrent creates through 2 processes: %d commits, linear; the server saw %d pushes (refused races re-laid and pushed again)",
		g.repo.Commits(t, "main"), g.server.Pushes()-before)
}

var (
	consoleBinOnce sync.Once
	consoleBin     string
	consoleBinErr  error
)

// buildConsole builds cmd/aigw-console once per test run.
func buildConsole(t *testing.T) string {
	t.Helper()
	consoleBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "aigw-console-e2e-")
		if err != nil {
			consoleBinErr = err
			return
		}
		consoleBin = filepath.Join(dir, "aigw-console")
		cmd := exec.Command("go", "build", "-o", consoleBin, "./cmd/aigw-console")
		cmd.Dir = ".."
		if out, err := cmd.CombinedOutput(); err != nil {
			consoleBinErr = fmt.Errorf("go build: %w: %s", err, out)
		}
	})
	if consoleBinErr != nil {
		t.Fatal(consoleBinErr)
	}
	return consoleBin
}

// writeAdminKubeconfig writes the admin's connection as a kubeconfig.
func writeAdminKubeconfig(t *testing.T) string {
	t.Helper()
	a := env.Admin
	kc := clientcmdapi.NewConfig()
	kc.Clusters["c"] = &clientcmdapi.Cluster{Server: a.Host, CertificateAuthority: a.CAFile, CertificateAuthorityData: a.CAData, InsecureSkipTLSVerify: a.Insecure}
	kc.AuthInfos["u"] = &clientcmdapi.AuthInfo{Token: a.BearerToken, TokenFile: a.BearerTokenFile,
		ClientCertificate: a.CertFile, ClientCertificateData: a.CertData, ClientKey: a.KeyFile, ClientKeyData: a.KeyData}
	kc.Contexts["c"] = &clientcmdapi.Context{Cluster: "c", AuthInfo: "u"}
	kc.CurrentContext = "c"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	return path
}

// startConsoleProcess runs the console binary on a free loopback port,
// waits for /readyz and stops it (SIGTERM, then SIGKILL) at the end.
func startConsoleProcess(t *testing.T, bin, kubeconfig, name string, args ...string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	logFile, err := os.Create(filepath.Join(t.TempDir(), name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"--kubeconfig", kubeconfig, "--listen-address", addr, "--log-format", "text"}, args...)...)
	cmd.Env = []string{"HOME=" + t.TempDir(), "PATH=" + os.Getenv("PATH")}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(15 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
		_ = logFile.Close()
		if t.Failed() {
			b, _ := os.ReadFile(logFile.Name())
			t.Logf("console %s log:\n%s", name, b)
		}
	})
	url := "http://" + addr
	waitFor(t, 60*time.Second, "console "+name+" /readyz", func() bool {
		select {
		case <-done:
			b, _ := os.ReadFile(logFile.Name())
			t.Fatalf("console %s exited:\n%s", name, b)
		default:
		}
		c := net.Dialer{Timeout: time.Second}
		conn, err := c.Dial("tcp", addr)
		if err != nil {
			return false
		}
		_ = conn.Close()
		return call(t, "GET", url+"/readyz", nil).Status == 200
	})
	return url
}

// TestGitOpsStartUpChecksTheRemote: the console fetches the branch before
// it serves, so a wrong credential stops it with an error that names the
// flag and never the credential; the right one (from a file) starts it.
func TestGitOpsStartUpChecksTheRemote(t *testing.T) {
	root := t.TempDir()
	registerGitRepo(t, root)
	srv := gitserver.Start(t, gitserver.Options{Root: filepath.Join(root, "remote"), User: "console", Password: "right-pass-4f2a"})
	repo := srv.NewRepo(t, "fleet.git")
	wrong, right := filepath.Join(root, "wrong"), filepath.Join(root, "right")
	if err := os.WriteFile(wrong, []byte("wrong-pass-9c1d\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(right, []byte("right-pass-4f2a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := func(file string) app.Config {
		return app.Config{
			RestConfig: env.Admin, ListenAddress: "127.0.0.1:0", Mode: app.ModeGitOps,
			Logger: slog.New(slog.DiscardHandler), Version: "e2e",
			GitOps: app.GitOpsConfig{URL: repo.URL, Username: "console", PasswordFile: file, CacheDir: filepath.Join(root, "cache-"+filepath.Base(file))},
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	served := false
	err := app.Run(ctx, cfg(wrong), func(net.Addr) { served = true })
	if err == nil || served || !strings.Contains(err.Error(), "--gitops-url") || !strings.Contains(err.Error(), "git remote unavailable") {
		t.Fatalf("wrong password: served %v, error %v", served, err)
	}
	if strings.Contains(err.Error(), "pass-") {
		t.Errorf("the error carries a credential: %v", err)
	}
	con := startConsole(t, func(c *app.Config) {
		keep := c.Logger // the suite's log capture
		*c = cfg(right)
		c.Logger = keep
	})
	if r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+newNamespace(t), selfHostedBody("authenticated")); r.Status != 201 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if repo.Commits(t, "main") != 1 {
		t.Errorf("commits = %d", repo.Commits(t, "main"))
	}
}

// TestGitOpsOverSSH runs a console whose remote is an ssh:// URL (git's
// own upload-pack and receive-pack behind an SSH server), with the key
// and known_hosts from files as the chart mounts them: a provider with an
// API key lands as one commit with the Secret encrypted.
func TestGitOpsOverSSH(t *testing.T) {
	g := newGitOpsEnv(t)
	srv := gitserver.StartSSH(t, g.server.Root)
	key, known := srv.ClientFiles(t, g.root)
	con := g.console(t, "ssh", true, func(c *app.Config) {
		c.GitOps.URL, c.GitOps.SSHKeyFile, c.GitOps.KnownHostsFile = srv.URL(g.repo.Name), key, known
	})
	ns := newNamespace(t)
	apiKey := g.canary(t)
	r := call(t, "POST", providersURL(con, ns, ""), openAIBody("over-ssh", apiKey))
	if r.Status != 201 {
		t.Fatalf("status %d: %s", r.Status, r.Body)
	}
	if n := g.repo.Commits(t, "main"); n != 1 || srv.Pushes() != 1 {
		t.Fatalf("commits %d, SSH pushes %d; want 1 and 1", n, srv.Pushes())
	}
	secrets := 0
	for _, f := range objectFiles(t, g.repo, ns) {
		if obj := g.decrypted(t, f); obj.GetKind() == "Secret" {
			secrets++
			data, _, _ := unstructured.NestedMap(obj.Object, "data")
			found := false
			for _, v := range data {
				b, _ := base64.StdEncoding.DecodeString(fmt.Sprint(v))
				found = found || string(b) == apiKey
			}
			if !found {
				t.Errorf("%s does not decrypt to the API key sent (keys %v)", f, slices.Collect(maps.Keys(data)))
			}
		}
	}
	if secrets != 1 {
		t.Errorf("%d Secrets committed over SSH, want 1", secrets)
	}
}
