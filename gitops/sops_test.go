package gitops

import (
	"context"
	"encoding/base64"
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/getsops/sops/v3/decrypt"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/sink"
)

func TestSecrets(t *testing.T) {
	identity, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	recipient := identity.Recipient().String()
	const path = "clusters/default/team-a/secret/openai-credentials.yaml"
	withRecipients := func(o *Options) { o.Recipients = []string{recipient} }

	t.Run("a Secret is committed SOPS-encrypted and decrypts back with the identity", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g, withRecipients)
		sec := secret("team-a", "openai-credentials", canary)
		sec.Object["stringData"] = map[string]any{"token": canary + "-string"}
		res := apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{sec, backend("team-a", "openai", "api.openai.com")}})
		if res.Entries[0].Action != sink.Created {
			t.Fatalf("entries: %+v", res.Entries)
		}
		file := g.show(t, path)
		for _, leak := range []string{canary, base64.StdEncoding.EncodeToString([]byte(canary))} {
			if strings.Contains(file, leak) {
				t.Fatalf("the committed Secret holds a plaintext value:\n%s", file)
			}
		}
		var doc struct {
			Metadata   map[string]any    `json:"metadata"`
			Data       map[string]string `json:"data"`
			StringData map[string]string `json:"stringData"`
			SOPS       struct {
				Age []struct {
					Recipient string `json:"recipient"`
					Enc       string `json:"enc"`
				} `json:"age"`
				EncryptedRegex string `json:"encrypted_regex"`
				MAC            string `json:"mac"`
				LastModified   string `json:"lastmodified"`
			} `json:"sops"`
		}
		if err := yaml.Unmarshal([]byte(file), &doc); err != nil {
			t.Fatal(err)
		}
		if doc.Metadata["name"] != "openai-credentials" || !strings.HasPrefix(doc.Data["apiKey"], "ENC[AES256_GCM,") ||
			!strings.HasPrefix(doc.StringData["token"], "ENC[AES256_GCM,") {
			t.Errorf("not the SOPS layout Flux decrypts:\n%s", file)
		}
		if len(doc.SOPS.Age) != 1 || doc.SOPS.Age[0].Recipient != recipient || !strings.Contains(doc.SOPS.Age[0].Enc, "BEGIN AGE ENCRYPTED FILE") ||
			doc.SOPS.EncryptedRegex != EncryptedRegex || !strings.HasPrefix(doc.SOPS.MAC, "ENC[AES256_GCM,") || doc.SOPS.LastModified == "" {
			t.Errorf("sops metadata:\n%s", file)
		}

		// sops' own decrypt package (what the sops CLI and Flux build on),
		// with the age identity from the environment as Flux hands it over.
		t.Setenv("SOPS_AGE_KEY", identity.String())
		plain, err := decrypt.Data([]byte(file), "yaml")
		if err != nil {
			t.Fatalf("sops decrypt: %v", err)
		}
		var got unstructured.Unstructured
		if err := yaml.Unmarshal(plain, &got.Object); err != nil {
			t.Fatal(err)
		}
		if v, _, _ := unstructured.NestedString(got.Object, "data", "apiKey"); v != base64.StdEncoding.EncodeToString([]byte(canary)) {
			t.Errorf("decrypted apiKey does not match")
		}
		if v, _, _ := unstructured.NestedString(got.Object, "stringData", "token"); v != canary+"-string" {
			t.Errorf("decrypted token does not match")
		}
		if _, ok := got.Object["sops"]; ok {
			t.Error("the decrypted Secret still has sops metadata")
		}
	})

	t.Run("kustomize-controller's path decrypts it: kustomize build, then sops' JSON store", func(t *testing.T) {
		second, err := age.GenerateX25519Identity()
		if err != nil {
			t.Fatal(err)
		}
		g := newGitServer(t)
		s := newSink(t, g, func(o *Options) { o.Recipients = []string{recipient, second.Recipient().String()} })
		sec := secret("team-a", "openai-credentials", canary)
		sec.SetLabels(map[string]string{"app.kubernetes.io/managed-by": "aigw-console"})
		apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{sec, backend("team-a", "openai", "api.openai.com")}})

		wt := g.checkout(t)
		resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), filepath.Join(wt, "clusters/default"))
		if err != nil {
			t.Fatalf("kustomize build: %v", err)
		}
		var found bool
		for _, res := range resMap.Resources() {
			if res.GetKind() != "Secret" {
				continue
			}
			found = true
			// As kustomize-controller's DecryptResource: the built resource
			// as JSON into sops' JSON store (here with the MAC checked too),
			// once with each recipient's identity.
			js, err := res.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range []*age.X25519Identity{identity, second} {
				t.Setenv("SOPS_AGE_KEY", id.String())
				plain, err := decrypt.Data(js, "json")
				if err != nil {
					t.Fatalf("sops decrypt (JSON): %v", err)
				}
				var got unstructured.Unstructured
				if err := got.UnmarshalJSON(plain); err != nil {
					t.Fatal(err)
				}
				if v, _, _ := unstructured.NestedString(got.Object, "data", "apiKey"); v != base64.StdEncoding.EncodeToString([]byte(canary)) {
					t.Error("decrypted apiKey does not match")
				}
				if got.GetName() != "openai-credentials" || got.GetLabels()["app.kubernetes.io/managed-by"] != "aigw-console" {
					t.Errorf("decrypted Secret: %v", got.Object["metadata"])
				}
			}
		}
		if !found {
			t.Fatal("kustomize build lost the Secret")
		}
	})

	t.Run("an unchanged Secret makes no commit when the sink holds an identity", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g, withRecipients, func(o *Options) { o.Identities = []string{identity.String()} })
		objs := []*unstructured.Unstructured{secret("team-a", "openai-credentials", canary)}
		apply(t, s, sink.ChangeSet{Apply: objs})
		res := apply(t, s, sink.ChangeSet{Apply: objs})
		if res.Entries[0].Action != sink.Unchanged || g.commits(t) != 1 {
			t.Errorf("second apply: %s, %d commits", res.Entries[0].Action, g.commits(t))
		}
		res = apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{secret("team-a", "openai-credentials", canary+"-rotated")}})
		if res.Entries[0].Action != sink.Configured || g.commits(t) != 2 {
			t.Errorf("rotated key: %s, %d commits", res.Entries[0].Action, g.commits(t))
		}
	})

	t.Run("without an identity the Secret is encrypted again (documented)", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g, withRecipients)
		objs := []*unstructured.Unstructured{secret("team-a", "openai-credentials", canary)}
		apply(t, s, sink.ChangeSet{Apply: objs})
		dry := apply(t, s, sink.ChangeSet{Apply: objs, DryRun: true})
		if dry.Entries[0].Action != sink.Configured {
			t.Fatalf("dry run: %+v", dry.Entries)
		}
		for _, c := range dry.Entries[0].Changes {
			if s, ok := c.Value.(string); ok && strings.Contains(s, "canary") {
				t.Errorf("the dry-run diff shows a value: %+v", c)
			}
		}
	})

	t.Run("without recipients a Secret with values is refused", func(t *testing.T) {
		g := newGitServer(t)
		s := newSink(t, g)
		for _, dryRun := range []bool{false, true} {
			_, err := s.Apply(context.Background(), sink.ChangeSet{
				Apply:  []*unstructured.Unstructured{backend("team-a", "openai", "api.openai.com"), secret("team-a", "openai-credentials", canary)},
				DryRun: dryRun,
			})
			var ue *UnencryptedSecretError
			if !errors.As(err, &ue) || ue.Object.Name != "openai-credentials" {
				t.Fatalf("Apply(dryRun=%v) = %v; want an UnencryptedSecretError", dryRun, err)
			}
			if strings.Contains(err.Error(), canary) || !strings.Contains(err.Error(), "auth.secretRef") {
				t.Errorf("error message: %v", err)
			}
		}
		if g.head(t) != "" {
			t.Error("something was pushed")
		}
		// A Secret without values (a name to reference) is fine.
		empty := secret("team-a", "placeholder", "")
		delete(empty.Object, "data")
		apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{empty}})
	})

	t.Run("a bad recipient is refused at New", func(t *testing.T) {
		_, err := New(context.Background(), Options{URL: newGitServer(t).URL, CacheDir: newDir(t, "cache"), Recipients: []string{"age1notakey"}})
		if err == nil {
			t.Fatal("New accepted a bad recipient")
		}
	})

	t.Run("no Git object of these tests holds a Secret value", func(t *testing.T) {
		if _, _, err := scanForCanary(testRoot); err != nil {
			t.Fatal(err)
		}
	})
}

// TestScanFindsPlaintext proves the history scan would catch a leak: a
// repository (outside testRoot, so TestMain's scan stays green) with the
// canary in a blob, in base64 in another, and in an unreachable object.
func TestScanFindsPlaintext(t *testing.T) {
	for name, content := range map[string]string{
		"in clear": "apiKey: " + canary + "\n",
		"base64":   "apiKey: " + base64.StdEncoding.EncodeToString([]byte(canary)) + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			run(t, dir, "git", "init", "--quiet", "--bare", "leak.git")
			cmd := exec.Command("git", "-C", filepath.Join(dir, "leak.git"), "hash-object", "-w", "--stdin")
			cmd.Stdin = strings.NewReader(content)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%v: %s", err, out)
			}
			if _, _, err := scanForCanary(dir); err == nil {
				t.Fatal("the scan missed an unreachable blob with the canary")
			}
		})
	}
}
