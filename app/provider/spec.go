package provider

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"strings"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// Labels every rendered object carries. The cache and ListFromObjects find a
// provider's objects by LabelProvider.
const (
	// LabelManagedBy marks objects the console renders; its value is
	// ManagedBy.
	LabelManagedBy = "app.kubernetes.io/managed-by"
	// ManagedBy is the value of LabelManagedBy.
	ManagedBy = "aigw-console"
	// LabelProvider holds the name of the provider an object belongs to.
	LabelProvider = "aigw-console.io/provider"
	// LabelTemplate holds the name of the template a provider was made from.
	// It is set only on providers made from a template.
	LabelTemplate = "aigw-console.io/template"
)

// Limits and well-known values.
const (
	// MaxNameLength is the longest provider name: a DNS-1123 label (63)
	// minus room for SecretNameSuffix.
	MaxNameLength = 50
	// SecretNameSuffix is appended to the provider name to name the Secret
	// the console manages for it.
	SecretNameSuffix = "-credentials"
	// MaxCredentialBytes is the largest write-only value accepted.
	MaxCredentialBytes = 64 << 10
	// RedactedValue replaces write-only values and Secret data wherever they
	// would be shown.
	RedactedValue = "<redacted>"
	// DefaultAWSProfile is the INI profile used when AWSAuth.Profile is empty.
	DefaultAWSProfile = "default"
)

// SecretName returns the name of the Secret the console manages for the
// provider named provider.
func SecretName(provider string) string { return provider + SecretNameSuffix }

// AuthType is how the gateway authenticates to the provider: a
// BackendSecurityPolicy type, or AuthNone for no policy at all.
type AuthType string

// The auth types. All but AuthNone are BackendSecurityPolicy types.
const (
	AuthAPIKey           = AuthType(aigv1b1.BackendSecurityPolicyTypeAPIKey)
	AuthAWSCredentials   = AuthType(aigv1b1.BackendSecurityPolicyTypeAWSCredentials)
	AuthAzureAPIKey      = AuthType(aigv1b1.BackendSecurityPolicyTypeAzureAPIKey)
	AuthAzureCredentials = AuthType(aigv1b1.BackendSecurityPolicyTypeAzureCredentials)
	AuthGCPCredentials   = AuthType(aigv1b1.BackendSecurityPolicyTypeGCPCredentials)
	AuthAnthropicAPIKey  = AuthType(aigv1b1.BackendSecurityPolicyTypeAnthropicAPIKey)
	// AuthNone renders no BackendSecurityPolicy and no Secret (self-hosted
	// models without authentication).
	AuthNone AuthType = "None"
)

// AuthTypes returns every auth type, in a fixed order.
func AuthTypes() []AuthType {
	return []AuthType{AuthAPIKey, AuthAWSCredentials, AuthAzureAPIKey, AuthAzureCredentials, AuthGCPCredentials, AuthAnthropicAPIKey, AuthNone}
}

// SecretKeyFor returns the Secret key the upstream controller reads for auth
// type t ("" for AuthNone and unknown types).
func SecretKeyFor(t AuthType) string {
	switch t {
	case AuthAPIKey, AuthAzureAPIKey, AuthAnthropicAPIKey:
		return aigv1b1.SecretKeyAPIKey
	case AuthAWSCredentials:
		return aigv1b1.SecretKeyAWSCredentials
	case AuthAzureCredentials:
		return aigv1b1.SecretKeyClientSecret
	case AuthGCPCredentials:
		return aigv1b1.SecretKeyGCPServiceAccount
	}
	return ""
}

// Schemas returns the eight API schema names, in the CRD's order.
func Schemas() []aigv1b1.APISchema {
	return []aigv1b1.APISchema{
		aigv1b1.APISchemaOpenAI, aigv1b1.APISchemaCohere, aigv1b1.APISchemaAWSBedrock, aigv1b1.APISchemaAzureOpenAI,
		aigv1b1.APISchemaGCPVertexAI, aigv1b1.APISchemaGCPAnthropic, aigv1b1.APISchemaAnthropic, aigv1b1.APISchemaAWSAnthropic,
	}
}

// Spec is the body of POST /api/v1/providers and PUT
// /api/v1/providers/{name}: one upstream LLM service in provider terms. The
// namespace is not part of it; it comes from ?namespace=.
//
// Write-only fields (type Credential) are used only to render the Secret.
// They are never returned, logged or put into an error message: Credential
// prints and marshals as RedactedValue, and Redacted blanks them.
type Spec struct {
	// Name names the provider and every object rendered for it. A DNS-1123
	// label of at most MaxNameLength characters; must not start with
	// "ai-eg-" nor be "route-not-found" (upstream-reserved).
	Name string `json:"name"`
	// Template, when set, names the template (see Templates) the spec starts
	// from; fields set in the request override the template's. Recorded in
	// the LabelTemplate label.
	Template string `json:"template,omitempty"`
	// Parameters are the template's parameters, validated against its JSON
	// Schema (Template.Parameters). Only valid together with Template.
	Parameters map[string]any `json:"parameters,omitempty"`
	// Schema is the wire format the provider speaks.
	Schema Schema `json:"schema"`
	// Endpoint is where the provider is reached.
	Endpoint Endpoint `json:"endpoint"`
	// Auth is how the gateway authenticates to the provider.
	Auth Auth `json:"auth"`

	// KeepSecret is set by the server, never by a client (it has no JSON
	// name). On an update whose request carries no credential and no
	// secretRef, it makes Validate accept the missing credential and Render
	// reference the provider's existing managed Secret (SecretName(Name))
	// without rendering it, so the stored credential survives the PUT. Set
	// it only when Provider.CanKeepSecret says so for the new auth type.
	// Auth.UseDefaultCredentials overrides it.
	KeepSecret bool `json:"-"`
}

// Schema is the AIServiceBackend's spec.schema.
type Schema struct {
	// Name is one of the eight API schemas (see Schemas).
	Name aigv1b1.APISchema `json:"name"`
	// Version is the API version for Cohere (e.g. "v2"), AzureOpenAI (the
	// Azure api-version, e.g. "2025-01-01-preview"; required),
	// GCPAnthropic (e.g. "vertex-2023-10-16") and AWSAnthropic (e.g.
	// "bedrock-2023-05-31"). The other schemas ignore it, so it is refused
	// there.
	Version string `json:"version,omitempty"`
	// Prefix is the path prefix for OpenAI ("<prefix>/chat/completions") and
	// Anthropic ("<prefix>/messages"); the controller uses "v1" when it is
	// empty. Refused for every other schema.
	Prefix string `json:"prefix,omitempty"`
}

// Endpoint is the Envoy Gateway Backend's single endpoint. Exactly one of
// Hostname and IP is set.
type Endpoint struct {
	// Hostname is the provider's lowercase RFC-1123 host name, without a
	// scheme, path, port or wildcard (e.g. "api.openai.com").
	Hostname string `json:"hostname,omitempty"`
	// IP is an IPv4 or IPv6 address (no TLS: the BackendTLSPolicy needs a
	// hostname).
	IP string `json:"ip,omitempty"`
	// Port is the TCP port, 1..65535.
	Port int `json:"port"`
	// TLS turns on TLS to the provider with the system CAs (a
	// BackendTLSPolicy). Default: true when Port is 443, false otherwise.
	TLS *bool `json:"tls,omitempty"`
}

// TLSEnabled reports whether TLS is on: TLS when set, else Port == 443.
func (e Endpoint) TLSEnabled() bool {
	if e.TLS != nil {
		return *e.TLS
	}
	return e.Port == 443
}

// SecretRef names an existing Secret in the provider's namespace.
type SecretRef struct {
	// Name is the Secret's name. It must hold the key the auth type needs
	// (see SecretKeyFor).
	Name string `json:"name"`
}

// Auth is how the gateway authenticates to the provider.
//
// A credential is given in one of three ways: in the request (APIKey or the
// write-only fields of AWS, Azure or GCP), which renders the Secret
// SecretName(provider); by SecretRef, which uses an existing Secret and
// renders none; or, for AWSCredentials and GCPCredentials only, not at all,
// which uses the platform's default credentials.
type Auth struct {
	// Type is one of AuthTypes. Which types a schema accepts is checked by
	// the Validate*Config functions.
	Type AuthType `json:"type"`
	// SecretRef uses an existing Secret instead of a credential in the
	// request. Not with AuthNone.
	SecretRef *SecretRef `json:"secretRef,omitempty"`
	// APIKey is the key of APIKey, AzureAPIKey and AnthropicAPIKey.
	// Write-only. Printable ASCII only.
	APIKey Credential `json:"apiKey,omitempty"`
	// UseDefaultCredentials, for AWSCredentials and GCPCredentials, uses the
	// platform's default credentials (AWS SDK default chain: IRSA, EKS Pod
	// Identity, instance roles; GCP Application Default Credentials: GKE
	// Workload Identity) and no Secret. Leaving every credential out on
	// create means the same; on an update it is the way to say "drop the
	// stored credential" rather than "keep it" (see Spec.KeepSecret).
	UseDefaultCredentials bool `json:"useDefaultCredentials,omitempty"`
	// AWS is the block of AWSCredentials.
	AWS *AWSAuth `json:"aws,omitempty"`
	// Azure is the block of AzureCredentials (AzureAPIKey uses APIKey).
	Azure *AzureAuth `json:"azure,omitempty"`
	// GCP is the block of GCPCredentials.
	GCP *GCPAuth `json:"gcp,omitempty"`
}

// AWSAuth is the AWSCredentials block.
type AWSAuth struct {
	// Region is the SigV4 signing region, e.g. "us-east-1". Required.
	Region string `json:"region"`
	// Profile is the INI profile the gateway reads. Default:
	// DefaultAWSProfile.
	Profile string `json:"profile,omitempty"`
	// Credentials is a whole AWS INI credentials file with a [Profile]
	// section. Write-only.
	Credentials Credential `json:"credentials,omitempty"`
	// AccessKeyID and SecretAccessKey, given together, are rendered into an
	// INI file under [Profile]. Write-only; not with Credentials.
	AccessKeyID Credential `json:"accessKeyID,omitempty"`
	// SecretAccessKey goes with AccessKeyID. Write-only.
	SecretAccessKey Credential `json:"secretAccessKey,omitempty"`
}

// AzureAuth is the AzureCredentials block (Entra ID client credentials).
type AzureAuth struct {
	// ClientID is the Entra application (client) ID, a GUID. Required.
	ClientID string `json:"clientID"`
	// TenantID is the Entra tenant, a GUID or a domain. Required.
	TenantID string `json:"tenantID"`
	// ClientSecret is the application's client secret. Write-only; required
	// unless Auth.SecretRef is set.
	ClientSecret Credential `json:"clientSecret,omitempty"`
}

// GCPAuth is the GCPCredentials block.
type GCPAuth struct {
	// ProjectName is the GCP project. Required: the gateway puts it into the
	// request path.
	ProjectName string `json:"projectName"`
	// Region is the Vertex AI region, e.g. "us-central1", or "global".
	// Required, for the same reason.
	Region string `json:"region"`
	// ServiceAccountJSON is a service-account key file ("type":
	// "service_account"). Write-only; without it (and without
	// Auth.SecretRef) Application Default Credentials are used.
	ServiceAccountJSON Credential `json:"serviceAccountJSON,omitempty"`
}

// Credential is a write-only value. It prints, logs and marshals to JSON as
// RedactedValue (or "" when empty); only Value returns it.
type Credential string

// Value returns the secret value itself. Call it only to render a Secret.
func (c Credential) Value() string { return string(c) }

// IsSet reports whether the credential is non-empty.
func (c Credential) IsSet() bool { return c != "" }

// String returns RedactedValue, or "" when the credential is empty.
func (c Credential) String() string {
	if c == "" {
		return ""
	}
	return RedactedValue
}

// GoString returns the quoted String, so %#v never prints the value.
func (c Credential) GoString() string { return strconv.Quote(c.String()) }

// Format makes every fmt verb (%s, %v, %q, %x, %#v, ...) print the redacted
// form.
func (c Credential) Format(f fmt.State, verb rune) {
	switch {
	case verb == 'q', verb == 'v' && f.Flag('#'):
		_, _ = io.WriteString(f, c.GoString())
	default:
		_, _ = io.WriteString(f, c.String())
	}
}

// LogValue logs the redacted form.
func (c Credential) LogValue() slog.Value { return slog.StringValue(c.String()) }

// MarshalJSON marshals the redacted form: a Spec sent back to a client or
// written to a log never carries the value.
func (c Credential) MarshalJSON() ([]byte, error) { return []byte(strconv.Quote(c.String())), nil }

// redact returns RedactedValue when c is set.
func (c Credential) redact() Credential { return Credential(c.String()) }

// Redacted returns a copy of s with every write-only field that is set
// replaced by RedactedValue, for answers such as a dry run.
func (s Spec) Redacted() Spec {
	s.Auth = s.Auth.Redacted()
	if s.Parameters != nil {
		p := make(map[string]any, len(s.Parameters))
		for k, v := range s.Parameters {
			p[k] = v
		}
		s.Parameters = p
	}
	return s
}

// Redacted returns a copy of a with every write-only field that is set
// replaced by RedactedValue.
func (a Auth) Redacted() Auth {
	a.APIKey = a.APIKey.redact()
	if a.SecretRef != nil {
		r := *a.SecretRef
		a.SecretRef = &r
	}
	if a.AWS != nil {
		r := a.AWS.Redacted()
		a.AWS = &r
	}
	if a.Azure != nil {
		r := a.Azure.Redacted()
		a.Azure = &r
	}
	if a.GCP != nil {
		r := a.GCP.Redacted()
		a.GCP = &r
	}
	return a
}

// Redacted returns a copy of a with its write-only fields redacted.
func (a AWSAuth) Redacted() AWSAuth {
	a.Credentials = a.Credentials.redact()
	a.AccessKeyID = a.AccessKeyID.redact()
	a.SecretAccessKey = a.SecretAccessKey.redact()
	return a
}

// Redacted returns a copy of a with its write-only field redacted.
func (a AzureAuth) Redacted() AzureAuth {
	a.ClientSecret = a.ClientSecret.redact()
	return a
}

// Redacted returns a copy of g with its write-only field redacted.
func (g GCPAuth) Redacted() GCPAuth {
	g.ServiceAccountJSON = g.ServiceAccountJSON.redact()
	return g
}

// redactedJSON is the String form of the credential-carrying types: their
// JSON with every write-only value redacted (Credential marshals redacted).
func redactedJSON(v any) string {
	var b strings.Builder
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return "<unprintable>"
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// String returns s as JSON with write-only values redacted.
func (s Spec) String() string { return redactedJSON(s.Redacted()) }

// GoString is like String, so %#v never prints write-only values.
func (s Spec) GoString() string { return "provider.Spec" + s.String() }

// LogValue logs s with write-only values redacted.
func (s Spec) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("name", s.Name)}
	if s.Template != "" {
		attrs = append(attrs, slog.String("template", s.Template), slog.Any("parameters", s.Parameters))
	}
	attrs = append(attrs,
		slog.Group("schema", "name", string(s.Schema.Name), "version", s.Schema.Version, "prefix", s.Schema.Prefix),
		slog.Group("endpoint", "hostname", s.Endpoint.Hostname, "ip", s.Endpoint.IP, "port", s.Endpoint.Port, "tls", s.Endpoint.TLSEnabled()),
		slog.Attr{Key: "auth", Value: s.Auth.LogValue()},
	)
	return slog.GroupValue(attrs...)
}

// String returns a as JSON with write-only values redacted.
func (a Auth) String() string { return redactedJSON(a.Redacted()) }

// GoString is like String.
func (a Auth) GoString() string { return "provider.Auth" + a.String() }

// LogValue logs a with write-only values redacted.
func (a Auth) LogValue() slog.Value {
	attrs := []slog.Attr{slog.String("type", string(a.Type))}
	if a.SecretRef != nil {
		attrs = append(attrs, slog.String("secretRef", a.SecretRef.Name))
	}
	if a.APIKey.IsSet() {
		attrs = append(attrs, slog.String("apiKey", a.APIKey.String()))
	}
	if a.UseDefaultCredentials {
		attrs = append(attrs, slog.Bool("useDefaultCredentials", true))
	}
	if a.AWS != nil {
		attrs = append(attrs, slog.Attr{Key: "aws", Value: a.AWS.LogValue()})
	}
	if a.Azure != nil {
		attrs = append(attrs, slog.Attr{Key: "azure", Value: a.Azure.LogValue()})
	}
	if a.GCP != nil {
		attrs = append(attrs, slog.Attr{Key: "gcp", Value: a.GCP.LogValue()})
	}
	return slog.GroupValue(attrs...)
}

// String returns a as JSON with write-only values redacted.
func (a AWSAuth) String() string { return redactedJSON(a.Redacted()) }

// GoString is like String.
func (a AWSAuth) GoString() string { return "provider.AWSAuth" + a.String() }

// LogValue logs a with write-only values redacted.
func (a AWSAuth) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("region", a.Region), slog.String("profile", a.Profile),
		slog.String("credentials", a.Credentials.String()),
		slog.String("accessKeyID", a.AccessKeyID.String()),
		slog.String("secretAccessKey", a.SecretAccessKey.String()),
	)
}

// String returns a as JSON with write-only values redacted.
func (a AzureAuth) String() string { return redactedJSON(a.Redacted()) }

// GoString is like String.
func (a AzureAuth) GoString() string { return "provider.AzureAuth" + a.String() }

// LogValue logs a with write-only values redacted.
func (a AzureAuth) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("clientID", a.ClientID), slog.String("tenantID", a.TenantID),
		slog.String("clientSecret", a.ClientSecret.String()),
	)
}

// String returns g as JSON with write-only values redacted.
func (g GCPAuth) String() string { return redactedJSON(g.Redacted()) }

// GoString is like String.
func (g GCPAuth) GoString() string { return "provider.GCPAuth" + g.String() }

// LogValue logs g with write-only values redacted.
func (g GCPAuth) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("projectName", g.ProjectName), slog.String("region", g.Region),
		slog.String("serviceAccountJSON", g.ServiceAccountJSON.String()),
	)
}

// hasInlineCredential reports whether the request carries a credential value
// for the auth block of its type.
func (a Auth) hasInlineCredential() bool {
	switch a.Type {
	case AuthAPIKey, AuthAzureAPIKey, AuthAnthropicAPIKey:
		return a.APIKey.IsSet()
	case AuthAWSCredentials:
		return a.AWS != nil && (a.AWS.Credentials.IsSet() || a.AWS.AccessKeyID.IsSet() || a.AWS.SecretAccessKey.IsSet())
	case AuthAzureCredentials:
		return a.Azure != nil && a.Azure.ClientSecret.IsSet()
	case AuthGCPCredentials:
		return a.GCP != nil && a.GCP.ServiceAccountJSON.IsSet()
	}
	return false
}
