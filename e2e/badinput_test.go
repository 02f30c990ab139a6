package e2e

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/aigw-console/aigw-console/app/audit"
)

// badInput is one request the console must refuse with a 4xx that says
// what is wrong.
type badInput struct {
	name   string
	method string
	// path is below /api/v1; "{ns}" is replaced by the test namespace.
	path string
	// body is sent as is (a string), or JSON-encoded; nil sends none.
	body    any
	headers []string
	// declaredLength, when set, sends only the head of the request with
	// this Content-Length and no body (see callHeadOnly).
	declaredLength int
	status         int
	// field, when set, must be the field of one of the problem's causes.
	field string
	// text, when set, must be in the detail or in one cause's message.
	text string
}

func TestBadInputIsRefusedWithAUsefulMessage(t *testing.T) {
	ns := newNamespace(t)
	con := startConsole(t)
	c := adminClient(t)
	canary := newCanary(t)

	// What the bad requests would collide with or overwrite.
	existing := `{"name":"existing","template":"openai","auth":{"apiKey":"sk-` + canary + `"}}`
	if r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, existing); r.Status != 201 {
		t.Fatalf("create provider: status %d: %s", r.Status, r.Body)
	}
	waitFor(t, 10*time.Second, "the cache to see the provider", func() bool {
		return call(t, "GET", con.URL+"/api/v1/resources/aiservicebackends/existing?namespace="+ns, nil).Status == 200
	})
	route := func(name, rules string) string {
		return `{"name":"` + name + `","gateways":[{"name":"gw"}],"rules":` + rules + `}`
	}
	const rule = `{"name":"r","models":["m"],"backends":[{"provider":"existing"}],"timeouts":{"request":"60s"}}`
	if r := call(t, "POST", con.URL+"/api/v1/routes?namespace="+ns, route("existing-route", "["+rule+"]")); r.Status != 201 {
		t.Fatalf("create route: status %d: %s", r.Status, r.Body)
	}
	waitFor(t, 10*time.Second, "the cache to see the route", func() bool {
		return call(t, "GET", con.URL+"/api/v1/routes/existing-route?namespace="+ns, nil).Status == 200
	})

	// Request bodies, valid except for what each case changes.
	spec := func(name, schema, endpoint, auth string) string {
		return fmt.Sprintf(`{"name":%q,"schema":%s,"endpoint":%s,"auth":%s}`, name, schema, endpoint, auth)
	}
	const (
		openAI  = `{"name":"OpenAI"}`
		bedrock = `{"name":"AWSBedrock"}`
		azure   = `{"name":"AzureOpenAI","version":"2025-01-01-preview"}`
		vertex  = `{"name":"GCPVertexAI"}`
		public  = `{"hostname":"api.openai.com","port":443}`
		awsHost = `{"hostname":"bedrock-runtime.us-east-1.amazonaws.com","port":443}`
		azHost  = `{"hostname":"contoso.openai.azure.com","port":443}`
		gcpHost = `{"hostname":"us-central1-aiplatform.googleapis.com","port":443}`
		guid    = "11111111-2222-3333-4444-555555555555"
	)
	key := `{"type":"APIKey","apiKey":"sk-` + canary + `"}`
	awsKeys := `{"type":"AWSCredentials","aws":{"region":"us-east-1","accessKeyID":"AKIAE2ETESTKEY000001","secretAccessKey":"` + canary + `"}}`
	endpoint := func(host string, port int) string { return fmt.Sprintf(`{"hostname":%q,"port":%d}`, host, port) }
	withAPIKey := func(v string) string { return `{"type":"APIKey","apiKey":"` + v + `"}` }
	good := spec("fresh", openAI, public, key)
	rawBackend := func(meta string) string {
		return `{"apiVersion":"gateway.envoyproxy.io/v1alpha1","kind":"Backend","metadata":` + meta +
			`,"spec":{"endpoints":[{"fqdn":{"hostname":"vllm.models.svc.cluster.local","port":8000}}]}}`
	}
	longHost := strings.Repeat(strings.Repeat("a", 63)+".", 4) + "com"
	sixteenRules := make([]string, 16)
	for i := range sixteenRules {
		sixteenRules[i] = fmt.Sprintf(`{"name":"r%d","models":["m%d"],"backends":[{"provider":"existing"}]}`, i, i)
	}
	noType := []string{"Content-Type", ""}

	cases := []badInput{
		// Bodies that are not one JSON object of the right shape.
		{name: "malformed JSON", method: "POST", path: "/providers?namespace={ns}", body: `{"name": "x" "schema": {}}`, status: 400, text: "invalid character"},
		{name: "trailing garbage after the object", method: "POST", path: "/providers?namespace={ns}", body: good + "garbage", status: 400, text: "after top-level value"},
		{name: "a second JSON value after the object", method: "POST", path: "/providers?namespace={ns}", body: good + good, status: 400, text: "after top-level value"},
		{name: "a JSON array instead of an object", method: "POST", path: "/providers?namespace={ns}", body: "[" + good + "]", status: 400, field: "(body)", text: "not a JSON array"},
		{name: "an empty body", method: "POST", path: "/providers?namespace={ns}", body: "", status: 400, text: "unexpected end of JSON input"},
		{name: "a body cut short", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"x",`, status: 400, text: "unexpected end of JSON input"},
		{name: "JSON null", method: "POST", path: "/providers?namespace={ns}", body: "null", status: 422, field: "name"},
		{name: "port as a string", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, `{"hostname":"api.openai.com","port":"443"}`, key), status: 400, field: "endpoint.port", text: "must be an integer, not a JSON string"},
		{name: "port as a fraction", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, `{"hostname":"api.openai.com","port":443.5}`, key), status: 400, field: "endpoint.port"},
		{name: "port beyond any integer", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, `{"hostname":"api.openai.com","port":1e20}`, key), status: 400, field: "endpoint.port"},
		{name: "tls as a string", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, `{"hostname":"api.openai.com","port":443,"tls":"yes"}`, key), status: 400, field: "endpoint.tls", text: "must be a boolean"},
		{name: "weights as strings", method: "POST", path: "/routes?namespace={ns}", body: route("w", `[{"models":["m"],"backends":[{"provider":"existing","weight":"80"}]}]`), status: 400, field: "rules.backends.weight", text: "must be an integer"},
		{name: "an unknown top-level field", method: "POST", path: "/providers?namespace={ns}", body: `{"colour":"x"}`, status: 400, field: "colour", text: `unknown field "colour"`},
		{name: "an unknown nested field", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, `{"hostname":"api.openai.com","port":443,"scheme":"https"}`, key), status: 400, field: "endpoint.scheme", text: "unknown field"},
		{name: "a field name in the wrong case", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, public, `{"type":"APIKey","apikey":"sk-`+canary+`"}`), status: 400, field: "auth.apikey", text: "unknown field"},
		{name: "a field given twice", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"a","name":"b"}`, status: 400, field: "name", text: "duplicate field"},
		{name: "no content type", method: "POST", path: "/providers?namespace={ns}", body: good, headers: noType, status: 415, text: "must be application/json"},
		{name: "a text/plain body", method: "POST", path: "/providers?namespace={ns}", body: good, headers: []string{"Content-Type", "text/plain"}, status: 415, text: `"text/plain"`},
		{name: "a body over 1 MiB", method: "POST", path: "/providers?namespace={ns}", declaredLength: 1<<20 + 1, status: 413, text: "Too Large"},

		// Credentials missing, malformed or in the wrong place.
		{name: "auth without a type", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, public, `{}`), status: 422, field: "auth.type"},
		{name: "an unknown auth type", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, public, `{"type":"Basic"}`), status: 422, field: "auth.type", text: "Unsupported value"},
		{name: "APIKey without the key", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, public, `{"type":"APIKey"}`), status: 422, field: "auth.apiKey", text: "give the API key"},
		{name: "AWSCredentials without the aws block", method: "POST", path: "/providers?namespace={ns}", body: spec("p", bedrock, awsHost, `{"type":"AWSCredentials"}`), status: 422, field: "auth.aws.region"},
		{name: "an AWS access key ID without its secret", method: "POST", path: "/providers?namespace={ns}", body: spec("p", bedrock, awsHost, `{"type":"AWSCredentials","aws":{"region":"us-east-1","accessKeyID":"AKIAE2ETESTKEY000001"}}`), status: 422, field: "auth.aws.secretAccessKey"},
		{name: "an AWS region that does not match the endpoint", method: "POST", path: "/providers?namespace={ns}", body: spec("p", bedrock, awsHost, strings.Replace(awsKeys, "us-east-1", "eu-west-1", 1)), status: 422, field: "auth.aws.region", text: "does not match"},
		{name: "AzureCredentials without a client secret", method: "POST", path: "/providers?namespace={ns}", body: spec("p", azure, azHost, `{"type":"AzureCredentials","azure":{"clientID":"`+guid+`","tenantID":"`+guid+`"}}`), status: 422, field: "auth.azure.clientSecret"},
		{name: "an Azure client ID that is not a GUID", method: "POST", path: "/providers?namespace={ns}", body: spec("p", azure, azHost, `{"type":"AzureCredentials","azure":{"clientID":"my-app","tenantID":"`+guid+`","clientSecret":"`+canary+`"}}`), status: 422, field: "auth.azure.clientID", text: "GUID"},
		{name: "GCPCredentials without a project", method: "POST", path: "/providers?namespace={ns}", body: spec("p", vertex, gcpHost, `{"type":"GCPCredentials","gcp":{"region":"us-central1"}}`), status: 422, field: "auth.gcp.projectName"},
		{name: "a service-account key that is not JSON", method: "POST", path: "/providers?namespace={ns}", body: spec("p", vertex, gcpHost, `{"type":"GCPCredentials","gcp":{"projectName":"e2e-project-1","region":"us-central1","serviceAccountJSON":"`+canary+`"}}`), status: 422, field: "auth.gcp.serviceAccountJSON"},
		{name: "an API key with a newline (header and YAML injection)", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, public, withAPIKey(`sk-`+canary+`\r\nX-Injected: 1`)), status: 422, field: "auth.apiKey", text: "printable ASCII"},
		{name: "an API key with a trailing space", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, public, withAPIKey("sk-"+canary+" ")), status: 422, field: "auth.apiKey", text: "spaces"},
		{name: "an API key and a secretRef together", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, public, `{"type":"APIKey","apiKey":"sk-`+canary+`","secretRef":{"name":"mine"}}`), status: 422, field: "auth.secretRef"},
		{name: "a secretRef with auth None", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("vllm.models.svc.cluster.local", 8000), `{"type":"None","secretRef":{"name":"mine"}}`), status: 422, field: "auth.secretRef"},
		{name: "an AWS block on an APIKey provider", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, public, `{"type":"APIKey","apiKey":"sk-`+canary+`","aws":{"region":"us-east-1"}}`), status: 422, field: "auth.aws"},

		// Endpoints.
		{name: "a hostname with a scheme", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("https://api.openai.com", 443), key), status: 422, field: "endpoint.hostname", text: "without a scheme"},
		{name: "a hostname with a path", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("api.openai.com/v1", 443), key), status: 422, field: "endpoint.hostname", text: "without a path"},
		{name: "a wildcard hostname", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("*.openai.com", 443), key), status: 422, field: "endpoint.hostname", text: "wildcard"},
		{name: "an uppercase hostname", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("API.OpenAI.com", 443), key), status: 422, field: "endpoint.hostname", text: "lowercase"},
		{name: "a hostname over 253 characters", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint(longHost, 443), key), status: 422, field: "endpoint.hostname", text: "253"},
		{name: "a single-label hostname", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("vllm", 443), key), status: 422, field: "endpoint.hostname", text: "fully qualified"},
		{name: "a hostname with a port", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("api.openai.com:443", 443), key), status: 422, field: "endpoint.hostname", text: "port"},
		{name: "port 0", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("api.openai.com", 0), key), status: 422, field: "endpoint.port", text: "between 1 and 65535"},
		{name: "port 70000", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, endpoint("api.openai.com", 70000), key), status: 422, field: "endpoint.port", text: "between 1 and 65535"},
		{name: "an IP endpoint with TLS", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, `{"ip":"10.0.0.5","port":443}`, key), status: 422, field: "endpoint.tls", text: "TLS needs endpoint.hostname"},
		{name: "a loopback IP", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, `{"ip":"127.0.0.1","port":8000}`, key), status: 422, field: "endpoint.ip", text: "loopback"},
		{name: "both hostname and IP", method: "POST", path: "/providers?namespace={ns}", body: spec("p", openAI, `{"hostname":"api.openai.com","ip":"10.0.0.5","port":443}`, key), status: 422, field: "endpoint.ip"},
		{name: "a public host without TLS", method: "POST", path: "/providers?namespace={ns}", body: spec("plain", openAI, `{"hostname":"api.openai.com","port":80}`, key), status: 422, text: "plain HTTP"},

		// Schemas and their auth types.
		{name: "an unknown schema", method: "POST", path: "/providers?namespace={ns}", body: spec("p", `{"name":"OpenAl"}`, public, key), status: 422, field: "schema.name", text: "Unsupported value"},
		{name: "AWSBedrock with an API key", method: "POST", path: "/providers?namespace={ns}", body: spec("p", bedrock, awsHost, key), status: 422, field: "auth.type", text: "cannot use auth type APIKey"},
		{name: "Anthropic with an OpenAI-style API key", method: "POST", path: "/providers?namespace={ns}", body: spec("p", `{"name":"Anthropic"}`, endpoint("api.anthropic.com", 443), key), status: 422, field: "auth.type", text: "AnthropicAPIKey"},
		{name: "a version on OpenAI", method: "POST", path: "/providers?namespace={ns}", body: spec("p", `{"name":"OpenAI","version":"v1"}`, public, key), status: 422, field: "schema.version"},
		{name: "a prefix on AWSBedrock", method: "POST", path: "/providers?namespace={ns}", body: spec("p", `{"name":"AWSBedrock","prefix":"/v1"}`, awsHost, awsKeys), status: 422, field: "schema.prefix"},
		{name: "AzureOpenAI without an api-version", method: "POST", path: "/providers?namespace={ns}", body: spec("p", `{"name":"AzureOpenAI"}`, azHost, `{"type":"AzureAPIKey","apiKey":"`+canary+`"}`), status: 422, field: "schema.version"},
		{name: "a prefix with a dot-dot segment", method: "POST", path: "/providers?namespace={ns}", body: spec("p", `{"name":"OpenAI","prefix":"/v1/../admin"}`, public, key), status: 422, field: "schema.prefix"},

		// Names, in the body and in the URL.
		{name: "a provider name with ../", method: "POST", path: "/providers?namespace={ns}", body: spec("../etc", openAI, public, key), status: 422, field: "name"},
		{name: "an uppercase provider name", method: "POST", path: "/providers?namespace={ns}", body: spec("OpenAI", openAI, public, key), status: 422, field: "name", text: "lowercase"},
		{name: "a provider name over 50 characters", method: "POST", path: "/providers?namespace={ns}", body: spec(strings.Repeat("a", 51), openAI, public, key), status: 422, field: "name", text: "at most 50"},
		{name: "a provider name with the controller's prefix", method: "POST", path: "/providers?namespace={ns}", body: spec("ai-eg-mine", openAI, public, key), status: 422, field: "name", text: "reserved"},
		{name: "the provider name route-not-found", method: "POST", path: "/providers?namespace={ns}", body: spec("route-not-found", openAI, public, key), status: 422, field: "name", text: "reserved"},
		{name: "no provider name", method: "POST", path: "/providers?namespace={ns}", body: spec("", openAI, public, key), status: 422, field: "name"},
		{name: "../ in the URL's name", method: "PUT", path: "/providers/..%2F..%2Fsecrets?namespace={ns}", body: good, status: 400, field: "metadata.name", text: "invalid name"},
		{name: "an uppercase name in the URL", method: "GET", path: "/providers/OpenAI?namespace={ns}", status: 400, text: "invalid name"},
		{name: "an underscore in the URL's route name", method: "DELETE", path: "/routes/chat_route?namespace={ns}", status: 400, text: "invalid name"},
		{name: "a namespace that is not a DNS label", method: "POST", path: "/providers?namespace=Bad_NS", body: good, status: 400, field: "namespace", text: "invalid namespace"},
		{name: "a namespace over 63 characters", method: "GET", path: "/routes?namespace=" + strings.Repeat("n", 64), status: 400, field: "namespace"},

		// Templates.
		{name: "an unknown template", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"p","template":"gpt-5","auth":{"apiKey":"sk-` + canary + `"}}`, status: 422, field: "template", text: "Unsupported value"},
		{name: "a template parameter that fails its pattern", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"p","template":"aws-bedrock","parameters":{"region":"moon-base-1"}}`, status: 422, field: "parameters.region", text: "pattern"},
		{name: "a parameter the template does not take", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"p","template":"openai","parameters":{"temperature":1},"auth":{"apiKey":"sk-` + canary + `"}}`, status: 422, field: "parameters.temperature", text: "takes no parameters"},
		{name: "a missing required template parameter", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"p","template":"gcp-vertex-ai"}`, status: 422, field: "parameters.project"},
		{name: "a template parameter of the wrong type", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"p","template":"self-hosted","parameters":{"port":"8000"}}`, status: 422, field: "parameters.port", text: "must be an integer"},
		{name: "parameters without a template", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"p","parameters":{"region":"us-east-1"},"schema":{"name":"OpenAI"},"endpoint":{"hostname":"api.openai.com","port":443},"auth":` + key + `}`, status: 422, field: "parameters"},
		{name: "a template with another schema", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"p","template":"openai","schema":{"name":"Anthropic"},"auth":{"apiKey":"sk-` + canary + `"}}`, status: 422, field: "schema.name", text: "template openai speaks OpenAI"},
		{name: "a template with an auth type it does not allow", method: "POST", path: "/providers?namespace={ns}", body: `{"name":"p","template":"openai","auth":{"type":"AWSCredentials"}}`, status: 422, field: "auth.type"},
		{name: "the preview of an unknown template", method: "POST", path: "/templates/gpt-5/preview", body: `{}`, status: 404, text: `unknown template "gpt-5"`},
		{name: "a preview with a bad parameter", method: "POST", path: "/templates/aws-bedrock/preview", body: `{"parameters":{"region":"us east 1"}}`, status: 422, field: "parameters.region"},
		{name: "GET of an unknown template", method: "GET", path: "/templates/nope", status: 404, text: "GET /api/v1/templates lists them"},

		// Query parameters.
		{name: "a dryRun that is not a boolean", method: "POST", path: "/providers?namespace={ns}&dryRun=maybe", body: spec("dry-bad", openAI, public, key), status: 400, field: "dryRun", text: "must be true or false"},
		{name: "a force that is not a boolean", method: "POST", path: "/providers?namespace={ns}&force=please", body: spec("force-bad", openAI, public, key), status: 400, field: "force"},

		// State: missing, existing, stale.
		{name: "DELETE of a missing provider", method: "DELETE", path: "/providers/missing?namespace={ns}", status: 404, text: `provider "missing" not found`},
		{name: "PUT of a missing provider", method: "PUT", path: "/providers/missing?namespace={ns}", body: spec("missing", openAI, public, key), status: 404, text: "not found"},
		{name: "POST of an existing provider", method: "POST", path: "/providers?namespace={ns}", body: existing, status: 409, text: `provider "existing" already exists`},
		{name: "PUT with another name in the body", method: "PUT", path: "/providers/existing?namespace={ns}", body: spec("other", openAI, public, key), status: 422, field: "name", text: "must match the URL's name"},
		{name: "PUT of a provider with a stale If-Match", method: "PUT", path: "/providers/existing?namespace={ns}", body: spec("existing", openAI, endpoint("eu.api.openai.com", 443), key), headers: []string{"If-Match", `"p0000000000000000"`}, status: 412, text: "precondition failed"},
		{name: "DELETE of a provider with a stale If-Match", method: "DELETE", path: "/providers/existing?namespace={ns}", headers: []string{"If-Match", `"p0000000000000000"`}, status: 412, text: "precondition failed"},
		{name: "POST of an existing route", method: "POST", path: "/routes?namespace={ns}", body: route("existing-route", "["+rule+"]"), status: 409, text: `route "existing-route" already exists`},
		{name: "DELETE of a missing route", method: "DELETE", path: "/routes/missing?namespace={ns}", status: 404, text: "not found"},
		{name: "PUT of a route with a stale If-Match", method: "PUT", path: "/routes/existing-route?namespace={ns}", body: route("existing-route", "["+rule+"]"), headers: []string{"If-Match", `"1"`}, status: 412, text: "precondition failed"},

		// Routes.
		{name: "16 rules", method: "POST", path: "/routes?namespace={ns}", body: route("many", "["+strings.Join(sixteenRules, ",")+"]"), status: 422, field: "rules", text: "route-not-found"},
		{name: "duplicate rule names", method: "POST", path: "/routes?namespace={ns}", body: route("dup", `[`+rule+`,{"name":"r","models":["other"],"backends":[{"provider":"existing"}]}]`), status: 422, field: "rules[1].name"},
		{name: "a rule named route-not-found", method: "POST", path: "/routes?namespace={ns}", body: route("rnf", `[{"name":"route-not-found","models":["m2"],"backends":[{"provider":"existing"}]}]`), status: 422, field: "rules[0].name"},
		{name: "a duration that is not a Gateway API duration", method: "POST", path: "/routes?namespace={ns}", body: route("dur", `[{"models":["m2"],"backends":[{"provider":"existing"}],"timeouts":{"request":"10 seconds"}}]`), status: 422, field: "rules[0].timeouts.request"},
		{name: "a backendRequest timeout longer than the request timeout", method: "POST", path: "/routes?namespace={ns}", body: route("dur2", `[{"models":["m2"],"backends":[{"provider":"existing"}],"timeouts":{"request":"10s","backendRequest":"1m"}}]`), status: 422, field: "rules[0].timeouts.backendRequest"},
		{name: "a negative weight", method: "POST", path: "/routes?namespace={ns}", body: route("neg", `[{"models":["m2"],"backends":[{"provider":"existing","weight":-1}]}]`), status: 422, field: "rules[0].backends[0].weight"},
		{name: "a route without gateways", method: "POST", path: "/routes?namespace={ns}", body: `{"name":"nogw","rules":[` + rule + `]}`, status: 422, field: "gateways"},
		{name: "models and a modelPattern together", method: "POST", path: "/routes?namespace={ns}", body: route("both", `[{"models":["m2"],"modelPattern":"gpt-.*","backends":[{"provider":"existing"}]}]`), status: 422, field: "rules[0].modelPattern", text: "mutually exclusive"},
		{name: "a modelPattern that is not RE2", method: "POST", path: "/routes?namespace={ns}", body: route("re", `[{"modelPattern":"gpt-(","backends":[{"provider":"existing"}]}]`), status: 422, field: "rules[0].modelPattern", text: "RE2"},
		{name: "the model header among the extra headers", method: "POST", path: "/routes?namespace={ns}", body: route("hdr", `[{"models":["m2"],"headers":[{"name":"x-ai-eg-model","value":"m3"}],"backends":[{"provider":"existing"}]}]`), status: 422, field: "rules[0].headers[0].name"},
		{name: "a rule without backends", method: "POST", path: "/routes?namespace={ns}", body: route("nobe", `[{"models":["m2"],"backends":[]}]`), status: 422, field: "rules[0].backends"},
		{name: "a route to a provider that does not exist", method: "POST", path: "/routes?namespace={ns}", body: route("ghost", `[{"models":["m2"],"backends":[{"provider":"ghost"}]}]`), status: 422, field: "rules[0].backends[0].provider", text: "does not exist"},
		{name: "a route name that is not DNS-1123", method: "POST", path: "/routes?namespace={ns}", body: route("Chat_Route", "["+strings.Replace(rule, `"m"`, `"m2"`, 1)+"]"), status: 422, field: "name"},

		// The raw resource API.
		{name: "an unknown kind", method: "PUT", path: "/resources/pods/x?namespace={ns}", body: `{}`, status: 404, text: `unknown resource kind "pods"`},
		{name: "a raw object whose kind does not match the URL", method: "PUT", path: "/resources/backends/raw?namespace={ns}", body: strings.Replace(rawBackend(`{"name":"raw"}`), `"kind":"Backend"`, `"kind":"AIServiceBackend"`, 1), status: 400, field: "kind"},
		{name: "a raw object whose apiVersion does not match the kind", method: "PUT", path: "/resources/backends/raw?namespace={ns}", body: strings.Replace(rawBackend(`{"name":"raw"}`), "v1alpha1", "v1", 1), status: 400, field: "apiVersion"},
		{name: "a raw object whose name does not match the URL", method: "PUT", path: "/resources/backends/raw?namespace={ns}", body: rawBackend(`{"name":"other"}`), status: 400, field: "metadata.name", text: "does not match the URL"},
		{name: "a raw object in another namespace than the URL", method: "PUT", path: "/resources/backends/raw?namespace={ns}", body: rawBackend(`{"name":"raw","namespace":"kube-system"}`), status: 400, field: "metadata.namespace"},
		{name: "a raw object with an unknown field", method: "PUT", path: "/resources/backends/raw?namespace={ns}", body: strings.Replace(rawBackend(`{"name":"raw"}`), `"port":8000`, `"port":8000,"weight":3`, 1), status: 400, field: "spec.endpoints[0].fqdn.weight", text: "unknown field"},
		{name: "a raw object with a port as a string", method: "PUT", path: "/resources/backends/raw?namespace={ns}", body: strings.Replace(rawBackend(`{"name":"raw"}`), `"port":8000`, `"port":"8000"`, 1), status: 400, text: "must be an integer"},
		{name: "a raw AIServiceBackend pointing at a Service (CEL)", method: "PUT", path: "/resources/aiservicebackends/raw?namespace={ns}", body: `{"spec":{"schema":{"name":"OpenAI"},"backendRef":{"name":"svc"}}}`, status: 422, text: "BackendRef must be a Backend resource"},
		{name: "a raw public Backend without TLS (policy)", method: "PUT", path: "/resources/backends/raw?namespace={ns}", body: strings.Replace(rawBackend(`{"name":"raw"}`), "vllm.models.svc.cluster.local", "api.openai.com", 1), status: 422, text: "plain HTTP"},
		{name: "PUT of a Secret through the raw API", method: "PUT", path: "/resources/secrets/existing-credentials?namespace={ns}", body: `{"data":{"apiKey":"c2s="}}`, status: 405, text: "Secrets cannot be written through the raw API"},
		{name: "DELETE of a Secret through the raw API", method: "DELETE", path: "/resources/secrets/existing-credentials?namespace={ns}", status: 405, text: "send credentials with a provider"},
		{name: "a raw name that is not DNS-1123", method: "DELETE", path: "/resources/backends/Raw_1?namespace={ns}", status: 400, text: "invalid name"},
		{name: "a path the API does not have", method: "GET", path: "/provider", status: 404, text: "no route GET /api/v1/provider"},
		{name: "a method the API does not have", method: "PATCH", path: "/providers/existing?namespace={ns}", body: `{}`, status: 404, text: "no route PATCH"},
	}

	// Every case is a different request.
	seen := map[string]string{}
	for _, tc := range cases {
		key := fmt.Sprintf("%s %s %v %q %d", tc.method, tc.path, tc.body, tc.headers, tc.declaredLength)
		if other, dup := seen[key]; dup {
			t.Fatalf("cases %q and %q send the same request", other, tc.name)
		}
		seen[key] = tc.name
	}
	if len(cases) < 40 {
		t.Fatalf("only %d cases", len(cases))
	}

	before := snapshot(t, c, ns)
	if len(before) != 6 {
		t.Fatalf("the namespace should hold the provider's five objects and the route, has %v", before)
	}
	for _, tc := range cases {
		t.Run("refuses "+tc.name, func(t *testing.T) {
			path := strings.ReplaceAll(tc.path, "{ns}", ns)
			var r response
			if tc.declaredLength > 0 {
				r = callHeadOnly(t, tc.method, con.URL+"/api/v1"+path, tc.declaredLength)
			} else {
				r = callNoLeak(t, canary, tc.method, con.URL+"/api/v1"+path, tc.body, tc.headers...)
			}
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.Status, tc.status, r.Body)
			}
			// Every refusal is audited and carries the security headers,
			// the one the HTTP server gives before routing (413) too.
			if r.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("no security headers: %v", r.Header)
			}
			if tc.method != "GET" {
				if rec := auditRecord(t, r.Header.Get(audit.RequestIDHeader)); rec.Result.Status != tc.status || rec.Method != tc.method {
					t.Errorf("audit record %+v", rec)
				}
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			p := r.problem(t)
			if p.Status != tc.status || p.Code == "" || p.Detail == "" {
				t.Errorf("problem: %+v", p)
			}
			if tc.field == "" && tc.text == "" {
				t.Fatal("the case checks neither a field nor a text")
			}
			if tc.field != "" && !hasCause(p, tc.field) {
				t.Errorf("no cause for field %q: %+v", tc.field, p.Causes)
			}
			if tc.text != "" && !mentions(p, tc.text) {
				t.Errorf("the problem does not say %q: %+v", tc.text, p)
			}
		})
	}
	if d := cmp.Diff(before, snapshot(t, c, ns)); d != "" {
		t.Errorf("bad input changed the cluster (-before +after):\n%s", d)
	}
}

func hasCause(p problem, field string) bool {
	for _, c := range p.Causes {
		if c.Field == field {
			return true
		}
	}
	return false
}

func mentions(p problem, text string) bool {
	if strings.Contains(p.Detail, text) {
		return true
	}
	for _, c := range p.Causes {
		if strings.Contains(c.Message, text) {
			return true
		}
	}
	return false
}

// callHeadOnly sends the head of a JSON request that declares length bytes
// of body, sends no body, and reads the answer. The console must refuse an
// oversize body by its Content-Length, before reading it; a server that
// waited for the body would hit the deadline. Sending the bytes as well
// would race the server's close against the client's write, and the client
// could see a connection reset instead of the answer.
func callHeadOnly(t *testing.T, method, rawURL string, length int) response {
	t.Helper()
	u, err := url.Parse(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := net.DialTimeout("tcp", u.Host, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if err := conn.SetDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	head := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", method, u.RequestURI(), u.Host, adminToken(t), length)
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s with Content-Length %d: %v", method, rawURL, length, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	// The suite checks it like every other request (an audit record for
	// each mutating one).
	req, _ := http.NewRequest(method, rawURL, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken(t))
	suite.captureHTTP(req, resp, body)
	return response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}
