package provider

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/util/validation/field"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

func TestTemplatesAreWellFormed(t *testing.T) {
	want := []string{"openai", "aws-bedrock", "aws-anthropic", "gcp-vertex-ai", "gcp-anthropic", "azure-openai", "anthropic", "cohere", "self-hosted"}
	if diff := cmp.Diff(want, templateNames()); diff != "" {
		t.Fatalf("template names (-want +got):\n%s", diff)
	}
	for _, tpl := range Templates() {
		t.Run("the "+tpl.Name+" template is well formed", func(t *testing.T) {
			if tpl.DisplayName == "" || tpl.Description == "" {
				t.Error("display name or description missing")
			}
			if !slices.Contains(Schemas(), tpl.Schema.Name) {
				t.Errorf("schema %q", tpl.Schema.Name)
			}
			if !slices.Contains(tpl.AuthTypes, tpl.DefaultAuthType) {
				t.Errorf("default auth type %q not in %v", tpl.DefaultAuthType, tpl.AuthTypes)
			}
			ps := tpl.Parameters
			if ps["type"] != "object" || ps["additionalProperties"] != false {
				t.Errorf("parameters must be a closed object schema: %v", ps)
			}
			props, _ := ps["properties"].(map[string]any)
			for name, p := range props {
				prop := p.(map[string]any)
				if prop["type"] == nil || prop["description"] == "" {
					t.Errorf("parameter %s lacks type or description", name)
				}
				if pat, ok := prop["pattern"].(string); ok {
					re := regexp.MustCompile(pat)
					if d, ok := prop["default"].(string); ok && !re.MatchString(d) {
						t.Errorf("default %q of %s does not match its own pattern", d, name)
					}
				}
			}
			for _, r := range ps["required"].([]any) {
				if _, ok := props[r.(string)]; !ok {
					t.Errorf("required parameter %v has no property", r)
				}
			}
			if _, err := json.Marshal(tpl); err != nil {
				t.Errorf("template does not marshal: %v", err)
			}
		})
	}
}

func TestTemplatesReturnsFreshValues(t *testing.T) {
	a := Templates()
	a[0].Parameters["type"] = "broken"
	a[0].AuthTypes[0] = "broken"
	b, _ := TemplateByName(a[0].Name)
	if b.Parameters["type"] != "object" || b.AuthTypes[0] == "broken" {
		t.Error("a caller's change leaked into the next call")
	}
	if _, ok := TemplateByName("nope"); ok {
		t.Error("TemplateByName found an unknown template")
	}
}

// requiredParams are the values each template needs beyond its defaults.
var requiredParams = map[string]map[string]any{
	"gcp-vertex-ai": {"project": "my-project-123"},
	"gcp-anthropic": {"project": "my-project-123"},
	"azure-openai":  {"account": "contoso"},
}

func TestEveryTemplateMakesAValidSpec(t *testing.T) {
	for _, tpl := range Templates() {
		t.Run("the "+tpl.Name+" template with its defaults and a placeholder credential validates", func(t *testing.T) {
			r, errs := tpl.Preview(testNS, "", requiredParams[tpl.Name], Auth{})
			if len(errs) > 0 {
				t.Fatalf("Preview: %v", errs)
			}
			asb := objectOf(r.Objects, cluster.AIServiceBackend)
			if asb.GetName() != tpl.Name || asb.GetLabels()[LabelTemplate] != tpl.Name {
				t.Errorf("name %q labels %v", asb.GetName(), asb.GetLabels())
			}
			if sec := objectOf(r.Objects, cluster.Secret); sec != nil {
				for k, v := range secretDataRaw(sec) {
					if v != RedactedValue {
						t.Errorf("preview Secret key %s is not redacted", k)
					}
				}
			}
		})
	}
}

func secretDataRaw(u interface{ UnstructuredContent() map[string]any }) map[string]any {
	m, _ := u.UnstructuredContent()["data"].(map[string]any)
	return m
}

func TestTemplateSpec(t *testing.T) {
	tests := []struct {
		name     string
		template string
		params   map[string]any
		want     Spec
	}{
		{"openai points at api.openai.com with TLS", "openai", nil, Spec{
			Name: "p", Template: "openai", Schema: Schema{Name: aigv1b1.APISchemaOpenAI},
			Endpoint: Endpoint{Hostname: "api.openai.com", Port: 443, TLS: ptr(true)}, Auth: Auth{Type: AuthAPIKey},
		}},
		{"aws-bedrock defaults to us-east-1 and pre-fills the auth region", "aws-bedrock", nil, Spec{
			Name: "p", Template: "aws-bedrock", Schema: Schema{Name: aigv1b1.APISchemaAWSBedrock},
			Endpoint: Endpoint{Hostname: "bedrock-runtime.us-east-1.amazonaws.com", Port: 443, TLS: ptr(true)},
			Auth:     Auth{Type: AuthAWSCredentials, AWS: &AWSAuth{Region: "us-east-1"}},
		}},
		{"aws-anthropic takes the region parameter and the Bedrock version", "aws-anthropic", map[string]any{"region": "eu-central-1"}, Spec{
			Name: "p", Template: "aws-anthropic", Parameters: map[string]any{"region": "eu-central-1"},
			Schema:   Schema{Name: aigv1b1.APISchemaAWSAnthropic, Version: "bedrock-2023-05-31"},
			Endpoint: Endpoint{Hostname: "bedrock-runtime.eu-central-1.amazonaws.com", Port: 443, TLS: ptr(true)},
			Auth:     Auth{Type: AuthAWSCredentials, AWS: &AWSAuth{Region: "eu-central-1"}},
		}},
		{"gcp-vertex-ai pre-fills project and region", "gcp-vertex-ai", map[string]any{"project": "proj-123456"}, Spec{
			Name: "p", Template: "gcp-vertex-ai", Parameters: map[string]any{"project": "proj-123456"},
			Schema:   Schema{Name: aigv1b1.APISchemaGCPVertexAI},
			Endpoint: Endpoint{Hostname: "us-central1-aiplatform.googleapis.com", Port: 443, TLS: ptr(true)},
			Auth:     Auth{Type: AuthGCPCredentials, GCP: &GCPAuth{ProjectName: "proj-123456", Region: "us-central1"}},
		}},
		{"gcp-anthropic on the global region uses the global host", "gcp-anthropic", map[string]any{"project": "proj-123456", "region": "global"}, Spec{
			Name: "p", Template: "gcp-anthropic", Parameters: map[string]any{"project": "proj-123456", "region": "global"},
			Schema:   Schema{Name: aigv1b1.APISchemaGCPAnthropic, Version: "vertex-2023-10-16"},
			Endpoint: Endpoint{Hostname: "aiplatform.googleapis.com", Port: 443, TLS: ptr(true)},
			Auth:     Auth{Type: AuthGCPCredentials, GCP: &GCPAuth{ProjectName: "proj-123456", Region: "global"}},
		}},
		{"azure-openai builds the account host and the api-version", "azure-openai", map[string]any{"account": "contoso", "apiVersion": "2024-10-21"}, Spec{
			Name: "p", Template: "azure-openai", Parameters: map[string]any{"account": "contoso", "apiVersion": "2024-10-21"},
			Schema:   Schema{Name: aigv1b1.APISchemaAzureOpenAI, Version: "2024-10-21"},
			Endpoint: Endpoint{Hostname: "contoso.openai.azure.com", Port: 443, TLS: ptr(true)},
			Auth:     Auth{Type: AuthAzureAPIKey},
		}},
		{"cohere uses version v2", "cohere", nil, Spec{
			Name: "p", Template: "cohere", Schema: Schema{Name: aigv1b1.APISchemaCohere, Version: "v2"},
			Endpoint: Endpoint{Hostname: "api.cohere.com", Port: 443, TLS: ptr(true)}, Auth: Auth{Type: AuthAPIKey},
		}},
		{"self-hosted is plain HTTP on port 8000 with prefix v1", "self-hosted", nil, Spec{
			Name: "p", Template: "self-hosted", Schema: Schema{Name: aigv1b1.APISchemaOpenAI, Prefix: "v1"},
			Endpoint: Endpoint{Hostname: "vllm.default.svc.cluster.local", Port: 8000, TLS: ptr(false)}, Auth: Auth{Type: AuthNone},
		}},
		{"self-hosted accepts a JSON number and an empty prefix falls back to the default", "self-hosted", map[string]any{"port": json.Number("11434"), "host": "ollama.ai.svc.cluster.local"}, Spec{
			Name: "p", Template: "self-hosted", Parameters: map[string]any{"port": json.Number("11434"), "host": "ollama.ai.svc.cluster.local"},
			Schema:   Schema{Name: aigv1b1.APISchemaOpenAI, Prefix: "v1"},
			Endpoint: Endpoint{Hostname: "ollama.ai.svc.cluster.local", Port: 11434, TLS: ptr(false)}, Auth: Auth{Type: AuthNone},
		}},
		{"self-hosted accepts a Go int and a float64 port", "self-hosted", map[string]any{"port": float64(9000)}, Spec{
			Name: "p", Template: "self-hosted", Parameters: map[string]any{"port": float64(9000)},
			Schema:   Schema{Name: aigv1b1.APISchemaOpenAI, Prefix: "v1"},
			Endpoint: Endpoint{Hostname: "vllm.default.svc.cluster.local", Port: 9000, TLS: ptr(false)}, Auth: Auth{Type: AuthNone},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tpl, _ := TemplateByName(tt.template)
			got, errs := tpl.Spec("p", tt.params)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("spec (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTemplateParameterValidation(t *testing.T) {
	schema := objectSchema(
		param{name: "s", typ: "string", pattern: "^[a-z]+$"},
		param{name: "n", typ: "integer", min: ptr(1), max: ptr(10)},
		param{name: "b", typ: "boolean"},
	)
	props := schema["properties"].(map[string]any)
	props["s"].(map[string]any)["minLength"] = 2
	props["s"].(map[string]any)["maxLength"] = 4
	props["e"] = map[string]any{"type": "string", "enum": []any{"a", "b"}}
	props["x"] = map[string]any{"type": "string", "pattern": "("}

	tests := []struct {
		name   string
		params map[string]any
		path   string
		msg    string
	}{
		{"a string shorter than minLength", map[string]any{"s": "a"}, "parameters.s", "at least 2"},
		{"a string longer than maxLength", map[string]any{"s": "abcde"}, "parameters.s", "at most 4"},
		{"a string that misses the pattern", map[string]any{"s": "AB"}, "parameters.s", "pattern"},
		{"a number where a string belongs", map[string]any{"s": 1}, "parameters.s", "must be a string"},
		{"an integer above the maximum", map[string]any{"n": 11}, "parameters.n", "at most 10"},
		{"an integer given as a bad JSON number", map[string]any{"n": json.Number("1.5")}, "parameters.n", "integer"},
		{"an integer of another Go type", map[string]any{"n": int64(0)}, "parameters.n", "at least 1"},
		{"a string where a boolean belongs", map[string]any{"b": "yes"}, "parameters.b", "true or false"},
		{"a value outside the enum", map[string]any{"e": "c"}, "parameters.e", "one of [a b]"},
		{"a value checked against a broken pattern", map[string]any{"x": "a"}, "parameters.x", "pattern"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			_, errs := validateParams(schema, tt.params, pathParameters)
			if len(errs) != 1 || errs[0].Field != tt.path || !strings.Contains(errs[0].Error(), tt.msg) {
				t.Errorf("got %v, want one error at %s containing %q", errs, tt.path, tt.msg)
			}
		})
	}
	t.Run("valid values of every kind pass and are normalised", func(t *testing.T) {
		got, errs := validateParams(schema, map[string]any{"s": "abc", "n": int32(3), "b": true, "e": "a"}, pathParameters)
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if diff := cmp.Diff(map[string]any{"s": "abc", "n": 3, "b": true, "e": "a"}, got); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("an open schema ignores unknown parameters", func(t *testing.T) {
		open := map[string]any{"type": "object", "properties": map[string]any{}}
		if _, errs := validateParams(open, map[string]any{"x": 1}, pathParameters); len(errs) > 0 {
			t.Error(errs)
		}
	})
}

func TestExpandTemplate(t *testing.T) {
	tests := []struct {
		name string
		in   Spec
		want func(base Spec) Spec
	}{
		{"a spec without a template is returned unchanged", openAISpec(), func(Spec) Spec { return openAISpec() }},
		{"request fields override the template's", Spec{
			Name: "gw", Template: "openai",
			Schema:   Schema{Prefix: "/openai/v1"},
			Endpoint: Endpoint{Hostname: "api.router.tetrate.ai", Port: 8443, TLS: ptr(true)},
			Auth:     Auth{APIKey: "k"},
		}, func(b Spec) Spec {
			b.Schema.Prefix = "/openai/v1"
			b.Endpoint = Endpoint{Hostname: "api.router.tetrate.ai", Port: 8443, TLS: ptr(true)}
			b.Auth.APIKey = "k"
			return b
		}},
		{"an ip in the request replaces the template's hostname", Spec{
			Name: "gw", Template: "self-hosted", Endpoint: Endpoint{IP: "10.0.0.9"},
		}, func(b Spec) Spec { b.Endpoint.Hostname, b.Endpoint.IP = "", "10.0.0.9"; return b }},
		{"an explicit version overrides the template's", Spec{
			Name: "gw", Template: "cohere", Schema: Schema{Name: aigv1b1.APISchemaCohere, Version: "v1"}, Auth: Auth{APIKey: "k"},
		}, func(b Spec) Spec { b.Schema.Version = "v1"; b.Auth.APIKey = "k"; return b }},
		{"the AWS region is pre-filled into a request's aws block", Spec{
			Name: "gw", Template: "aws-bedrock", Parameters: map[string]any{"region": "eu-west-1"},
			Auth: Auth{AWS: &AWSAuth{AccessKeyID: "AKIAFAKEFAKEFAKE0001", SecretAccessKey: "s"}},
		}, func(b Spec) Spec {
			b.Auth.AWS = &AWSAuth{Region: "eu-west-1", AccessKeyID: "AKIAFAKEFAKEFAKE0001", SecretAccessKey: "s"}
			return b
		}},
		{"a request's GCP fields win over the pre-filled ones", Spec{
			Name: "gw", Template: "gcp-vertex-ai", Parameters: map[string]any{"project": "proj-123456"},
			Auth: Auth{Type: AuthGCPCredentials, GCP: &GCPAuth{ProjectName: "other-proj-1", ServiceAccountJSON: fakeServiceAccount}},
		}, func(b Spec) Spec {
			b.Auth.GCP = &GCPAuth{ProjectName: "other-proj-1", Region: "us-central1", ServiceAccountJSON: fakeServiceAccount}
			return b
		}},
		{"an allowed non-default auth type is kept", Spec{
			Name: "gw", Template: "self-hosted", Auth: Auth{Type: AuthAPIKey, APIKey: "k"}, KeepSecret: true,
		}, func(b Spec) Spec { b.Auth = Auth{Type: AuthAPIKey, APIKey: "k"}; b.KeepSecret = true; return b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var base Spec
			if tt.in.Template != "" {
				tpl, _ := TemplateByName(tt.in.Template)
				var errs field.ErrorList
				if base, errs = tpl.Spec(tt.in.Name, tt.in.Parameters); len(errs) > 0 {
					t.Fatal(errs)
				}
			}
			got, errs := ExpandTemplate(tt.in)
			if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			if diff := cmp.Diff(tt.want(base), got); diff != "" {
				t.Errorf("expanded spec (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("the request's aws block is not modified in place", func(t *testing.T) {
		aws := &AWSAuth{AccessKeyID: "AKIAFAKEFAKEFAKE0001", SecretAccessKey: "s"}
		if _, errs := ExpandTemplate(Spec{Name: "gw", Template: "aws-bedrock", Auth: Auth{AWS: aws}}); len(errs) > 0 {
			t.Fatal(errs)
		}
		if aws.Region != "" {
			t.Error("ExpandTemplate wrote into the caller's struct")
		}
	})
	t.Run("a template region that differs from the auth region is caught by Validate", func(t *testing.T) {
		s := Spec{Name: "gw", Template: "aws-bedrock", Parameters: map[string]any{"region": "eu-west-1"}, Auth: Auth{AWS: &AWSAuth{Region: "us-east-1"}}}
		errs := expandAndValidate(testNS, s)
		if len(errs) != 1 || errs[0].Field != "auth.aws.region" {
			t.Errorf("got %v, want one error at auth.aws.region", errs)
		}
	})
}

func TestPreview(t *testing.T) {
	openai, _ := TemplateByName("openai")
	t.Run("a preview renders the objects with the Secret redacted", func(t *testing.T) {
		r, errs := openai.Preview("", "gpt", nil, Auth{})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if diff := cmp.Diff([]string{"Secret", "Backend", "BackendTLSPolicy", "AIServiceBackend", "BackendSecurityPolicy"}, kindsOf(r.Objects)); diff != "" {
			t.Errorf("kinds (-want +got):\n%s", diff)
		}
		if r.Objects[0].GetNamespace() != "default" || r.Objects[0].GetName() != "gpt-credentials" {
			t.Errorf("Secret %s/%s", r.Objects[0].GetNamespace(), r.Objects[0].GetName())
		}
		if diff := cmp.Diff(map[string]any{"apiKey": RedactedValue}, secretDataRaw(r.Objects[0])); diff != "" {
			t.Errorf("Secret data (-want +got):\n%s", diff)
		}
	})
	t.Run("a preview with a real credential still redacts it", func(t *testing.T) {
		r, errs := openai.Preview(testNS, "gpt", nil, Auth{APIKey: canary})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		b, _ := json.Marshal(r.Objects)
		if strings.Contains(string(b), "CANARY") {
			t.Error("preview leaks the credential")
		}
	})
	t.Run("a preview with a secretRef renders no Secret", func(t *testing.T) {
		r, errs := openai.Preview(testNS, "gpt", nil, Auth{SecretRef: &SecretRef{Name: "k"}})
		if len(errs) > 0 || objectOf(r.Objects, cluster.Secret) != nil {
			t.Errorf("errors %v, objects %v", errs, kindsOf(r.Objects))
		}
	})
	t.Run("an Azure client-credentials preview uses a placeholder secret", func(t *testing.T) {
		tpl, _ := TemplateByName("azure-openai")
		r, errs := tpl.Preview(testNS, "az", map[string]any{"account": "contoso"}, Auth{Type: AuthAzureCredentials, Azure: &AzureAuth{
			ClientID: "11111111-2222-3333-4444-555555555555", TenantID: "contoso.onmicrosoft.com",
		}})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		if diff := cmp.Diff(map[string]any{"client-secret": RedactedValue}, secretDataRaw(objectOf(r.Objects, cluster.Secret))); diff != "" {
			t.Errorf("Secret data (-want +got):\n%s", diff)
		}
	})
	t.Run("a GCP preview without a key uses Application Default Credentials", func(t *testing.T) {
		tpl, _ := TemplateByName("gcp-vertex-ai")
		r, errs := tpl.Preview(testNS, "g", map[string]any{"project": "proj-123456"}, Auth{})
		if len(errs) > 0 || objectOf(r.Objects, cluster.Secret) != nil {
			t.Errorf("errors %v, objects %v", errs, kindsOf(r.Objects))
		}
	})
	t.Run("bad parameters are reported", func(t *testing.T) {
		tpl, _ := TemplateByName("azure-openai")
		_, errs := tpl.Preview(testNS, "az", map[string]any{"account": "Not A Label"}, Auth{})
		if len(errs) != 1 || errs[0].Field != "parameters.account" {
			t.Errorf("got %v", errs)
		}
	})
	t.Run("a bad name is reported", func(t *testing.T) {
		_, errs := openai.Preview(testNS, "ai-eg-x", nil, Auth{})
		if len(errs) != 1 || errs[0].Field != "name" {
			t.Errorf("got %v", errs)
		}
	})
}
