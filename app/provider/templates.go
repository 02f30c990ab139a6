package provider

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation/field"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// Template is a ready-made provider (GET /api/v1/templates): the schema,
// endpoint and auth of a well-known service, filled from a few parameters.
type Template struct {
	// Name is the template's id in URLs and in Spec.Template.
	Name string `json:"name"`
	// DisplayName is the name to show.
	DisplayName string `json:"displayName"`
	// Description says what the template is for.
	Description string `json:"description"`
	// Schema is the schema the template renders, with its default version
	// and prefix.
	Schema Schema `json:"schema"`
	// AuthTypes are the auth types the template allows.
	AuthTypes []AuthType `json:"authTypes"`
	// DefaultAuthType is used when the request sets no auth.type.
	DefaultAuthType AuthType `json:"defaultAuthType"`
	// Parameters is a JSON Schema (draft 2020-12 subset) of the parameters:
	// type object, properties with type, description, default, pattern,
	// enum, minimum and maximum, a required list, and additionalProperties
	// false.
	Parameters map[string]any `json:"parameters"`
	// Defaults are the parameters' default values.
	Defaults map[string]any `json:"defaults"`

	// build fills a Spec's schema, endpoint and auth from the parameter
	// values (defaults applied, already validated).
	build func(v map[string]any) Spec
}

// Templates returns the built-in templates in display order. Every call
// returns fresh values the caller may modify.
func Templates() []Template {
	awsRegion := param{name: "region", typ: "string", def: "us-east-1", pattern: awsRegionRE.String(),
		description: "AWS region of the Bedrock runtime endpoint, e.g. us-east-1"}
	gcpProject := param{name: "project", typ: "string", required: true, pattern: gcpProjectRE.String(),
		description: "GCP project ID that hosts the Vertex AI models"}
	gcpRegion := func(def string) param {
		return param{name: "region", typ: "string", def: def, pattern: gcpRegionRE.String(),
			description: "Vertex AI region, e.g. " + def + ", or global"}
	}
	bedrock := func(v map[string]any) Spec {
		region := v["region"].(string)
		return Spec{
			Endpoint: Endpoint{Hostname: "bedrock-runtime." + region + ".amazonaws.com", Port: 443, TLS: ptr(true)},
			Auth:     Auth{Type: AuthAWSCredentials, AWS: &AWSAuth{Region: region}},
		}
	}
	vertex := func(v map[string]any) Spec {
		region := v["region"].(string)
		host := region + "-aiplatform.googleapis.com"
		if region == "global" {
			host = "aiplatform.googleapis.com"
		}
		return Spec{
			Endpoint: Endpoint{Hostname: host, Port: 443, TLS: ptr(true)},
			Auth:     Auth{Type: AuthGCPCredentials, GCP: &GCPAuth{ProjectName: v["project"].(string), Region: region}},
		}
	}
	fixed := func(host string, t AuthType) func(map[string]any) Spec {
		return func(map[string]any) Spec {
			return Spec{Endpoint: Endpoint{Hostname: host, Port: 443, TLS: ptr(true)}, Auth: Auth{Type: t}}
		}
	}

	ts := []Template{
		{
			Name: "openai", DisplayName: "OpenAI",
			Description: "OpenAI's API at api.openai.com with an API key.",
			Schema:      Schema{Name: aigv1b1.APISchemaOpenAI},
			AuthTypes:   []AuthType{AuthAPIKey}, DefaultAuthType: AuthAPIKey,
			Parameters: objectSchema(),
			build:      fixed("api.openai.com", AuthAPIKey),
		},
		{
			Name: "aws-bedrock", DisplayName: "AWS Bedrock",
			Description: "Models on Amazon Bedrock through the Bedrock runtime API, signed with AWS SigV4. Without a credential the gateway uses the AWS default credential chain (IRSA, EKS Pod Identity).",
			Schema:      Schema{Name: aigv1b1.APISchemaAWSBedrock},
			AuthTypes:   []AuthType{AuthAWSCredentials}, DefaultAuthType: AuthAWSCredentials,
			Parameters: objectSchema(awsRegion),
			build:      bedrock,
		},
		{
			Name: "aws-anthropic", DisplayName: "Anthropic on AWS Bedrock",
			Description: "Claude models on Amazon Bedrock with the native Anthropic Messages API (InvokeModel).",
			Schema:      Schema{Name: aigv1b1.APISchemaAWSAnthropic, Version: "bedrock-2023-05-31"},
			AuthTypes:   []AuthType{AuthAWSCredentials}, DefaultAuthType: AuthAWSCredentials,
			Parameters: objectSchema(awsRegion),
			build:      bedrock,
		},
		{
			Name: "gcp-vertex-ai", DisplayName: "GCP Vertex AI",
			Description: "Gemini models on Google Cloud Vertex AI. Without a service-account key the gateway uses Application Default Credentials (GKE Workload Identity).",
			Schema:      Schema{Name: aigv1b1.APISchemaGCPVertexAI},
			AuthTypes:   []AuthType{AuthGCPCredentials}, DefaultAuthType: AuthGCPCredentials,
			Parameters: objectSchema(gcpProject, gcpRegion("us-central1")),
			build:      vertex,
		},
		{
			Name: "gcp-anthropic", DisplayName: "Anthropic on GCP Vertex AI",
			Description: "Claude models on Google Cloud Vertex AI.",
			Schema:      Schema{Name: aigv1b1.APISchemaGCPAnthropic, Version: "vertex-2023-10-16"},
			AuthTypes:   []AuthType{AuthGCPCredentials}, DefaultAuthType: AuthGCPCredentials,
			Parameters: objectSchema(gcpProject, gcpRegion("us-east5")),
			build:      vertex,
		},
		{
			Name: "azure-openai", DisplayName: "Azure OpenAI",
			Description: "Azure OpenAI deployments of an Azure OpenAI resource, with an API key or Entra ID client credentials.",
			Schema:      Schema{Name: aigv1b1.APISchemaAzureOpenAI, Version: "2025-01-01-preview"},
			AuthTypes:   []AuthType{AuthAzureAPIKey, AuthAzureCredentials}, DefaultAuthType: AuthAzureAPIKey,
			Parameters: objectSchema(
				param{name: "account", typ: "string", required: true, pattern: `^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`,
					description: "Name of the Azure OpenAI resource: the <account> of <account>.openai.azure.com"},
				param{name: "apiVersion", typ: "string", def: "2025-01-01-preview", pattern: azureVerRE.String(),
					description: "Azure OpenAI api-version"},
			),
			build: func(v map[string]any) Spec {
				return Spec{
					Schema:   Schema{Version: v["apiVersion"].(string)},
					Endpoint: Endpoint{Hostname: v["account"].(string) + ".openai.azure.com", Port: 443, TLS: ptr(true)},
					Auth:     Auth{Type: AuthAzureAPIKey},
				}
			},
		},
		{
			Name: "anthropic", DisplayName: "Anthropic",
			Description: "Anthropic's Messages API at api.anthropic.com with an API key.",
			Schema:      Schema{Name: aigv1b1.APISchemaAnthropic},
			AuthTypes:   []AuthType{AuthAnthropicAPIKey}, DefaultAuthType: AuthAnthropicAPIKey,
			Parameters: objectSchema(),
			build:      fixed("api.anthropic.com", AuthAnthropicAPIKey),
		},
		{
			Name: "cohere", DisplayName: "Cohere",
			Description: "Cohere's native v2 API (chat, rerank) at api.cohere.com with an API key.",
			Schema:      Schema{Name: aigv1b1.APISchemaCohere, Version: "v2"},
			AuthTypes:   []AuthType{AuthAPIKey}, DefaultAuthType: AuthAPIKey,
			Parameters: objectSchema(),
			build:      fixed("api.cohere.com", AuthAPIKey),
		},
		{
			Name: "self-hosted", DisplayName: "Self-hosted (OpenAI-compatible)",
			Description: "An OpenAI-compatible server in the cluster, such as vLLM or Ollama, over plain HTTP, optionally with an API key.",
			Schema:      Schema{Name: aigv1b1.APISchemaOpenAI, Prefix: "v1"},
			AuthTypes:   []AuthType{AuthNone, AuthAPIKey}, DefaultAuthType: AuthNone,
			Parameters: objectSchema(
				param{name: "host", typ: "string", def: "vllm.default.svc.cluster.local", pattern: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)+$`,
					description: "In-cluster FQDN of the server's Service, <service>.<namespace>.svc.cluster.local"},
				param{name: "port", typ: "integer", def: 8000, min: ptr(1), max: ptr(65535),
					description: "Port of the server"},
				param{name: "prefix", typ: "string", def: "v1", pattern: prefixRE.String(),
					description: "Path prefix of the OpenAI API, e.g. v1"},
			),
			build: func(v map[string]any) Spec {
				return Spec{
					Schema:   Schema{Prefix: v["prefix"].(string)},
					Endpoint: Endpoint{Hostname: v["host"].(string), Port: v["port"].(int), TLS: ptr(false)},
					Auth:     Auth{Type: AuthNone},
				}
			},
		},
	}
	for i := range ts {
		ts[i].Defaults = schemaDefaults(ts[i].Parameters)
	}
	return ts
}

// TemplateByName returns the built-in template named name.
func TemplateByName(name string) (Template, bool) {
	for _, t := range Templates() {
		if t.Name == name {
			return t, true
		}
	}
	return Template{}, false
}

func templateNames() []string {
	ts := Templates()
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Name
	}
	return out
}

// Spec validates params against t.Parameters (errors under
// "parameters.<name>") and returns the spec of a provider named name made
// from t: schema, endpoint and auth type filled, and for the AWS and GCP
// templates the auth region (and project) pre-filled from the parameters.
// Credentials are left for the request to add.
func (t Template) Spec(name string, params map[string]any) (Spec, field.ErrorList) {
	values, errs := validateParams(t.Parameters, params, pathParameters)
	if len(errs) > 0 {
		return Spec{}, errs
	}
	s := t.build(values)
	s.Name = name
	s.Template = t.Name
	if len(params) > 0 {
		s.Parameters = make(map[string]any, len(params))
		for k, v := range params {
			s.Parameters[k] = v
		}
	}
	s.Schema.Name = t.Schema.Name
	if s.Schema.Version == "" {
		s.Schema.Version = t.Schema.Version
	}
	if s.Schema.Prefix == "" {
		s.Schema.Prefix = t.Schema.Prefix
	}
	return s, nil
}

// ExpandTemplate returns s unchanged when s.Template is empty. Otherwise it
// starts from the template's Spec(s.Name, s.Parameters) and overlays every
// field the request set explicitly (non-empty strings, a non-zero port, a
// non-nil tls, the auth type and blocks). The auth type must be one the
// template allows; schema.name, if set, must be the template's. Call it
// before Validate and Render.
func ExpandTemplate(s Spec) (Spec, field.ErrorList) {
	if s.Template == "" {
		return s, nil
	}
	t, ok := TemplateByName(s.Template)
	if !ok {
		return s, field.ErrorList{field.NotSupported(pathTemplate, s.Template, templateNames())}
	}
	out, errs := t.Spec(s.Name, s.Parameters)
	if len(errs) > 0 {
		return s, errs
	}
	out.KeepSecret = s.KeepSecret

	if s.Schema.Name != "" && s.Schema.Name != out.Schema.Name {
		errs = append(errs, field.Invalid(pathSchema.Child("name"), s.Schema.Name,
			fmt.Sprintf("template %s speaks %s; drop schema.name or choose another template", t.Name, out.Schema.Name)))
	}
	if s.Schema.Version != "" {
		out.Schema.Version = s.Schema.Version
	}
	if s.Schema.Prefix != "" {
		out.Schema.Prefix = s.Schema.Prefix
	}

	if s.Endpoint.Hostname != "" || s.Endpoint.IP != "" {
		out.Endpoint.Hostname, out.Endpoint.IP = s.Endpoint.Hostname, s.Endpoint.IP
	}
	if s.Endpoint.Port != 0 {
		out.Endpoint.Port = s.Endpoint.Port
	}
	if s.Endpoint.TLS != nil {
		out.Endpoint.TLS = ptr(*s.Endpoint.TLS)
	}

	base := out.Auth
	a := s.Auth
	if a.Type == "" {
		a.Type = t.DefaultAuthType
	}
	if !slices.Contains(t.AuthTypes, a.Type) {
		errs = append(errs, field.NotSupported(pathAuth.Child("type"), a.Type, t.AuthTypes))
	}
	if base.Type == a.Type {
		if base.AWS != nil {
			if a.AWS == nil {
				a.AWS = &AWSAuth{}
			} else {
				c := *a.AWS
				a.AWS = &c
			}
			if a.AWS.Region == "" {
				a.AWS.Region = base.AWS.Region
			}
		}
		if base.GCP != nil {
			if a.GCP == nil {
				a.GCP = &GCPAuth{}
			} else {
				c := *a.GCP
				a.GCP = &c
			}
			if a.GCP.ProjectName == "" {
				a.GCP.ProjectName = base.GCP.ProjectName
			}
			if a.GCP.Region == "" {
				a.GCP.Region = base.GCP.Region
			}
		}
	}
	out.Auth = a
	if len(errs) > 0 {
		return s, errs
	}
	return out, nil
}

// Preview renders the provider name (default: the template's name) that t
// would create in namespace (default: "default") from params and auth, for
// GET /api/v1/templates/{name}?preview. When auth carries no credential,
// no secretRef and no useDefaultCredentials, a placeholder credential is
// used for the auth types that need one; the returned Secret is always
// redacted.
func (t Template) Preview(namespace, name string, params map[string]any, auth Auth) (Rendered, field.ErrorList) {
	if namespace == "" {
		namespace = "default"
	}
	if name == "" {
		name = t.Name
	}
	s, errs := ExpandTemplate(Spec{Name: name, Template: t.Name, Parameters: params, Auth: auth})
	if len(errs) > 0 {
		return Rendered{}, errs
	}
	a := &s.Auth
	if !a.hasInlineCredential() && a.SecretRef == nil && !a.UseDefaultCredentials {
		switch a.Type {
		case AuthAPIKey, AuthAzureAPIKey, AuthAnthropicAPIKey:
			a.APIKey = "placeholder"
		case AuthAzureCredentials:
			az := AzureAuth{}
			if a.Azure != nil {
				az = *a.Azure
			}
			az.ClientSecret = "placeholder"
			a.Azure = &az
		}
	}
	if errs := Validate(namespace, s); len(errs) > 0 {
		return Rendered{}, errs
	}
	r, err := Render(namespace, s)
	if err != nil {
		return Rendered{}, field.ErrorList{field.InternalError(nil, err)}
	}
	return r.Redacted(), nil
}

// param describes one template parameter; objectSchema turns a list of them
// into the JSON Schema published as Template.Parameters.
type param struct {
	name, typ, description string
	def                    any
	pattern                string
	min, max               *int
	required               bool
}

func objectSchema(params ...param) map[string]any {
	props := map[string]any{}
	required := []any{}
	for _, p := range params {
		prop := map[string]any{"type": p.typ, "description": p.description}
		if p.def != nil {
			prop["default"] = p.def
		}
		if p.pattern != "" {
			prop["pattern"] = p.pattern
		}
		if p.min != nil {
			prop["minimum"] = *p.min
		}
		if p.max != nil {
			prop["maximum"] = *p.max
		}
		props[p.name] = prop
		if p.required {
			required = append(required, p.name)
		}
	}
	return map[string]any{
		"$schema":              "https://json-schema.org/draft/2020-12/schema",
		"type":                 "object",
		"properties":           props,
		"required":             required,
		"additionalProperties": false,
	}
}

func schemaDefaults(s map[string]any) map[string]any {
	out := map[string]any{}
	props, _ := s["properties"].(map[string]any)
	for name, p := range props {
		if d, ok := p.(map[string]any)["default"]; ok {
			out[name] = d
		}
	}
	return out
}

// validateParams checks params against an object JSON Schema of the subset
// objectSchema writes (plus enum, minLength and maxLength) and returns the
// values with defaults applied and integers as int.
func validateParams(schema, params map[string]any, p *field.Path) (map[string]any, field.ErrorList) {
	props, _ := schema["properties"].(map[string]any)
	closed := schema["additionalProperties"] == false
	var errs field.ErrorList
	values := map[string]any{}

	names := make([]string, 0, len(params))
	for k := range params {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		prop, ok := props[k].(map[string]any)
		if !ok {
			if closed {
				errs = append(errs, field.Forbidden(p.Child(k), "unknown parameter; "+knownParams(props)))
			}
			continue
		}
		v, err := checkValue(prop, params[k])
		if err != "" {
			errs = append(errs, field.Invalid(p.Child(k), params[k], err))
			continue
		}
		values[k] = v
	}

	required, _ := schema["required"].([]any)
	for _, r := range required {
		k, _ := r.(string)
		if _, ok := params[k]; !ok {
			desc, _ := nested(props, k, "description").(string)
			errs = append(errs, field.Required(p.Child(k), desc))
		}
	}
	for k, prop := range props {
		if _, ok := values[k]; ok {
			continue
		}
		if d, ok := prop.(map[string]any)["default"]; ok {
			values[k] = d
		}
	}
	return values, errs
}

// checkValue checks one value against its property schema and returns it
// normalised, or a message.
func checkValue(prop map[string]any, v any) (any, string) {
	switch prop["type"] {
	case "string":
		s, ok := v.(string)
		if !ok {
			return nil, "must be a string"
		}
		if n, ok := prop["minLength"].(int); ok && len(s) < n {
			return nil, fmt.Sprintf("must be at least %d characters", n)
		}
		if n, ok := prop["maxLength"].(int); ok && len(s) > n {
			return nil, fmt.Sprintf("must be at most %d characters", n)
		}
		if pat, ok := prop["pattern"].(string); ok {
			re, err := regexp.Compile(pat)
			if err != nil || !re.MatchString(s) {
				return nil, "must match the pattern " + pat
			}
		}
		v = s
	case "integer":
		n, ok := toInt(v)
		if !ok {
			return nil, "must be an integer"
		}
		if m, ok := prop["minimum"].(int); ok && n < m {
			return nil, fmt.Sprintf("must be at least %d", m)
		}
		if m, ok := prop["maximum"].(int); ok && n > m {
			return nil, fmt.Sprintf("must be at most %d", m)
		}
		v = n
	case "boolean":
		if _, ok := v.(bool); !ok {
			return nil, "must be true or false"
		}
	}
	if enum, ok := prop["enum"].([]any); ok && !slices.Contains(enum, v) {
		return nil, fmt.Sprintf("must be one of %v", enum)
	}
	return v, ""
}

// toInt accepts the integer forms a decoded JSON body or Go caller uses.
func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		return int(n), true
	case float64:
		if n != math.Trunc(n) || math.Abs(n) > math.MaxInt32 {
			return 0, false
		}
		return int(n), true
	case json.Number:
		i, err := n.Int64()
		return int(i), err == nil
	}
	return 0, false
}

func knownParams(props map[string]any) string {
	if len(props) == 0 {
		return "this template takes no parameters"
	}
	names := make([]string, 0, len(props))
	for k := range props {
		names = append(names, k)
	}
	sort.Strings(names)
	return "this template takes " + strings.Join(names, ", ")
}

func ptr[T any](v T) *T { return &v }
