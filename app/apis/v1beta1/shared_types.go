package v1beta1

import (
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// Well-known names that the upstream controller and data plane agree on.
const (
	// Finalizer is the finalizer the upstream controller puts on
	// AIGatewayRoutes, AIServiceBackends and BackendSecurityPolicies. A DELETE
	// returns at once, but the object stays, with a deletionTimestamp, until
	// the controller removes it.
	Finalizer = "aigateway.envoyproxy.io/finalizer"

	// ModelNameHeader is the request header the gateway fills with the model
	// name taken from the request body before routing, so that rules can match
	// on it.
	ModelNameHeader = "x-ai-eg-model"

	// RouteNotFoundRuleName is the name of the catch-all rule the controller
	// appends to every generated HTTPRoute. It is reserved: no
	// AIGatewayRouteRule may use it, and it is why a route has at most 15
	// rules.
	RouteNotFoundRuleName = "route-not-found"

	// DynamicMetadataNamespace is the Envoy dynamic-metadata namespace under
	// which LLMRequestCost values are stored.
	DynamicMetadataNamespace = "io.envoy.ai_gateway"
)

// Condition types the upstream controller writes. It keeps exactly one
// condition, so the last condition's type is the object's health.
const (
	// ConditionTypeAccepted means the last reconcile succeeded (status True).
	ConditionTypeAccepted = "Accepted"
	// ConditionTypeNotAccepted means the last reconcile failed (status False);
	// the condition's message holds the controller's error.
	ConditionTypeNotAccepted = "NotAccepted"
)

// APISchema is the name of a provider's wire format.
//
// +kubebuilder:validation:Enum=OpenAI;Cohere;AWSBedrock;AzureOpenAI;GCPVertexAI;GCPAnthropic;Anthropic;AWSAnthropic
type APISchema string

const (
	// APISchemaOpenAI is the OpenAI REST API, also spoken by many
	// OpenAI-compatible providers reached through VersionedAPISchema.Prefix.
	APISchemaOpenAI APISchema = "OpenAI"
	// APISchemaCohere is Cohere's native API (for example rerank); Version
	// selects the API version, such as "v2".
	APISchemaCohere APISchema = "Cohere"
	// APISchemaAWSBedrock is the AWS Bedrock runtime API (Converse and
	// friends).
	APISchemaAWSBedrock APISchema = "AWSBedrock"
	// APISchemaAzureOpenAI is the Azure OpenAI deployments API; Version is the
	// Azure "api-version", such as "2025-01-01-preview".
	APISchemaAzureOpenAI APISchema = "AzureOpenAI"
	// APISchemaGCPVertexAI is the Vertex AI Gemini generateContent API.
	APISchemaGCPVertexAI APISchema = "GCPVertexAI"
	// APISchemaGCPAnthropic is Anthropic on Vertex AI; Version is the
	// Anthropic version string, such as "vertex-2023-10-16".
	APISchemaGCPAnthropic APISchema = "GCPAnthropic"
	// APISchemaAnthropic is the native Anthropic Messages API.
	APISchemaAnthropic APISchema = "Anthropic"
	// APISchemaAWSAnthropic is Anthropic Messages on AWS Bedrock
	// (InvokeModel); Version is the Bedrock Anthropic version, such as
	// "bedrock-2023-05-31".
	APISchemaAWSAnthropic APISchema = "AWSAnthropic"
)

// VersionedAPISchema names the wire format an AIServiceBackend speaks, with
// the version or path prefix some formats need.
type VersionedAPISchema struct {
	// Name is the provider wire format.
	//
	// +kubebuilder:validation:Required
	Name APISchema `json:"name"`

	// Version is the API version for the formats that use one (Cohere,
	// AzureOpenAI, GCPAnthropic, AWSAnthropic). The other formats ignore it.
	//
	// +optional
	Version *string `json:"version,omitempty"`

	// Prefix is the path prefix in front of the endpoint path for OpenAI
	// ("<prefix>/chat/completions") and Anthropic ("<prefix>/messages"); a
	// leading "/" is optional. The controller uses "v1" when it is unset.
	// The other formats ignore it.
	//
	// +optional
	Prefix *string `json:"prefix,omitempty"`
}

// HTTPHeaderMutation edits request headers before a request goes to a
// backend.
type HTTPHeaderMutation struct {
	// Set adds each header, or overwrites it when the request already has it.
	//
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=16
	Set []gwapiv1.HTTPHeader `json:"set,omitempty"`

	// Remove drops the named headers. Names are case-insensitive.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	Remove []string `json:"remove,omitempty"`
}

// HTTPBodyMutation edits top-level fields of a JSON request body before a
// request goes to a backend.
type HTTPBodyMutation struct {
	// Set adds each top-level field, or overwrites it when the body already
	// has it.
	//
	// +optional
	// +listType=map
	// +listMapKey=path
	// +kubebuilder:validation:MaxItems=16
	Set []HTTPBodyField `json:"set,omitempty"`

	// Remove drops the named top-level fields.
	//
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=16
	Remove []string `json:"remove,omitempty"`
}

// HTTPBodyField is one top-level JSON body field and the value to give it.
type HTTPBodyField struct {
	// Path is the name of a top-level field, such as "service_tier". Nested
	// paths are not supported.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Path string `json:"path"`

	// Value is a JSON literal kept as text: `"scale"` (with the quotes), 42,
	// true, null, an object or an array.
	//
	// +kubebuilder:validation:Required
	Value string `json:"value"`
}

// LLMRequestCostType names the counter an LLMRequestCost records.
//
// +kubebuilder:validation:Enum=OutputToken;InputToken;CachedInputToken;CacheCreationInputToken;TotalToken;ReasoningToken;CEL
type LLMRequestCostType string

const (
	// LLMRequestCostTypeInputToken records the prompt tokens.
	LLMRequestCostTypeInputToken LLMRequestCostType = "InputToken"
	// LLMRequestCostTypeCachedInputToken records the prompt tokens read from
	// the provider's cache.
	LLMRequestCostTypeCachedInputToken LLMRequestCostType = "CachedInputToken"
	// LLMRequestCostTypeCacheCreationInputToken records the prompt tokens
	// written to the provider's cache.
	LLMRequestCostTypeCacheCreationInputToken LLMRequestCostType = "CacheCreationInputToken"
	// LLMRequestCostTypeOutputToken records the completion tokens.
	LLMRequestCostTypeOutputToken LLMRequestCostType = "OutputToken"
	// LLMRequestCostTypeTotalToken records the total tokens.
	LLMRequestCostTypeTotalToken LLMRequestCostType = "TotalToken"
	// LLMRequestCostTypeReasoningToken records the reasoning tokens.
	LLMRequestCostTypeReasoningToken LLMRequestCostType = "ReasoningToken"
	// LLMRequestCostTypeCEL records the result of LLMRequestCost.CEL.
	LLMRequestCostTypeCEL LLMRequestCostType = "CEL"
)

// LLMRequestCost captures one token count or computed cost per request into
// Envoy dynamic metadata (namespace DynamicMetadataNamespace), where, for
// example, a rate-limit policy can consume it.
type LLMRequestCost struct {
	// MetadataKey is the key the value is stored under. A route's entry
	// overrides a GatewayConfig global entry with the same key.
	//
	// +kubebuilder:validation:Required
	MetadataKey string `json:"metadataKey"`

	// Type is the counter to record.
	//
	// +kubebuilder:validation:Required
	Type LLMRequestCostType `json:"type"`

	// CEL is the expression evaluated when Type is CEL. It must return a
	// non-negative int or uint and may use model, backend ("name.namespace"),
	// input_tokens, cached_input_tokens, cache_creation_input_tokens,
	// output_tokens, total_tokens and reasoning_tokens.
	//
	// +optional
	CEL *string `json:"cel,omitempty"`
}
