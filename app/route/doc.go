// Package route is the console's model of a route: one AIGatewayRoute
// (aigateway.envoyproxy.io/v1beta1) whose rules send models to providers,
// where a provider is the AIServiceBackend of the same name that the console
// creates for it.
//
// The package is pure domain code. It talks to no cluster: the live objects
// that some checks need are passed in by the caller, from the informer cache.
//
// # Writing a route
//
// POST /api/v1/routes and PUT /api/v1/routes/{name} decode their body into a
// Spec and take the namespace from ?namespace=. A handler then runs, in this
// order:
//
//  1. Validate, which mirrors every limit and CEL rule of the CRD (and of
//     the HTTPRoute the AI Gateway controller generates from the route), so
//     mistakes come back with a field path such as
//     "rules[0].backends[1].weight" before the API server is asked.
//  2. CheckBackends and CheckModelCollisions, with the live AIServiceBackends
//     and AIGatewayRoutes: every provider must exist, and a model may be
//     routed by only one route per Gateway.
//  3. Render, which builds the AIGatewayRoute to apply: deterministic, with
//     only the fields the console owns, and labelled LabelManagedBy=ManagedBy
//     and LabelRoute=<name>.
//
// All three report a field.ErrorList (Render as an Invalid StatusError), so
// the API answers every problem in one shape.
//
// # Reading a route
//
// FromObject turns any AIGatewayRoute, including hand-written ones and the
// upstream examples, into a Route: the Spec terms plus resourceVersion and
// status. What Spec cannot express (an InferencePool backend, header or body
// mutations, matches on other headers than the model, ...) is kept in the
// Raw field of the rule and marks the route not Editable, with the reason.
// Route.Spec gives back the request body; for the routes the console
// renders, Spec → Render → FromObject → Spec is the identity.
//
// # Mapping
//
//	Spec                            AIGatewayRoute spec
//	gateways[i]                     parentRefs[i] {group: gateway.networking.k8s.io, kind: Gateway}
//	hostnames                       hostnames
//	rules[i].name                   rules[i].name
//	rules[i].models[j]              rules[i].matches[j].headers[0] {type: Exact, name: x-ai-eg-model}
//	rules[i].modelPattern           rules[i].matches[0].headers[0] {type: RegularExpression, name: x-ai-eg-model}
//	rules[i].headers[k]             rules[i].matches[*].headers[1+k]
//	rules[i].backends[j].provider   rules[i].backendRefs[j].name (an AIServiceBackend)
//	rules[i].timeouts               rules[i].timeouts
//	rules[i].streamIdleTimeout      rules[i].streamIdleTimeout
//	llmRequestCosts                 llmRequestCosts
package route
