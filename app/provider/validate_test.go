package provider

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

func TestValidateAcceptsGoodSpecs(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
	}{
		{"an OpenAI provider with an API key", openAISpec()},
		{"an OpenAI provider with a path prefix", with(openAISpec(), func(s *Spec) { s.Schema.Prefix = "/openai/v1" })},
		{"an OpenAI provider with a secretRef", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "openai-key"} })},
		{"a self-hosted provider without auth", selfHostedSpec()},
		{"a self-hosted provider on an IPv4 address", with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "10.0.0.12", Port: 8000} })},
		{"a self-hosted provider on an IPv6 address", with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "fd00::12", Port: 8000} })},
		{"an IP endpoint on port 443 with TLS off", with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "10.0.0.12", Port: 443, TLS: ptr(false)} })},
		{"a self-hosted provider with TLS on another port", with(selfHostedSpec(), func(s *Spec) { s.Endpoint.TLS = ptr(true) })},
		{"an AWS Bedrock provider with a key pair", awsSpec()},
		{"an AWS Bedrock provider with an INI file", with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1", Profile: "bedrock", Credentials: "# comment\n[profile bedrock]\naws_access_key_id = AKIAFAKE\naws_secret_access_key = secret\n"}
		})},
		{"an AWS Bedrock provider on the default credential chain", with(awsSpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1"} })},
		{"an AWS Bedrock provider with useDefaultCredentials", with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1"}
			s.Auth.UseDefaultCredentials = true
		})},
		{"an AWS Bedrock provider with a secretRef", with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1"}
			s.Auth.SecretRef = &SecretRef{Name: "aws-creds"}
		})},
		{"an AWS GovCloud region", with(awsSpec(), func(s *Spec) {
			s.Endpoint.Hostname = "bedrock-runtime.us-gov-west-1.amazonaws.com"
			s.Auth.AWS.Region = "us-gov-west-1"
		})},
		{"an Anthropic-on-Bedrock provider with a version", awsAnthropicSpec()},
		{"an Azure OpenAI provider with an API key", azureSpec()},
		{"an Azure OpenAI provider with client credentials", azureCredsSpec()},
		{"an Azure tenant given as a domain", with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.TenantID = "contoso.onmicrosoft.com" })},
		{"an Azure provider with a secretRef for the client secret", with(azureCredsSpec(), func(s *Spec) {
			s.Auth.Azure.ClientSecret = ""
			s.Auth.SecretRef = &SecretRef{Name: "azure-sp"}
		})},
		{"a Vertex AI provider with a service account", gcpSpec()},
		{"a Vertex AI provider on Application Default Credentials", with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = "" })},
		{"a Vertex AI provider on the global endpoint", with(gcpSpec(), func(s *Spec) {
			s.Endpoint.Hostname = "aiplatform.googleapis.com"
			s.Auth.GCP.Region = "global"
		})},
		{"an Anthropic-on-Vertex provider", gcpAnthropicSpec()},
		{"an Anthropic provider with a prefix", with(anthropicSpec(), func(s *Spec) { s.Schema.Prefix = "v1" })},
		{"a Cohere provider", cohereSpec()},
		{"an update that keeps the stored API key", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.KeepSecret = true })},
		{"an update that keeps the stored Azure client secret", with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.ClientSecret = ""; s.KeepSecret = true })},
		{"a name of exactly 50 characters", with(openAISpec(), func(s *Spec) { s.Name = strings.Repeat("a", 50) })},
		{"a spec made from a template", Spec{Name: "gpt", Template: "openai", Auth: Auth{APIKey: "sk-x"}}},
		{"a template spec with parameters", Spec{Name: "acct", Template: "azure-openai", Parameters: map[string]any{"account": "contoso"}, Auth: Auth{APIKey: "k"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is valid", func(t *testing.T) {
			if errs := expandAndValidate(testNS, tt.spec); len(errs) > 0 {
				t.Errorf("unexpected errors: %v", errs)
			}
		})
	}
}

func TestValidateRejectsBadSpecs(t *testing.T) {
	tests := []struct {
		name string
		ns   string // default testNS
		spec Spec
		path string
		msg  string
	}{
		// Namespace and name.
		{name: "a missing namespace", ns: "-", spec: openAISpec(), path: "namespace", msg: "?namespace="},
		{name: "a namespace that is not a DNS label", ns: "Team_A", spec: openAISpec(), path: "namespace", msg: "RFC 1123"},
		{name: "a missing name", spec: with(openAISpec(), func(s *Spec) { s.Name = "" }), path: "name", msg: "Required"},
		{name: "a name of 51 characters", spec: with(openAISpec(), func(s *Spec) { s.Name = strings.Repeat("a", 51) }), path: "name", msg: "at most 50 characters"},
		{name: "a name with uppercase letters", spec: with(openAISpec(), func(s *Spec) { s.Name = "OpenAI" }), path: "name", msg: "RFC 1123"},
		{name: "a name with a dot", spec: with(openAISpec(), func(s *Spec) { s.Name = "open.ai" }), path: "name", msg: "must not contain dots"},
		{name: "a name starting with ai-eg-", spec: with(openAISpec(), func(s *Spec) { s.Name = "ai-eg-host-rewrite-x" }), path: "name", msg: "reserved"},
		{name: "the name route-not-found", spec: with(openAISpec(), func(s *Spec) { s.Name = "route-not-found" }), path: "name", msg: "reserved"},

		// Schema.
		{name: "a missing schema", spec: with(openAISpec(), func(s *Spec) { s.Schema.Name = "" }), path: "schema.name", msg: "Required"},
		{name: "an unknown schema", spec: with(openAISpec(), func(s *Spec) { s.Schema.Name = "Gemini" }), path: "schema.name", msg: "Unsupported value"},
		{name: "a prefix on AWS Bedrock", spec: with(awsSpec(), func(s *Spec) { s.Schema.Prefix = "v1" }), path: "schema.prefix", msg: "only by the OpenAI and Anthropic"},
		{name: "a prefix on Cohere", spec: with(cohereSpec(), func(s *Spec) { s.Schema.Prefix = "v2" }), path: "schema.prefix", msg: "only by the OpenAI and Anthropic"},
		{name: "a prefix on Azure OpenAI", spec: with(azureSpec(), func(s *Spec) { s.Schema.Prefix = "/openai" }), path: "schema.prefix", msg: "only by the OpenAI and Anthropic"},
		{name: "a prefix on Vertex AI", spec: with(gcpSpec(), func(s *Spec) { s.Schema.Prefix = "/v1" }), path: "schema.prefix", msg: "only by the OpenAI and Anthropic"},
		{name: "a prefix that is a URL", spec: with(openAISpec(), func(s *Spec) { s.Schema.Prefix = "https://api.openai.com/v1" }), path: "schema.prefix", msg: "without scheme or host"},
		{name: "a prefix with a query", spec: with(openAISpec(), func(s *Spec) { s.Schema.Prefix = "/v1?x=1" }), path: "schema.prefix", msg: "must be a path"},
		{name: "a prefix with a dot-dot segment", spec: with(openAISpec(), func(s *Spec) { s.Schema.Prefix = "/v1/../admin" }), path: "schema.prefix", msg: ". or .."},
		{name: "a version on OpenAI", spec: with(openAISpec(), func(s *Spec) { s.Schema.Version = "v1" }), path: "schema.version", msg: "schema.prefix"},
		{name: "a version on Anthropic", spec: with(anthropicSpec(), func(s *Spec) { s.Schema.Version = "2023-06-01" }), path: "schema.version", msg: "ignores version"},
		{name: "a version on AWS Bedrock", spec: with(awsSpec(), func(s *Spec) { s.Schema.Version = "x" }), path: "schema.version", msg: "ignores version"},
		{name: "a version on Vertex AI", spec: with(gcpSpec(), func(s *Spec) { s.Schema.Version = "v1" }), path: "schema.version", msg: "ignores version"},
		{name: "Azure OpenAI without an api-version", spec: with(azureSpec(), func(s *Spec) { s.Schema.Version = "" }), path: "schema.version", msg: "api-version"},
		{name: "Azure OpenAI with a malformed api-version", spec: with(azureSpec(), func(s *Spec) { s.Schema.Version = "2025-1-1" }), path: "schema.version", msg: "api-version"},
		{name: "a version with a newline", spec: with(cohereSpec(), func(s *Spec) { s.Schema.Version = "v2\nX-Evil: 1" }), path: "schema.version", msg: "letters, digits"},

		// Endpoint.
		{name: "a hostname with a scheme", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = "https://api.openai.com" }), path: "endpoint.hostname", msg: `drop "https://" and write "api.openai.com"`},
		{name: "a hostname with a path", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = "api.openai.com/v1" }), path: "endpoint.hostname", msg: "without a path"},
		{name: "a hostname with a port", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = "api.openai.com:443" }), path: "endpoint.hostname", msg: "endpoint.port"},
		{name: "a wildcard hostname", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = "*.openai.com" }), path: "endpoint.hostname", msg: "wildcard"},
		{name: "an uppercase hostname", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = "API.OpenAI.com" }), path: "endpoint.hostname", msg: `lowercase: "api.openai.com"`},
		{name: "a hostname with one label", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint.Hostname = "vllm" }), path: "endpoint.hostname", msg: "at least two labels"},
		{name: "a hostname that is an IP address", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint.Hostname = "10.1.2.3" }), path: "endpoint.hostname", msg: "endpoint.ip"},
		{name: "a hostname with an underscore", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = "api_x.openai.com" }), path: "endpoint.hostname", msg: "RFC 1123"},
		{name: "a hostname with a newline", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = "api.openai.com\nx" }), path: "endpoint.hostname", msg: "control characters"},
		{name: "a hostname longer than 253 characters", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = strings.Repeat("a.", 127) + "com" }), path: "endpoint.hostname", msg: "253"},
		{name: "a hostname label longer than 63 characters", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Hostname = strings.Repeat("a", 64) + ".com" }), path: "endpoint.hostname", msg: "longer than 63"},
		{name: "port 0", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Port = 0 }), path: "endpoint.port", msg: "between 1 and 65535"},
		{name: "port 70000", spec: with(openAISpec(), func(s *Spec) { s.Endpoint.Port = 70000 }), path: "endpoint.port", msg: "between 1 and 65535"},
		{name: "an IP endpoint with TLS", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "10.0.0.1", Port: 443} }), path: "endpoint.tls", msg: "needs endpoint.hostname"},
		{name: "both hostname and ip", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint.IP = "10.0.0.1" }), path: "endpoint.ip", msg: "not both"},
		{name: "neither hostname nor ip", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint.Hostname = "" }), path: "endpoint.hostname", msg: "Required"},
		{name: "an IP that does not parse", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "10.0.0.300", Port: 80} }), path: "endpoint.ip", msg: "IPv4 or IPv6"},
		{name: "a loopback IP", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "127.0.0.1", Port: 80} }), path: "endpoint.ip", msg: "loopback"},
		{name: "the unspecified IP", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "0.0.0.0", Port: 80} }), path: "endpoint.ip", msg: "unspecified"},
		{name: "a multicast IP", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "ff02::1", Port: 80} }), path: "endpoint.ip", msg: "unicast"},
		{name: "an IPv6 address with a zone", spec: with(selfHostedSpec(), func(s *Spec) { s.Endpoint = Endpoint{IP: "fe80::1%eth0", Port: 80} }), path: "endpoint.ip", msg: "zone"},

		// Auth type and schema compatibility.
		{name: "a missing auth type", spec: with(openAISpec(), func(s *Spec) { s.Auth.Type = "" }), path: "auth.type", msg: "None for no authentication"},
		{name: "an unknown auth type", spec: with(openAISpec(), func(s *Spec) { s.Auth.Type = "Bearer" }), path: "auth.type", msg: "Unsupported value"},
		{name: "OpenAI with AWS credentials", spec: with(openAISpec(), func(s *Spec) { s.Auth = awsSpec().Auth }), path: "auth.type", msg: "schema OpenAI cannot use auth type AWSCredentials; use APIKey or None"},
		{name: "Cohere without auth", spec: with(cohereSpec(), func(s *Spec) { s.Auth = Auth{Type: AuthNone} }), path: "auth.type", msg: "schema Cohere cannot use auth type None; use APIKey"},
		{name: "AWS Bedrock with an API key", spec: with(awsSpec(), func(s *Spec) { s.Auth = openAISpec().Auth }), path: "auth.type", msg: "use AWSCredentials"},
		{name: "Anthropic on Bedrock with GCP credentials", spec: with(awsAnthropicSpec(), func(s *Spec) { s.Auth = gcpSpec().Auth }), path: "auth.type", msg: "use AWSCredentials"},
		{name: "Azure OpenAI with an OpenAI API key type", spec: with(azureSpec(), func(s *Spec) { s.Auth.Type = AuthAPIKey }), path: "auth.type", msg: "use AzureAPIKey or AzureCredentials"},
		{name: "Vertex AI without auth", spec: with(gcpSpec(), func(s *Spec) { s.Auth = Auth{Type: AuthNone} }), path: "auth.type", msg: "use GCPCredentials"},
		{name: "Anthropic on Vertex with an Anthropic key", spec: with(gcpAnthropicSpec(), func(s *Spec) { s.Auth = anthropicSpec().Auth }), path: "auth.type", msg: "use GCPCredentials"},
		{name: "Anthropic with an OpenAI key type", spec: with(anthropicSpec(), func(s *Spec) { s.Auth.Type = AuthAPIKey }), path: "auth.type", msg: "use AnthropicAPIKey"},

		// API keys.
		{name: "a missing apiKey", spec: with(openAISpec(), func(s *Spec) { s.Auth.APIKey = "" }), path: "auth.apiKey", msg: "secretRef"},
		{name: "both apiKey and secretRef", spec: with(openAISpec(), func(s *Spec) { s.Auth.SecretRef = &SecretRef{Name: "k"} }), path: "auth.secretRef", msg: "not both"},
		{name: "a newline in apiKey", spec: with(openAISpec(), func(s *Spec) { s.Auth.APIKey = "sk-abc\nX-Injected: 1" }), path: "auth.apiKey", msg: "without newlines"},
		{name: "non-ASCII in apiKey", spec: with(openAISpec(), func(s *Spec) { s.Auth.APIKey = "sk-abc€" }), path: "auth.apiKey", msg: "printable ASCII"},
		{name: "an apiKey with trailing space", spec: with(openAISpec(), func(s *Spec) { s.Auth.APIKey = "sk-abc " }), path: "auth.apiKey", msg: "spaces"},
		{name: "an apiKey over 64 KiB", spec: with(openAISpec(), func(s *Spec) { s.Auth.APIKey = Credential(strings.Repeat("k", MaxCredentialBytes+1)) }), path: "auth.apiKey", msg: "65536"},
		{name: "an apiKey with auth None", spec: with(selfHostedSpec(), func(s *Spec) { s.Auth.APIKey = "sk-x" }), path: "auth.apiKey", msg: "not None"},
		{name: "a secretRef with auth None", spec: with(selfHostedSpec(), func(s *Spec) { s.Auth.SecretRef = &SecretRef{Name: "x"} }), path: "auth.secretRef", msg: "uses no Secret"},
		{name: "a secretRef without a name", spec: with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{} }), path: "auth.secretRef.name", msg: "Required"},
		{name: "a secretRef with a bad name", spec: with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "Bad_Name"} }), path: "auth.secretRef.name", msg: "RFC 1123"},
		{name: "an aws block with an API key type", spec: with(openAISpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1"} }), path: "auth.aws", msg: "only by auth type AWSCredentials"},
		{name: "an azure block with AzureAPIKey", spec: with(azureSpec(), func(s *Spec) { s.Auth.Azure = azureCredsSpec().Auth.Azure }), path: "auth.azure", msg: "it uses auth.apiKey"},
		{name: "a gcp block with AWS credentials", spec: with(awsSpec(), func(s *Spec) { s.Auth.GCP = gcpSpec().Auth.GCP }), path: "auth.gcp", msg: "only by auth type GCPCredentials"},
		{name: "useDefaultCredentials with an API key type", spec: with(openAISpec(), func(s *Spec) { s.Auth.UseDefaultCredentials = true }), path: "auth.useDefaultCredentials", msg: "only AWSCredentials and GCPCredentials"},

		// AWS.
		{name: "AWS without an aws block", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS = nil }), path: "auth.aws.region", msg: "Required"},
		{name: "AWS missing region", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.Region = "" }), path: "auth.aws.region", msg: "us-east-1"},
		{name: "AWS with a malformed region", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.Region = "US East" }), path: "auth.aws.region", msg: "AWS region"},
		{name: "an AWS region that differs from the endpoint's", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.Region = "eu-west-1" }), path: "auth.aws.region", msg: `endpoint's region "us-east-1"`},
		{name: "half an AWS key pair", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.SecretAccessKey = "" }), path: "auth.aws.secretAccessKey", msg: "go together"},
		{name: "the other half of an AWS key pair", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.AccessKeyID = "" }), path: "auth.aws.accessKeyID", msg: "go together"},
		{name: "an AWS key ID with symbols", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.AccessKeyID = "AKIA-FAKE-FAKE-FAKE" }), path: "auth.aws.accessKeyID", msg: "letters and digits"},
		{name: "an AWS secret key with a space", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.SecretAccessKey = "abc def" }), path: "auth.aws.secretAccessKey", msg: "spaces"},
		{name: "an AWS secret key with a newline", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.SecretAccessKey = "abc\n[evil]" }), path: "auth.aws.secretAccessKey", msg: "newlines"},
		{name: "both an INI file and a key pair", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.Credentials = "[default]\naws_access_key_id=a\naws_secret_access_key=b" }), path: "auth.aws.accessKeyID", msg: "not both"},
		{name: "an AWS key pair and a secretRef", spec: with(awsSpec(), func(s *Spec) { s.Auth.SecretRef = &SecretRef{Name: "aws"} }), path: "auth.secretRef", msg: "not both"},
		{name: "an INI file without the profile's section", spec: with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1", Credentials: "[other]\naws_access_key_id=a\naws_secret_access_key=b\n"}
		}), path: "auth.aws.credentials", msg: "[default] section"},
		{name: "an INI file without a secret key", spec: with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1", Credentials: "[default]\naws_access_key_id=a\n"}
		}), path: "auth.aws.credentials", msg: "aws_secret_access_key"},
		{name: "an INI file with control characters", spec: with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1", Credentials: "[default]\x00\naws_access_key_id=a\naws_secret_access_key=b\n"}
		}), path: "auth.aws.credentials", msg: "control characters"},
		{name: "an INI file over 64 KiB", spec: with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1", Credentials: Credential(strings.Repeat("#", MaxCredentialBytes+1))}
		}), path: "auth.aws.credentials", msg: "65536"},
		{name: "an AWS profile with a bracket", spec: with(awsSpec(), func(s *Spec) { s.Auth.AWS.Profile = "a]\n[b" }), path: "auth.aws.profile", msg: "INI section"},
		{name: "useDefaultCredentials with an AWS key pair", spec: with(awsSpec(), func(s *Spec) { s.Auth.UseDefaultCredentials = true }), path: "auth.useDefaultCredentials", msg: "cannot be combined"},
		{name: "useDefaultCredentials with a secretRef", spec: with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1"}
			s.Auth.UseDefaultCredentials = true
			s.Auth.SecretRef = &SecretRef{Name: "aws"}
		}), path: "auth.secretRef", msg: "uses no Secret"},

		// Azure.
		{name: "Azure credentials without an azure block", spec: with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure = nil }), path: "auth.azure", msg: "clientID, tenantID"},
		{name: "Azure missing tenant", spec: with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.TenantID = "" }), path: "auth.azure.tenantID", msg: "Required"},
		{name: "Azure with a malformed tenant", spec: with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.TenantID = "not a tenant" }), path: "auth.azure.tenantID", msg: "GUID or a domain"},
		{name: "Azure missing client ID", spec: with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.ClientID = "" }), path: "auth.azure.clientID", msg: "Required"},
		{name: "Azure with a client ID that is not a GUID", spec: with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.ClientID = "my-app" }), path: "auth.azure.clientID", msg: "GUID"},
		{name: "Azure missing client secret", spec: with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.ClientSecret = "" }), path: "auth.azure.clientSecret", msg: "client-secret"},
		{name: "Azure with client secret and secretRef", spec: with(azureCredsSpec(), func(s *Spec) { s.Auth.SecretRef = &SecretRef{Name: "sp"} }), path: "auth.secretRef", msg: "not both"},
		{name: "an Azure client secret with a newline", spec: with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.ClientSecret = "abc\ndef" }), path: "auth.azure.clientSecret", msg: "newlines"},
		{name: "an Azure API key that is missing", spec: with(azureSpec(), func(s *Spec) { s.Auth.APIKey = "" }), path: "auth.apiKey", msg: "Required"},

		// GCP.
		{name: "GCP without a gcp block", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP = nil }), path: "auth.gcp.projectName", msg: "Required"},
		{name: "GCP missing project", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ProjectName = "" }), path: "auth.gcp.projectName", msg: "request path"},
		{name: "GCP with a malformed project", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ProjectName = "My Project" }), path: "auth.gcp.projectName", msg: "GCP project ID"},
		{name: "GCP missing region", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP.Region = "" }), path: "auth.gcp.region", msg: "Required"},
		{name: "GCP with a malformed region", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP.Region = "us_central" }), path: "auth.gcp.region", msg: "GCP region"},
		{name: "a GCP region that differs from the endpoint's", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP.Region = "europe-west4" }), path: "auth.gcp.region", msg: `endpoint's region "us-central1"`},
		{name: "a global GCP endpoint with a regional auth", spec: with(gcpSpec(), func(s *Spec) { s.Endpoint.Hostname = "aiplatform.googleapis.com" }), path: "auth.gcp.region", msg: `"global"`},
		{name: "GCP bad service account JSON", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = "{not json" }), path: "auth.gcp.serviceAccountJSON", msg: "does not parse"},
		{name: "a GCP key file of another type", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = `{"type":"external_account"}` }), path: "auth.gcp.serviceAccountJSON", msg: `"service_account"`},
		{name: "an incomplete GCP key file", spec: with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = `{"type":"service_account"}` }), path: "auth.gcp.serviceAccountJSON", msg: "client_email and private_key"},
		{name: "a GCP key file over 64 KiB", spec: with(gcpSpec(), func(s *Spec) {
			s.Auth.GCP.ServiceAccountJSON = Credential(`{"type":"service_account","x":"` + strings.Repeat("x", MaxCredentialBytes) + `"}`)
		}), path: "auth.gcp.serviceAccountJSON", msg: "65536"},
		{name: "a GCP key file and a secretRef", spec: with(gcpSpec(), func(s *Spec) { s.Auth.SecretRef = &SecretRef{Name: "sa"} }), path: "auth.secretRef", msg: "not both"},

		// Templates.
		{name: "an unknown template", spec: Spec{Name: "x", Template: "mistral"}, path: "template", msg: "Unsupported value"},
		{name: "parameters without a template", spec: with(openAISpec(), func(s *Spec) { s.Parameters = map[string]any{"region": "x"} }), path: "parameters", msg: "only used with a template"},
		{name: "an unknown template parameter", spec: Spec{Name: "x", Template: "aws-bedrock", Parameters: map[string]any{"zone": "a"}}, path: "parameters.zone", msg: "this template takes region"},
		{name: "a parameter on a template without parameters", spec: Spec{Name: "x", Template: "openai", Parameters: map[string]any{"org": "a"}}, path: "parameters.org", msg: "takes no parameters"},
		{name: "a bad region parameter", spec: Spec{Name: "x", Template: "aws-bedrock", Parameters: map[string]any{"region": "US-EAST-1"}}, path: "parameters.region", msg: "must match the pattern"},
		{name: "a missing account parameter", spec: Spec{Name: "x", Template: "azure-openai"}, path: "parameters.account", msg: "openai.azure.com"},
		{name: "a missing project parameter", spec: Spec{Name: "x", Template: "gcp-vertex-ai"}, path: "parameters.project", msg: "GCP project ID"},
		{name: "a port parameter that is a string", spec: Spec{Name: "x", Template: "self-hosted", Parameters: map[string]any{"port": "8000"}}, path: "parameters.port", msg: "must be an integer"},
		{name: "a port parameter out of range", spec: Spec{Name: "x", Template: "self-hosted", Parameters: map[string]any{"port": 0}}, path: "parameters.port", msg: "at least 1"},
		{name: "a fractional port parameter", spec: Spec{Name: "x", Template: "self-hosted", Parameters: map[string]any{"port": 80.5}}, path: "parameters.port", msg: "must be an integer"},
		{name: "an auth type the template does not allow", spec: Spec{Name: "x", Template: "openai", Auth: Auth{Type: AuthNone}}, path: "auth.type", msg: "Unsupported value"},
		{name: "a schema that differs from the template's", spec: Spec{Name: "x", Template: "openai", Schema: Schema{Name: aigv1b1.APISchemaAnthropic}, Auth: Auth{APIKey: "k"}}, path: "schema.name", msg: "template openai speaks OpenAI"},
		{name: "a template spec without its credential", spec: Spec{Name: "x", Template: "anthropic"}, path: "auth.apiKey", msg: "Required"},
	}
	if len(tests) < 40 {
		t.Fatalf("only %d bad specs; want at least 40", len(tests))
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		if seen[tt.name] {
			t.Fatalf("duplicate case %q", tt.name)
		}
		seen[tt.name] = true
		t.Run(tt.name+" is refused at "+tt.path, func(t *testing.T) {
			ns := tt.ns
			switch ns {
			case "":
				ns = testNS
			case "-":
				ns = ""
			}
			errs := expandAndValidate(ns, tt.spec)
			if len(errs) == 0 {
				t.Fatalf("no error; want %s containing %q", tt.path, tt.msg)
			}
			for _, e := range errs {
				if e.Field == "" {
					t.Errorf("error without a field path: %v", e)
				}
				if e.Field == tt.path && strings.Contains(e.Error(), tt.msg) {
					return
				}
			}
			t.Errorf("no error at %s containing %q; got:\n%s", tt.path, tt.msg, errList(errs))
		})
	}
}

func TestValidateSchemaFunctionsRefuseOtherSchemas(t *testing.T) {
	funcs := map[string]func(Spec) field.ErrorList{
		"ValidateAWSConfig":       ValidateAWSConfig,
		"ValidateGCPConfig":       ValidateGCPConfig,
		"ValidateAzureConfig":     ValidateAzureConfig,
		"ValidateAnthropicConfig": ValidateAnthropicConfig,
		"ValidateCohereConfig":    ValidateCohereConfig,
	}
	for name, f := range funcs {
		t.Run(name+" refuses an OpenAI spec", func(t *testing.T) {
			errs := f(openAISpec())
			if len(errs) == 0 || errs[0].Field != "schema.name" {
				t.Errorf("got %v, want a schema.name error", errs)
			}
		})
	}
	t.Run("ValidateOpenAIConfig accepts an OpenAI spec", func(t *testing.T) {
		if errs := ValidateOpenAIConfig(openAISpec()); len(errs) > 0 {
			t.Errorf("unexpected errors: %v", errs)
		}
	})
}

func TestValidateReportsEveryProblemAtOnce(t *testing.T) {
	s := Spec{
		Name:     "Bad Name",
		Schema:   Schema{Name: aigv1b1.APISchemaAWSBedrock, Prefix: "v1"},
		Endpoint: Endpoint{Hostname: "https://bedrock", Port: 0},
		Auth:     Auth{Type: AuthAWSCredentials, APIKey: "x", AWS: &AWSAuth{AccessKeyID: "AKIAFAKEFAKEFAKE0001"}},
	}
	got := map[string]bool{}
	for _, e := range Validate(testNS, s) {
		got[e.Field] = true
	}
	for _, want := range []string{"name", "schema.prefix", "endpoint.hostname", "endpoint.port", "auth.apiKey", "auth.aws.region", "auth.aws.secretAccessKey"} {
		if !got[want] {
			t.Errorf("no error at %s; got %v", want, got)
		}
	}
}

// canary is planted in every credential field; it must never come back.
const canary = "sk-CANARY-5f1d2c9e"

func TestValidationErrorsNeverContainTheCredential(t *testing.T) {
	bad := []struct {
		name string
		spec Spec
	}{
		{"an apiKey with a newline", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = canary + "\nx" })},
		{"an apiKey with a space around it", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = " " + canary })},
		{"an apiKey with non-ASCII", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = canary + "é" })},
		{"an oversized apiKey", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = Credential(strings.Repeat(canary, MaxCredentialBytes/len(canary)+1)) })},
		{"an apiKey and a secretRef", with(openAISpec(), func(s *Spec) { s.Auth.APIKey = canary; s.Auth.SecretRef = &SecretRef{Name: "x"} })},
		{"an apiKey for the wrong type", with(awsSpec(), func(s *Spec) { s.Auth.APIKey = canary })},
		{"an apiKey with auth None", with(selfHostedSpec(), func(s *Spec) { s.Auth.APIKey = canary })},
		{"an AWS key ID with symbols", with(awsSpec(), func(s *Spec) { s.Auth.AWS.AccessKeyID = canary })},
		{"an AWS secret with a space", with(awsSpec(), func(s *Spec) { s.Auth.AWS.SecretAccessKey = canary + " x" })},
		{"an AWS secret with a newline", with(awsSpec(), func(s *Spec) { s.Auth.AWS.SecretAccessKey = canary + "\n" })},
		{"half an AWS pair", with(awsSpec(), func(s *Spec) { s.Auth.AWS.AccessKeyID = ""; s.Auth.AWS.SecretAccessKey = canary })},
		{"an INI file without a section", with(awsSpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1", Credentials: canary} })},
		{"an INI file missing a key", with(awsSpec(), func(s *Spec) {
			s.Auth.AWS = &AWSAuth{Region: "us-east-1", Credentials: "[default]\naws_access_key_id = " + canary}
		})},
		{"an INI file with a NUL", with(awsSpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{Region: "us-east-1", Credentials: canary + "\x00"} })},
		{"an INI file and a key pair", with(awsSpec(), func(s *Spec) { s.Auth.AWS.Credentials = canary })},
		{"an AWS block on an API key provider", with(openAISpec(), func(s *Spec) { s.Auth.AWS = &AWSAuth{SecretAccessKey: canary, AccessKeyID: canary} })},
		{"an Azure secret with a control character", with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.ClientSecret = canary + "\x07" })},
		{"an Azure secret and a secretRef", with(azureCredsSpec(), func(s *Spec) { s.Auth.Azure.ClientSecret = canary; s.Auth.SecretRef = &SecretRef{Name: "x"} })},
		{"a GCP key that is not JSON", with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = canary })},
		{"a GCP key with a syntax error", with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = `{"type":"service_account","k":` + canary + `}` })},
		{"a GCP key of another type", with(gcpSpec(), func(s *Spec) { s.Auth.GCP.ServiceAccountJSON = `{"type":"` + canary + `"}` })},
		{"an incomplete GCP key", with(gcpSpec(), func(s *Spec) {
			s.Auth.GCP.ServiceAccountJSON = `{"type":"service_account","private_key":"` + canary + `"}`
		})},
		{"a GCP key on an Azure provider", with(azureCredsSpec(), func(s *Spec) { s.Auth.GCP = &GCPAuth{ServiceAccountJSON: canary} })},
		{"every credential with useDefaultCredentials", with(awsSpec(), func(s *Spec) {
			s.Auth.UseDefaultCredentials = true
			s.Auth.AWS.AccessKeyID, s.Auth.AWS.SecretAccessKey = canary, canary
		})},
	}
	for _, tt := range bad {
		t.Run(tt.name+" is reported without the value", func(t *testing.T) {
			errs := Validate(testNS, tt.spec)
			if len(errs) == 0 {
				t.Fatal("no error")
			}
			for _, e := range errs {
				for _, s := range []string{e.Error(), e.Detail, e.ErrorBody()} {
					if strings.Contains(s, "CANARY") {
						t.Errorf("error leaks the credential: %s", s)
					}
				}
			}
			_, err := Render(testNS, tt.spec)
			if err == nil || strings.Contains(err.Error(), "CANARY") {
				t.Errorf("Render error is nil or leaks the credential: %v", err)
			}
		})
	}
}

func errList(errs field.ErrorList) string {
	var b strings.Builder
	for _, e := range errs {
		b.WriteString("  " + e.Error() + "\n")
	}
	return b.String()
}
