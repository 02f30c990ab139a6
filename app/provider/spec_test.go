package provider

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// canarySpec carries the canary in every write-only field at once.
func canarySpec() Spec {
	return Spec{
		Name: "leaky", Template: "openai", Parameters: map[string]any{"p": "v"},
		Schema:   Schema{Name: aigv1b1.APISchemaOpenAI},
		Endpoint: Endpoint{Hostname: "api.openai.com", Port: 443},
		Auth: Auth{
			Type: AuthAPIKey, APIKey: canary, SecretRef: &SecretRef{Name: "ref"},
			AWS:   &AWSAuth{Region: "us-east-1", Profile: "p", Credentials: canary, AccessKeyID: canary, SecretAccessKey: canary},
			Azure: &AzureAuth{ClientID: "c", TenantID: "t", ClientSecret: canary},
			GCP:   &GCPAuth{ProjectName: "proj", Region: "r", ServiceAccountJSON: canary},
		},
	}
}

func TestWriteOnlyValuesNeverPrint(t *testing.T) {
	s := canarySpec()
	var logText, logJSON bytes.Buffer
	slog.New(slog.NewTextHandler(&logText, nil)).Info("spec", "spec", s, "auth", s.Auth, "aws", *s.Auth.AWS, "key", s.Auth.APIKey)
	slog.New(slog.NewJSONHandler(&logJSON, nil)).Info("spec", "spec", s, "azure", *s.Auth.Azure, "gcp", *s.Auth.GCP)
	jsonSpec, _ := json.Marshal(s)
	yamlSpec, _ := yaml.Marshal(s)
	redacted, _ := json.Marshal(s.Redacted())

	outputs := map[string]string{
		"%v":            fmt.Sprintf("%v", s),
		"%+v":           fmt.Sprintf("%+v", s),
		"%#v":           fmt.Sprintf("%#v", s),
		"%s":            fmt.Sprintf("%s", s), //nolint:staticcheck // the %s verb itself is under test.
		"%q":            fmt.Sprintf("%q", s),
		"%x":            fmt.Sprintf("%x", s),
		"auth %+v":      fmt.Sprintf("%+v %#v", s.Auth, s.Auth),
		"aws %+v":       fmt.Sprintf("%+v %#v %v", *s.Auth.AWS, *s.Auth.AWS, s.Auth.AWS),
		"azure %+v":     fmt.Sprintf("%+v %#v %v", *s.Auth.Azure, *s.Auth.Azure, s.Auth.Azure),
		"gcp %+v":       fmt.Sprintf("%+v %#v %v", *s.Auth.GCP, *s.Auth.GCP, s.Auth.GCP),
		"credential":    fmt.Sprintf("%v %s %q %x %X %#v %d %+v", s.Auth.APIKey, s.Auth.APIKey, s.Auth.APIKey, s.Auth.APIKey, s.Auth.APIKey, s.Auth.APIKey, s.Auth.APIKey, s.Auth.APIKey),
		"nested struct": fmt.Sprintf("%+v", struct{ A Auth }{s.Auth}),
		"error wrap":    fmt.Errorf("apply %v: %w", s, fmt.Errorf("%s", s.Auth.APIKey)).Error(),
		"slog text":     logText.String(),
		"slog json":     logJSON.String(),
		"json":          string(jsonSpec),
		"yaml":          string(yamlSpec),
		"redacted":      string(redacted),
	}
	for name, out := range outputs {
		t.Run("the "+name+" form hides every write-only value", func(t *testing.T) {
			if strings.Contains(out, "CANARY") || strings.Contains(out, fmt.Sprintf("%x", canary)) {
				t.Errorf("leak: %s", out)
			}
		})
	}
	t.Run("the redacted forms still show which fields are set", func(t *testing.T) {
		for _, out := range []string{outputs["%v"], outputs["slog text"], outputs["slog json"], outputs["json"]} {
			// json.Marshal escapes < and > as \u003c and \u003e.
			if !strings.Contains(out, "redacted") || !strings.Contains(out, "us-east-1") {
				t.Errorf("missing the redaction marker or the region: %s", out)
			}
		}
	})
}

func TestRedactedSpec(t *testing.T) {
	s := canarySpec()
	r := s.Redacted()
	want := canarySpec()
	want.Auth.APIKey = RedactedValue
	want.Auth.AWS.Credentials, want.Auth.AWS.AccessKeyID, want.Auth.AWS.SecretAccessKey = RedactedValue, RedactedValue, RedactedValue
	want.Auth.Azure.ClientSecret = RedactedValue
	want.Auth.GCP.ServiceAccountJSON = RedactedValue
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("Redacted (-want +got):\n%s", diff)
	}
	if s.Auth.APIKey.Value() != canary || s.Auth.AWS.SecretAccessKey.Value() != canary || s.Auth.GCP.ServiceAccountJSON.Value() != canary {
		t.Error("Redacted modified the original")
	}
	r.Parameters["p"] = "changed"
	r.Auth.SecretRef.Name = "changed"
	if s.Parameters["p"] != "v" || s.Auth.SecretRef.Name != "ref" {
		t.Error("Redacted shares maps or pointers with the original")
	}
	empty := Spec{Auth: Auth{AWS: &AWSAuth{Region: "x"}}}.Redacted()
	if empty.Auth.APIKey != "" || empty.Auth.AWS.Credentials != "" {
		t.Error("Redacted filled fields that were empty")
	}
}

func TestCredentialJSONRoundTrip(t *testing.T) {
	var s Spec
	if err := json.Unmarshal([]byte(`{"name":"x","auth":{"type":"APIKey","apiKey":"sk-real"},"endpoint":{"port":443}}`), &s); err != nil {
		t.Fatal(err)
	}
	if s.Auth.APIKey.Value() != "sk-real" || !s.Auth.APIKey.IsSet() {
		t.Errorf("decoded %q", s.Auth.APIKey.Value())
	}
	b, _ := json.Marshal(s)
	if !strings.Contains(string(b), `"apiKey":"\u003credacted\u003e"`) || strings.Contains(string(b), "KeepSecret") {
		t.Errorf("encoded %s", b)
	}
	var empty Credential
	if empty.String() != "" || fmt.Sprint(empty) != "" || empty.IsSet() {
		t.Error("an empty credential must print empty")
	}
	if b, _ := json.Marshal(Auth{Type: AuthNone}); strings.Contains(string(b), "apiKey") {
		t.Errorf("an empty credential must be omitted: %s", b)
	}
}

func TestEndpointTLSDefault(t *testing.T) {
	tests := []struct {
		name string
		ep   Endpoint
		want bool
	}{
		{"port 443 defaults to TLS", Endpoint{Port: 443}, true},
		{"other ports default to plain text", Endpoint{Port: 80}, false},
		{"an explicit false wins on 443", Endpoint{Port: 443, TLS: ptr(false)}, false},
		{"an explicit true wins elsewhere", Endpoint{Port: 8443, TLS: ptr(true)}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.ep.TLSEnabled(); got != tt.want {
				t.Errorf("TLSEnabled() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSecretKeyFor(t *testing.T) {
	want := map[AuthType]string{
		AuthAPIKey: "apiKey", AuthAzureAPIKey: "apiKey", AuthAnthropicAPIKey: "apiKey",
		AuthAWSCredentials: "credentials", AuthAzureCredentials: "client-secret", AuthGCPCredentials: "service_account.json",
		AuthNone: "", "Unknown": "",
	}
	got := map[AuthType]string{}
	for k := range want {
		got[k] = SecretKeyFor(k)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if SecretName("openai") != "openai-credentials" {
		t.Errorf("SecretName = %q", SecretName("openai"))
	}
}

func TestJoinOr(t *testing.T) {
	for in, want := range map[string]string{"": "", "a": "a", "a,b": "a or b", "a,b,c": "a, b or c"} {
		var parts []string
		if in != "" {
			parts = strings.Split(in, ",")
		}
		if got := joinOr(parts); got != want {
			t.Errorf("joinOr(%q) = %q, want %q", in, got, want)
		}
	}
}
