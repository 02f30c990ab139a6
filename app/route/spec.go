package route

import (
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// Spec is the body of POST /api/v1/routes and PUT /api/v1/routes/{name}: one
// AIGatewayRoute in the console's terms. The namespace is not part of it; it
// comes from the ?namespace= query parameter.
//
//	{
//	  "name": "chat",
//	  "gateways": [{"name": "ai-gateway", "namespace": "gateways"}],
//	  "rules": [{
//	    "name": "gpt",
//	    "models": ["gpt-4o", "gpt-4o-mini"],
//	    "backends": [{"provider": "openai", "weight": 80}, {"provider": "azure", "weight": 20}],
//	    "timeouts": {"request": "300s"}
//	  }]
//	}
type Spec struct {
	// Name is the name of the AIGatewayRoute, and of the HTTPRoute the AI
	// Gateway controller generates from it. Required: a DNS-1123 subdomain
	// of at most 63 characters (it is also the value of the LabelRoute
	// label) that does not start with "ai-eg-", the prefix of the objects
	// the controller generates.
	Name string `json:"name"`

	// Gateways are the Gateways the route attaches to. Required: 1 to 16.
	// A Gateway listed more than once needs a different sectionName on
	// every entry.
	Gateways []GatewayRef `json:"gateways"`

	// Hostnames, when set, limit the route to requests whose Host header
	// matches one of them: lowercase RFC 1123 host names, optionally with a
	// leading "*." wildcard label ("*.example.com" matches any subdomain of
	// example.com). Optional, at most 16; empty means every host.
	Hostnames []string `json:"hostnames,omitempty"`

	// Rules route models to providers. When several rules match a request,
	// the Gateway API prefers the one with more header matches, then the
	// earlier one. Required: 1 to 15 (the controller adds a 16th rule,
	// route-not-found, to the generated HTTPRoute).
	Rules []Rule `json:"rules"`

	// LLMRequestCosts lists the token counts or computed costs the gateway
	// records for every request into dynamic metadata (for rate limiting,
	// for example). Optional, at most 36, unique by metadataKey.
	LLMRequestCosts []LLMRequestCost `json:"llmRequestCosts,omitempty"`
}

// GatewayRef names one Gateway (gateway.networking.k8s.io) the route
// attaches to.
type GatewayRef struct {
	// Name is the Gateway's name. Required.
	Name string `json:"name"`

	// Namespace is the Gateway's namespace. Optional; empty means the
	// route's namespace. A Gateway in another namespace must allow routes
	// from the route's namespace in its listeners' allowedRoutes.
	Namespace string `json:"namespace,omitempty"`

	// SectionName is the name of one listener of the Gateway. Optional;
	// empty means every listener that accepts the route.
	SectionName string `json:"sectionName,omitempty"`
}

// Rule sends the requests for some models to one or more providers.
//
// A rule selects requests by model: either Models (each an exact match of
// the x-ai-eg-model header, which the gateway fills from the request body)
// or ModelPattern (one regular-expression match), never both and never
// neither. Headers narrow every such match further.
type Rule struct {
	// Name identifies the rule in the generated HTTPRoute and in metrics.
	// Optional: a DNS-1123 subdomain, unique among the route's named rules,
	// and not route-not-found (reserved for the controller's catch-all rule).
	Name string `json:"name,omitempty"`

	// Models are the model names the rule routes, each matched exactly, for
	// example "gpt-4o". At most 128, unique, each 1 to 4096 characters
	// without control characters or surrounding whitespace. Mutually
	// exclusive with ModelPattern.
	Models []string `json:"models,omitempty"`

	// ModelPattern is an RE2 regular expression that must match the whole
	// model name, for example "gpt-4o.*", or ".*" for every model. Mutually
	// exclusive with Models.
	ModelPattern string `json:"modelPattern,omitempty"`

	// Headers are further header matches that every request of the rule
	// must also satisfy (AND). Optional, at most 15 with unique names (a
	// match holds 16 headers and the model takes one); x-ai-eg-model is
	// not allowed here.
	Headers []HeaderMatch `json:"headers,omitempty"`

	// Backends are the providers that serve the rule's requests. Required:
	// 1 to 128.
	Backends []Backend `json:"backends"`

	// Timeouts bound the whole request and each attempt at a backend.
	// Optional; when the request timeout is unset the controller applies
	// 60s, which can cut off long completions and streams.
	Timeouts *Timeouts `json:"timeouts,omitempty"`

	// StreamIdleTimeout is the longest the gateway waits for the next byte
	// from a backend, a Gateway API duration such as "30s". Before the first
	// byte it lets the gateway fail over to the next priority; after it the
	// client gets a 504. Optional; unset means no idle timeout.
	StreamIdleTimeout string `json:"streamIdleTimeout,omitempty"`
}

// HeaderMatch is one extra header condition of a rule.
type HeaderMatch struct {
	// Name is the header name, an HTTP token (no spaces) of at most 256
	// characters, compared case-insensitively. Required.
	Name string `json:"name"`

	// Value is the value to match, 1 to 4096 characters. Required.
	Value string `json:"value"`

	// Type is Exact (the default when empty) or RegularExpression (RE2,
	// matching the whole value).
	Type gwapiv1.HeaderMatchType `json:"type,omitempty"`
}

// Backend is one provider a rule sends requests to.
type Backend struct {
	// Provider is the name of the provider: the AIServiceBackend of that
	// name. Required, a DNS-1123 subdomain.
	Provider string `json:"provider"`

	// Namespace is the provider's namespace. Optional; empty means the
	// route's. Another namespace needs a ReferenceGrant there that allows
	// AIGatewayRoutes from the route's namespace.
	Namespace string `json:"namespace,omitempty"`

	// Weight is the provider's share of the rule's traffic among the
	// backends of the same priority, 0 to 1000000; 0 sends it nothing.
	// Optional; the API server stores 1 when it is unset.
	Weight *int32 `json:"weight,omitempty"`

	// Priority is the failover tier: the gateway uses the backends of the
	// lowest priority and moves to the next tier only when those are
	// unhealthy. Optional; the API server stores 0 when it is unset.
	Priority *uint32 `json:"priority,omitempty"`

	// ModelNameOverride replaces the model name sent to this provider, for
	// example an Azure deployment name. Optional.
	ModelNameOverride string `json:"modelNameOverride,omitempty"`
}

// Timeouts bound a rule's requests. Both are Gateway API durations: 1 to 4
// groups of up to 5 digits, each followed by h, m, s or ms, such as "60s",
// "1m30s" or "500ms"; "0s" disables the timeout.
type Timeouts struct {
	// Request bounds the whole request, retries and failover included.
	// Optional; the controller applies 60s when it is unset.
	Request string `json:"request,omitempty"`

	// BackendRequest bounds each attempt at a backend. Optional; it may not
	// be longer than Request unless Request is "0s".
	BackendRequest string `json:"backendRequest,omitempty"`
}

// LLMRequestCost records one token count, or a computed cost, per request
// under MetadataKey in the io.envoy.ai_gateway dynamic-metadata namespace.
type LLMRequestCost struct {
	// MetadataKey is the key the value is stored under. Required, unique
	// within the route; it overrides a GatewayConfig global cost with the
	// same key.
	MetadataKey string `json:"metadataKey"`

	// Type is the counter to record: InputToken, CachedInputToken,
	// CacheCreationInputToken, OutputToken, TotalToken, ReasoningToken or
	// CEL. Required.
	Type aigv1b1.LLMRequestCostType `json:"type"`

	// CEL is the expression computed when Type is CEL, and only then. It
	// must return a non-negative int or uint and may use model, backend,
	// input_tokens, cached_input_tokens, cache_creation_input_tokens,
	// output_tokens, total_tokens and reasoning_tokens, for example
	// "input_tokens + output_tokens * 4".
	CEL string `json:"cel,omitempty"`
}

// Limits of the AIGatewayRoute CRD (and of the HTTPRoute the controller
// generates from it) that Validate enforces. crd_test.go checks them against
// the CRD.
const (
	maxGateways  = 16   // spec.parentRefs maxItems
	maxHostnames = 16   // spec.hostnames maxItems
	maxRules     = 15   // spec.rules maxItems: 16 HTTPRoute rules minus route-not-found
	maxBackends  = 128  // spec.rules[].backendRefs maxItems
	maxMatches   = 128  // spec.rules[].matches maxItems: one match per model
	maxHeaders   = 16   // spec.rules[].matches[].headers maxItems, model header included
	maxCosts     = 36   // spec.llmRequestCosts maxItems
	maxHeaderLen = 256  // HTTPHeaderName maxLength
	maxValueLen  = 4096 // HTTPHeaderMatch value maxLength
	maxHostLen   = 253  // Hostname maxLength
	maxWeight    = 1000000
	maxNameLen   = 63 // label value limit, since the name is the LabelRoute value

	// reservedNamePrefix starts the names of the objects the controller
	// generates for a route (ai-eg-host-rewrite-<route>, ...).
	reservedNamePrefix = "ai-eg-"

	// defaultModelsOwnedBy is the CRD default of spec.rules[].modelsOwnedBy,
	// present on every stored rule.
	defaultModelsOwnedBy = "Envoy AI Gateway"
)

// costTypes are the values of LLMRequestCost.Type, in the CRD's enum order.
var costTypes = []aigv1b1.LLMRequestCostType{
	aigv1b1.LLMRequestCostTypeOutputToken,
	aigv1b1.LLMRequestCostTypeInputToken,
	aigv1b1.LLMRequestCostTypeCachedInputToken,
	aigv1b1.LLMRequestCostTypeCacheCreationInputToken,
	aigv1b1.LLMRequestCostTypeTotalToken,
	aigv1b1.LLMRequestCostTypeReasoningToken,
	aigv1b1.LLMRequestCostTypeCEL,
}
