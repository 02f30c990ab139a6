package provider

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// credentialValues lists every write-only value of s.
func credentialValues(s Spec) []string {
	var out []string
	add := func(c Credential) {
		if c.IsSet() {
			out = append(out, c.Value())
		}
	}
	add(s.Auth.APIKey)
	if a := s.Auth.AWS; a != nil {
		add(a.Credentials)
		add(a.AccessKeyID)
		add(a.SecretAccessKey)
	}
	if a := s.Auth.Azure; a != nil {
		add(a.ClientSecret)
	}
	if g := s.Auth.GCP; g != nil {
		add(g.ServiceAccountJSON)
	}
	return out
}

func marshalObjects(t *testing.T, objs []*unstructured.Unstructured) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, u := range objs {
		y, err := yaml.Marshal(u.Object)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("---\n")
		b.Write(y)
	}
	return b.Bytes()
}

func decodeSpec(t *testing.T, path string) Spec {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	var s Spec
	if err := dec.Decode(&s); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return s
}

// TestRenderGolden renders testdata/<template>.in.json into
// <template>.out.yaml with the Secret redacted. Run with -update to rewrite.
func TestRenderGolden(t *testing.T) {
	ins, err := filepath.Glob("testdata/*.in.json")
	if err != nil || len(ins) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range ins {
		name := strings.TrimSuffix(filepath.Base(in), ".in.json")
		t.Run("the "+name+" template renders as its golden file", func(t *testing.T) {
			s, errs := ExpandTemplate(decodeSpec(t, in))
			if len(errs) > 0 {
				t.Fatalf("ExpandTemplate: %v", errs)
			}
			r := mustRender(t, s)
			got := marshalObjects(t, r.Redacted().Objects)

			secrets := credentialValues(s)
			if len(secrets) == 0 {
				t.Fatal("golden inputs must carry a fake credential")
			}
			if sec := objectOf(r.Objects, cluster.Secret); sec != nil {
				data, _, _ := unstructured.NestedStringMap(sec.Object, "data")
				for _, v := range data {
					secrets = append(secrets, v) // the base64 form too
				}
			}
			for _, v := range secrets {
				if bytes.Contains(got, []byte(v)) {
					t.Fatalf("golden output contains a credential value")
				}
			}

			out := filepath.Join("testdata", name+".out.yaml")
			if *update {
				if err := os.WriteFile(out, got, 0o600); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("%s differs (-want +got); run go test -update if intended:\n%s", out, diff)
			}
		})
	}
}

func TestEveryTemplateHasAGoldenFile(t *testing.T) {
	for _, tpl := range Templates() {
		t.Run("the "+tpl.Name+" template has a golden input", func(t *testing.T) {
			if _, err := os.Stat(filepath.Join("testdata", tpl.Name+".in.json")); err != nil {
				t.Error(err)
			}
		})
	}
}

// allSpecs are valid specs covering every schema and auth style.
func allSpecs() map[string]Spec {
	return map[string]Spec{
		"openai":           openAISpec(),
		"self-hosted":      selfHostedSpec(),
		"self-hosted-ip":   with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "10.0.0.12", Port: 8000} }),
		"aws":              awsSpec(),
		"aws-default":      with(awsSpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1"} }),
		"aws-anthropic":    awsAnthropicSpec(),
		"azure":            azureSpec(),
		"azure-creds":      azureCredsSpec(),
		"gcp":              gcpSpec(),
		"gcp-adc":          with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = "" }),
		"gcp-anthropic":    gcpAnthropicSpec(),
		"anthropic":        anthropicSpec(),
		"cohere":           cohereSpec(),
		"openai-secretref": with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "my-key"} }),
		"from-template":    {Name: "tpl", Template: "openai", Schema: Schema{Name: aigv1b1.APISchemaOpenAI}, Endpoint: Endpoint{Hostname: "api.openai.com", Port: 443}, Auth: Auth{Type: AuthAPIKey, APIKey: "k"}},
	}
}

func TestRenderedObjectsAreComplete(t *testing.T) {
	for name, s := range allSpecs() {
		r := mustRender(t, s)
		t.Run("every object of "+name+" has its identity, labels and no server fields", func(t *testing.T) {
			for _, u := range r.Objects {
				if u.GetAPIVersion() == "" || u.GetKind() == "" {
					t.Errorf("%s/%s: apiVersion or kind missing", u.GetKind(), u.GetName())
				}
				if u.GetNamespace() != testNS {
					t.Errorf("%s: namespace %q", u.GetKind(), u.GetNamespace())
				}
				wantName := s.Name
				if u.GetKind() == "Secret" {
					wantName = s.Name + "-credentials"
				}
				if u.GetName() != wantName {
					t.Errorf("%s: name %q, want %q", u.GetKind(), u.GetName(), wantName)
				}
				want := map[string]string{LabelManagedBy: ManagedBy, LabelProvider: s.Name}
				if s.Template != "" {
					want[LabelTemplate] = s.Template
				}
				if diff := cmp.Diff(want, u.GetLabels()); diff != "" {
					t.Errorf("%s labels (-want +got):\n%s", u.GetKind(), diff)
				}
				if _, ok := u.Object["status"]; ok {
					t.Errorf("%s has a status", u.GetKind())
				}
				if _, ok, _ := unstructured.NestedFieldNoCopy(u.Object, "metadata", "creationTimestamp"); ok {
					t.Errorf("%s has metadata.creationTimestamp", u.GetKind())
				}
			}
		})
		t.Run("the references of "+name+" spell out group and kind", func(t *testing.T) {
			asb := objectOf(r.Objects, cluster.AIServiceBackend)
			ref, _, _ := unstructured.NestedStringMap(asb.Object, "spec", "backendRef")
			if diff := cmp.Diff(map[string]string{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": s.Name}, ref); diff != "" {
				t.Errorf("AIServiceBackend backendRef (-want +got):\n%s", diff)
			}
			if bsp := objectOf(r.Objects, cluster.BackendSecurityPolicy); bsp != nil {
				refs, _, _ := unstructured.NestedSlice(bsp.Object, "spec", "targetRefs")
				want := []any{map[string]any{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": s.Name}}
				if diff := cmp.Diff(want, refs); diff != "" {
					t.Errorf("BackendSecurityPolicy targetRefs (-want +got):\n%s", diff)
				}
			}
			if btls := objectOf(r.Objects, cluster.BackendTLSPolicy); btls != nil {
				spec, _, _ := unstructured.NestedMap(btls.Object, "spec")
				want := map[string]any{
					"targetRefs": []any{map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": s.Name}},
					"validation": map[string]any{"hostname": s.Endpoint.Hostname, "wellKnownCACertificates": "System"},
				}
				if diff := cmp.Diff(want, spec); diff != "" {
					t.Errorf("BackendTLSPolicy spec (-want +got):\n%s", diff)
				}
			}
		})
		t.Run("the policy of "+name+" has exactly the block of its type", func(t *testing.T) {
			bsp := objectOf(r.Objects, cluster.BackendSecurityPolicy)
			if bsp == nil {
				return
			}
			spec, _, _ := unstructured.NestedMap(bsp.Object, "spec")
			if len(spec) > 4 {
				t.Errorf("spec has %d properties; the CRD allows 4", len(spec))
			}
			blocks := map[string]string{
				"APIKey": "apiKey", "AWSCredentials": "awsCredentials", "AzureAPIKey": "azureAPIKey",
				"AzureCredentials": "azureCredentials", "GCPCredentials": "gcpCredentials", "AnthropicAPIKey": "anthropicAPIKey",
			}
			typ, _ := spec["type"].(string)
			for ty, block := range blocks {
				_, has := spec[block]
				if has != (ty == typ) {
					t.Errorf("type %s: block %s present=%v", typ, block, has)
				}
			}
		})
		t.Run("the Backend of "+name+" has one endpoint", func(t *testing.T) {
			be := objectOf(r.Objects, cluster.Backend)
			eps, _, _ := unstructured.NestedSlice(be.Object, "spec", "endpoints")
			var want []any
			if s.Endpoint.Hostname != "" {
				want = []any{map[string]any{"fqdn": map[string]any{"hostname": s.Endpoint.Hostname, "port": int64(s.Endpoint.Port)}}}
			} else {
				want = []any{map[string]any{"ip": map[string]any{"address": s.Endpoint.IP, "port": int64(s.Endpoint.Port)}}}
			}
			if diff := cmp.Diff(want, eps); diff != "" {
				t.Errorf("endpoints (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderAppliesObjectsInOrder(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		kinds   []string
		secret  string
		key     string
		managed bool
	}{
		{"a provider with a credential and TLS renders all five objects", openAISpec(),
			[]string{"Secret", "Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, "openai-credentials", "apiKey", true},
		{"TLS off drops the BackendTLSPolicy", with(openAISpec(), func(s *Spec) { s.Endpoint.TLS = ptr(false) }),
			[]string{"Secret", "Backend", "AIServiceBackend", "BackendSecurityPolicy"}, "openai-credentials", "apiKey", true},
		{"a port other than 443 has no TLS by default", with(openAISpec(), func(s *Spec) { s.Endpoint.Port = 8443 }),
			[]string{"Secret", "Backend", "AIServiceBackend", "BackendSecurityPolicy"}, "openai-credentials", "apiKey", true},
		{"auth None drops the policy and the Secret", selfHostedSpec(),
			[]string{"Backend", "AIServiceBackend"}, "", "", false},
		{"a secretRef renders no Secret", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "mine"} }),
			[]string{"Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, "mine", "apiKey", false},
		{"KeepSecret references the managed Secret without rendering it", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.KeepSecret = true }),
			[]string{"Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, "openai-credentials", "apiKey", false},
		{"a credential in the request wins over KeepSecret", with(openAISpec(), func(s *Spec) { s.KeepSecret = true }),
			[]string{"Secret", "Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, "openai-credentials", "apiKey", true},
		{"AWS default credentials render no Secret", with(awsSpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1"} }),
			[]string{"Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, "", "", false},
		{"useDefaultCredentials wins over KeepSecret", with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1"}
			s.Auth.UseDefaultCredentials, s.KeepSecret = true, true
		}), []string{"Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, "", "", false},
		{"AWS with KeepSecret keeps the INI Secret", with(awsSpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1"}; s.KeepSecret = true }),
			[]string{"Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, "bedrock-credentials", "credentials", false},
		{"GCP without a key uses Application Default Credentials", with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = "" }),
			[]string{"Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, "", "", false},
		{"an IP endpoint renders no BackendTLSPolicy", with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "10.0.0.1", Port: 80} }),
			[]string{"Backend", "AIServiceBackend"}, "", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, tt.spec)
			if diff := cmp.Diff(tt.kinds, kindsOf(r.Objects)); diff != "" {
				t.Errorf("kinds (-want +got):\n%s", diff)
			}
			got := []any{r.SecretName, r.SecretKey, r.ManagedSecret}
			if diff := cmp.Diff([]any{tt.secret, tt.key, tt.managed}, got); diff != "" {
				t.Errorf("SecretName, SecretKey, ManagedSecret (-want +got):\n%s", diff)
			}
			if bsp := objectOf(r.Objects, cluster.BackendSecurityPolicy); bsp != nil {
				refName := ""
				for _, path := range [][]string{
					{"spec", "apiKey", "secretRef", "name"},
					{"spec", "awsCredentials", "credentialsFile", "secretRef", "name"},
					{"spec", "gcpCredentials", "credentialsFile", "secretRef", "name"},
				} {
					if v, ok, _ := unstructured.NestedString(bsp.Object, path...); ok {
						refName = v
					}
				}
				if refName != tt.secret {
					t.Errorf("policy references Secret %q, want %q", refName, tt.secret)
				}
			}
		})
	}
}

func TestRenderPutsTheCredentialUnderTheKeyOfItsAuthType(t *testing.T) {
	tests := []struct {
		name  string
		spec  Spec
		key   string
		value string
	}{
		{"an OpenAI API key goes to apiKey", openAISpec(), "apiKey", "sk-test-openai"},
		{"an Azure API key goes to apiKey", azureSpec(), "apiKey", "azure-key"},
		{"an Anthropic API key goes to apiKey", anthropicSpec(), "apiKey", "sk-ant-test"},
		{"a Cohere API key goes to apiKey", cohereSpec(), "apiKey", "cohere-key"},
		{"an AWS key pair becomes an INI file under credentials", awsSpec(), "credentials",
			"[default]\naws_access_key_id = AKIAFAKEFAKEFAKE0001\naws_secret_access_key = fake/secret+key\n"},
		{"an AWS key pair goes under the named profile", with(awsSpec(), func(s *Spec) { s.Auth.AWS.Profile = "bedrock" }), "credentials",
			"[bedrock]\naws_access_key_id = AKIAFAKEFAKEFAKE0001\naws_secret_access_key = fake/secret+key\n"},
		{"an AWS INI file is stored as given", with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1", Credentials: "[default]\naws_access_key_id=A\naws_secret_access_key=B\naws_session_token=C\n"}
		}), "credentials", "[default]\naws_access_key_id=A\naws_secret_access_key=B\naws_session_token=C\n"},
		{"an Azure client secret goes to client-secret", azureCredsSpec(), "client-secret", "azure-client-secret"},
		{"a GCP key file goes to service_account.json", gcpSpec(), "service_account.json", fakeServiceAccount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := mustRender(t, tt.spec)
			sec := objectOf(r.Objects, cluster.Secret)
			if sec == nil {
				t.Fatal("no Secret rendered")
			}
			if diff := cmp.Diff(map[string]string{tt.key: tt.value}, secretData(t, sec)); diff != "" {
				t.Errorf("Secret data (-want +got):\n%s", diff)
			}
			if typ, _, _ := unstructured.NestedString(sec.Object, "type"); typ != "Opaque" {
				t.Errorf("Secret type %q, want Opaque", typ)
			}
			if r.SecretKey != tt.key || SecretKeyFor(tt.spec.Auth.Type) != tt.key {
				t.Errorf("SecretKey %q, SecretKeyFor %q, want %q", r.SecretKey, SecretKeyFor(tt.spec.Auth.Type), tt.key)
			}
		})
	}
}

func TestRenderWritesThePolicyBlocks(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want map[string]any
	}{
		{"an AWS policy names the region, the Secret and the profile",
			with(awsSpec(), func(s *Spec) { s.Auth.AWS.Profile = "bedrock" }),
			map[string]any{"awsCredentials": map[string]any{"region": "us-east-1", "credentialsFile": map[string]any{"secretRef": map[string]any{"name": "bedrock-credentials"}, "profile": "bedrock"}}}},
		{"an AWS policy on the default chain has only the region",
			with(awsSpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1"} }),
			map[string]any{"awsCredentials": map[string]any{"region": "us-east-1"}}},
		{"an Azure policy names the client, the tenant and the Secret", azureCredsSpec(),
			map[string]any{"azureCredentials": map[string]any{
				"clientID": "11111111-2222-3333-4444-555555555555", "tenantID": "66666666-7777-8888-9999-000000000000",
				"clientSecretRef": map[string]any{"name": "azure-credentials"},
			}}},
		{"an Azure API key policy uses azureAPIKey", azureSpec(),
			map[string]any{"azureAPIKey": map[string]any{"secretRef": map[string]any{"name": "azure-credentials"}}}},
		{"an Anthropic policy uses anthropicAPIKey", anthropicSpec(),
			map[string]any{"anthropicAPIKey": map[string]any{"secretRef": map[string]any{"name": "anthropic-credentials"}}}},
		{"a GCP policy names the project, the region and the Secret", gcpSpec(),
			map[string]any{"gcpCredentials": map[string]any{"projectName": "my-project-123", "region": "us-central1", "credentialsFile": map[string]any{"secretRef": map[string]any{"name": "gemini-credentials"}}}}},
		{"a GCP policy on ADC has no credentials file", with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = "" }),
			map[string]any{"gcpCredentials": map[string]any{"projectName": "my-project-123", "region": "us-central1"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bsp := objectOf(mustRender(t, tt.spec).Objects, cluster.BackendSecurityPolicy)
			spec, _, _ := unstructured.NestedMap(bsp.Object, "spec")
			delete(spec, "targetRefs")
			delete(spec, "type")
			if diff := cmp.Diff(tt.want, spec); diff != "" {
				t.Errorf("policy block (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderWritesTheSchema(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want map[string]any
	}{
		{"a bare OpenAI schema has only the name", openAISpec(), map[string]any{"name": "OpenAI"}},
		{"an OpenAI prefix is written", selfHostedSpec(), map[string]any{"name": "OpenAI", "prefix": "v1"}},
		{"an Azure api-version is written", azureSpec(), map[string]any{"name": "AzureOpenAI", "version": "2025-01-01-preview"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			asb := objectOf(mustRender(t, tt.spec).Objects, cluster.AIServiceBackend)
			got, _, _ := unstructured.NestedMap(asb.Object, "spec", "schema")
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("schema (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	for name, s := range allSpecs() {
		t.Run(name+" renders the same bytes twice", func(t *testing.T) {
			a := marshalObjects(t, mustRender(t, s).Objects)
			b := marshalObjects(t, mustRender(t, s).Objects)
			if diff := cmp.Diff(string(a), string(b)); diff != "" {
				t.Errorf("(-first +second):\n%s", diff)
			}
		})
	}
}

func TestRenderRefusesAnInvalidSpec(t *testing.T) {
	s := with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = "https://api.openai.com"; s.Auth.APIKey = canary + "\n" })
	_, err := Render(testNS, s)
	var ise *InvalidSpecError
	if !errors.As(err, &ise) {
		t.Fatalf("got %v, want an *InvalidSpecError", err)
	}
	if len(ise.Errors) != 2 {
		t.Errorf("got %d field errors, want 2: %v", len(ise.Errors), ise.Errors)
	}
	if !strings.Contains(err.Error(), "endpoint.hostname") || strings.Contains(err.Error(), "CANARY") {
		t.Errorf("message %q must name the field and not the credential", err)
	}
}

func TestRedact(t *testing.T) {
	t.Run("a Secret's data and stringData are replaced and the original is untouched", func(t *testing.T) {
		sec := objectOf(mustRender(t, openAISpec()).Objects, cluster.Secret)
		sec.Object["stringData"] = map[string]any{"extra": "plain-value"}
		sec.SetAnnotations(map[string]string{"kubectl.kubernetes.io/last-applied-configuration": `{"data":{"apiKey":"c2s="}}`, "keep": "me"})
		before := sec.DeepCopy()

		got := Redact(sec)
		if diff := cmp.Diff(before.Object, sec.Object); diff != "" {
			t.Errorf("Redact changed its input (-before +after):\n%s", diff)
		}
		data, _, _ := unstructured.NestedStringMap(got.Object, "data")
		str, _, _ := unstructured.NestedStringMap(got.Object, "stringData")
		if diff := cmp.Diff([]map[string]string{{"apiKey": RedactedValue}, {"extra": RedactedValue}}, []map[string]string{data, str}); diff != "" {
			t.Errorf("redacted values (-want +got):\n%s", diff)
		}
		want := map[string]string{"kubectl.kubernetes.io/last-applied-configuration": RedactedValue, "keep": "me"}
		if diff := cmp.Diff(want, got.GetAnnotations()); diff != "" {
			t.Errorf("annotations (-want +got):\n%s", diff)
		}
	})
	t.Run("other objects are copied unchanged", func(t *testing.T) {
		be := objectOf(mustRender(t, openAISpec()).Objects, cluster.Backend)
		got := Redact(be)
		if diff := cmp.Diff(be.Object, got.Object); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if got == be {
			t.Error("Redact returned its input, not a copy")
		}
	})
	t.Run("nil stays nil", func(t *testing.T) {
		if Redact(nil) != nil {
			t.Error("want nil")
		}
	})
	t.Run("Rendered.Redacted keeps the metadata and hides the value", func(t *testing.T) {
		r := mustRender(t, openAISpec())
		rr := r.Redacted()
		if rr.SecretName != r.SecretName || rr.SecretKey != r.SecretKey || !rr.ManagedSecret || len(rr.Objects) != len(r.Objects) {
			t.Errorf("Redacted changed the metadata: %+v", rr)
		}
		b, _ := json.Marshal(rr.Objects)
		enc := base64.StdEncoding.EncodeToString([]byte("sk-test-openai"))
		if bytes.Contains(b, []byte(enc)) || bytes.Contains(b, []byte("sk-test-openai")) {
			t.Error("redacted objects still hold the key")
		}
		if got := secretData(t, objectOf(r.Objects, cluster.Secret))["apiKey"]; got != "sk-test-openai" {
			t.Errorf("the original lost its value: %q", got)
		}
	})
}

func TestPrune(t *testing.T) {
	current := func(t *testing.T, s Spec) Provider {
		t.Helper()
		p, err := FromObjects(s.Name, live(mustRender(t, s).Objects, liveOptions{}))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	names := func(refs []ObjectRef) []string {
		out := []string{}
		for _, r := range refs {
			out = append(out, r.Kind+"/"+r.Name)
		}
		return out
	}
	tests := []struct {
		name string
		from Spec
		to   Spec
		want []string
	}{
		{"an unchanged provider prunes nothing", openAISpec(), openAISpec(), []string{}},
		{"turning TLS off prunes the BackendTLSPolicy", openAISpec(),
			with(openAISpec(), func(s *Spec) { s.Endpoint.TLS = ptr(false) }), []string{"BackendTLSPolicy/openai"}},
		{"switching to auth None prunes the Secret and the policy", with(selfHostedSpec(), func(s *Spec) { s.Auth = Auth{Type: AuthAPIKey, APIKey: "k"} }),
			selfHostedSpec(), []string{"Secret/vllm-credentials", "BackendSecurityPolicy/vllm"}},
		{"switching to a secretRef prunes the managed Secret", openAISpec(),
			with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "mine"} }), []string{"Secret/openai-credentials"}},
		{"keeping the Secret prunes nothing", openAISpec(),
			with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.KeepSecret = true }), []string{}},
		{"switching AWS to default credentials prunes the Secret", awsSpec(),
			with(awsSpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1"}; s.Auth.UseDefaultCredentials = true }), []string{"Secret/bedrock-credentials"}},
		{"a user's Secret is never pruned", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "mine"} }),
			with(openAISpec(), func(s *Spec) { s.Auth = Auth{Type: AuthAPIKey, APIKey: "new"} }), []string{}},
	}
	t.Run("taking over a hand-made provider prunes its policies but not its Backend", func(t *testing.T) {
		asb := obj("aigateway.envoyproxy.io/v1beta1", "AIServiceBackend", "aws", map[string]any{
			"schema":     map[string]any{"name": "AWSBedrock"},
			"backendRef": map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "shared-aws"},
		}, nil)
		be := obj("gateway.envoyproxy.io/v1alpha1", "Backend", "shared-aws", map[string]any{
			"endpoints": []any{map[string]any{"fqdn": map[string]any{"hostname": "bedrock-runtime.us-east-1.amazonaws.com", "port": int64(443)}}},
		}, nil)
		bsp := obj("aigateway.envoyproxy.io/v1beta1", "BackendSecurityPolicy", "aws-irsa", map[string]any{
			"type":       "AWSCredentials",
			"targetRefs": []any{map[string]any{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": "aws"}},
		}, nil)
		btls := obj("gateway.networking.k8s.io/v1alpha3", "BackendTLSPolicy", "aws-tls", map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "shared-aws"}},
		}, nil)
		cur := mustView(t, "aws", []*unstructured.Unstructured{asb, be, bsp, btls})
		to := with(awsSpec(), func(s *Spec) { s.Name = "aws"; s.Auth.AWS = &AWSAuth{Region: "us-east-1"} })
		got := names(mustRender(t, to).Prune(cur))
		if diff := cmp.Diff([]string{"BackendTLSPolicy/aws-tls", "BackendSecurityPolicy/aws-irsa"}, got); diff != "" {
			t.Errorf("pruned (-want +got):\n%s", diff)
		}
	})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := names(mustRender(t, tt.to).Prune(current(t, tt.from)))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pruned (-want +got):\n%s", diff)
			}
		})
	}
}
