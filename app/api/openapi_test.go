package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/app/route"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/app/syncstatus"
	"github.com/aigw-console/aigw-console/policy"
)

// openAPIReader is the smallest Reader: an empty cache. The route table is
// built without touching it.
type openAPIReader struct{}

func (openAPIReader) List(cluster.Kind, string, labels.Selector) []*unstructured.Unstructured {
	return nil
}

func (openAPIReader) Get(k cluster.Kind, _, name string) (*unstructured.Unstructured, error) {
	return nil, apierrors.NewNotFound(k.GVR().GroupResource(), name)
}

// openAPIDocURL is where the tests register the document with the JSON
// Schema compiler, so that "#/components/schemas/X" resolves inside it.
const openAPIDocURL = "https://aigw-console.test/api/v1/openapi.json"

// openAPIMethods are the operation keys of an OpenAPI path item.
var openAPIMethods = []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"}

// openAPILoad parses the embedded document with json.Number numbers, as the
// JSON Schema validator wants them.
func openAPILoad(t *testing.T) map[string]any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(openAPIJSON))
	if err != nil {
		t.Fatalf("openapi.json does not parse: %v", err)
	}
	doc, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("openapi.json is %T, want an object", v)
	}
	return doc
}

// openAPIOperation is one documented path and method.
type openAPIOperation struct {
	path, method string
	op           map[string]any
}

func (o openAPIOperation) String() string { return strings.ToUpper(o.method) + " " + o.path }

// openAPIOperations lists the document's operations, sorted.
func openAPIOperations(t *testing.T, doc map[string]any) []openAPIOperation {
	t.Helper()
	paths, ok := doc["paths"].(map[string]any)
	if !ok {
		t.Fatal("the document has no paths object")
	}
	var out []openAPIOperation
	for p, item := range paths {
		item, ok := item.(map[string]any)
		if !ok {
			t.Fatalf("path item %s is not an object", p)
		}
		for _, m := range openAPIMethods {
			if op, ok := item[m].(map[string]any); ok {
				out = append(out, openAPIOperation{path: p, method: m, op: op})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// openAPIToken escapes one JSON Pointer reference token (RFC 6901).
func openAPIToken(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// openAPIResolve returns the value at a local reference such as
// "#/components/schemas/Problem".
func openAPIResolve(doc map[string]any, ref string) (any, error) {
	if !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("%s is not a local reference", ref)
	}
	var cur any = doc
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: %q is not inside an object", ref, tok)
		}
		if cur, ok = m[tok]; !ok {
			return nil, fmt.Errorf("%s: no %q", ref, tok)
		}
	}
	return cur, nil
}

// openAPIDeref follows a Reference Object ({"$ref": ...}) to what it names.
func openAPIDeref(t *testing.T, doc map[string]any, v any) map[string]any {
	t.Helper()
	for range 10 {
		m, ok := v.(map[string]any)
		if !ok {
			t.Fatalf("%v is not an object", v)
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		if v, _ = openAPIResolve(doc, ref); v == nil {
			t.Fatalf("reference %s does not resolve", ref)
		}
	}
	t.Fatal("reference chain longer than 10")
	return nil
}

// openAPIExample is one example value and the schema it must satisfy.
type openAPIExample struct {
	// where names the example in failures: its JSON Pointer, and the
	// components/examples entry it came from.
	where string
	// schema is the JSON Pointer of the schema.
	schema string
	value  any
}

// openAPIExamples finds every example in the document: the example and
// examples of media types, parameters and headers (checked against their
// schema, following references to components/examples), and the example
// and examples of schemas (checked against the schema itself). It returns
// them with the components/examples entries that were used.
func openAPIExamples(t *testing.T, doc map[string]any) ([]openAPIExample, map[string]bool) {
	t.Helper()
	var out []openAPIExample
	used := map[string]bool{}
	var walk func(v any, ptr string, inSchema bool, parentKey string)
	walk = func(v any, ptr string, inSchema bool, parentKey string) {
		switch v := v.(type) {
		case []any:
			for i, e := range v {
				walk(e, fmt.Sprintf("%s/%d", ptr, i), inSchema, "")
			}
		case map[string]any:
			// A map of property names is not a schema: a property may be
			// called "example".
			isNameMap := ptr == "/components/schemas" ||
				inSchema && slices.Contains([]string{"properties", "patternProperties", "$defs", "dependentSchemas"}, parentKey)
			schemaPtr := ""
			switch {
			case isNameMap:
			case inSchema:
				schemaPtr = ptr
			default:
				if _, ok := v["schema"]; ok {
					schemaPtr = ptr + "/schema"
				}
			}
			for k, e := range v {
				p := ptr + "/" + openAPIToken(k)
				switch {
				case schemaPtr != "" && k == "example":
					out = append(out, openAPIExample{where: p, schema: schemaPtr, value: e})
					continue
				case schemaPtr != "" && k == "examples" && inSchema:
					list, ok := e.([]any)
					if !ok {
						t.Errorf("%s: a schema's examples must be an array", p)
						continue
					}
					for i, x := range list {
						out = append(out, openAPIExample{where: fmt.Sprintf("%s/%d", p, i), schema: schemaPtr, value: x})
					}
					continue
				case schemaPtr != "" && k == "examples":
					named, ok := e.(map[string]any)
					if !ok {
						t.Errorf("%s: examples must be a map of Example Objects", p)
						continue
					}
					for name, x := range named {
						where := p + "/" + openAPIToken(name)
						obj, ok := x.(map[string]any)
						if !ok {
							t.Errorf("%s is not an Example Object", where)
							continue
						}
						if ref, ok := obj["$ref"].(string); ok {
							used[ref] = true
							where += " (" + ref + ")"
							obj = openAPIDeref(t, doc, obj)
						}
						value, ok := obj["value"]
						if !ok {
							t.Errorf("%s has no value", where)
							continue
						}
						out = append(out, openAPIExample{where: where, schema: schemaPtr, value: value})
					}
					continue
				case !inSchema && ptr == "/components" && k == "examples":
					// Checked where they are used.
					continue
				}
				walk(e, p, inSchema || k == "schema" || (ptr == "/components" && k == "schemas"), k)
			}
		}
	}
	walk(doc, "", false, "")
	sort.Slice(out, func(i, j int) bool { return out[i].where < out[j].where })
	return out, used
}

// openAPIFragment turns a JSON Pointer into a URL fragment.
func openAPIFragment(ptr string) string {
	toks := strings.Split(ptr, "/")
	for i, tok := range toks {
		toks[i] = url.PathEscape(tok)
	}
	return strings.Join(toks, "/")
}

func TestOpenAPI(t *testing.T) {
	doc := openAPILoad(t)

	t.Run("the document is OpenAPI 3.1 with a title and a version", func(t *testing.T) {
		if v, _ := doc["openapi"].(string); !regexp.MustCompile(`^3\.1\.\d+$`).MatchString(v) {
			t.Errorf("openapi = %q, want 3.1.x", v)
		}
		info, _ := doc["info"].(map[string]any)
		for _, k := range []string{"title", "version", "description"} {
			if s, _ := info[k].(string); s == "" {
				t.Errorf("info.%s is empty", k)
			}
		}
		for _, k := range []string{"schemas", "parameters", "headers", "responses"} {
			if m, _ := openAPIDeref(t, doc, doc["components"])[k].(map[string]any); len(m) == 0 {
				t.Errorf("components.%s is empty", k)
			}
		}
	})

	t.Run("every registered route is documented and every documented operation is registered", func(t *testing.T) {
		app := New(Options{Reader: openAPIReader{}})
		param := regexp.MustCompile(`:([A-Za-z0-9_]+)`)
		registered := map[string]bool{}
		for _, r := range app.GetRoutes(true) {
			if r.Method == http.MethodHead || r.Method == "USE" || len(r.Handlers) == 0 {
				continue
			}
			if strings.ContainsAny(r.Path, "*?+") {
				t.Errorf("route %s %s has a wildcard or optional parameter the test cannot map to OpenAPI", r.Method, r.Path)
			}
			registered[r.Method+" "+param.ReplaceAllString(r.Path, "{$1}")] = true
		}
		if len(registered) == 0 {
			t.Fatal("New registered no routes")
		}
		documented := map[string]bool{}
		for _, o := range openAPIOperations(t, doc) {
			documented[o.String()] = true
		}
		for _, r := range openAPISortedKeys(registered) {
			if !documented[r] {
				t.Errorf("route %s is registered in router.go but not documented in openapi.json", r)
			}
		}
		for _, d := range openAPISortedKeys(documented) {
			if !registered[d] {
				t.Errorf("operation %s is documented in openapi.json but not registered in router.go", d)
			}
		}
	})

	t.Run("every operation has a unique operationId, a summary, a description, its path parameters and an example of each body", func(t *testing.T) {
		ids := map[string]string{}
		for _, o := range openAPIOperations(t, doc) {
			id, _ := o.op["operationId"].(string)
			switch {
			case id == "":
				t.Errorf("%s has no operationId", o)
			case ids[id] != "":
				t.Errorf("%s and %s share operationId %q", ids[id], o, id)
			}
			ids[id] = o.String()
			for _, k := range []string{"summary", "description"} {
				if s, _ := o.op[k].(string); s == "" {
					t.Errorf("%s has no %s", o, k)
				}
			}
			inPath := map[string]bool{}
			params, _ := o.op["parameters"].([]any)
			for _, p := range params {
				p := openAPIDeref(t, doc, p)
				if p["in"] == "path" {
					if p["required"] != true {
						t.Errorf("%s: path parameter %v is not required", o, p["name"])
					}
					inPath[fmt.Sprint(p["name"])] = true
				}
			}
			want := map[string]bool{}
			for _, m := range regexp.MustCompile(`\{([^}]+)\}`).FindAllStringSubmatch(o.path, -1) {
				want[m[1]] = true
			}
			if !maps.Equal(inPath, want) {
				t.Errorf("%s: path parameters %v, want %v", o, openAPISortedKeys(inPath), openAPISortedKeys(want))
			}
			var bodies []map[string]any
			names := []string{}
			if rb, ok := o.op["requestBody"]; ok {
				bodies = append(bodies, openAPIDeref(t, doc, rb))
				names = append(names, "request body")
			}
			responses, _ := o.op["responses"].(map[string]any)
			if len(responses) == 0 {
				t.Errorf("%s has no responses", o)
			}
			for code, r := range responses {
				if strings.HasPrefix(code, "2") {
					bodies = append(bodies, openAPIDeref(t, doc, r))
					names = append(names, code+" response")
				}
			}
			for i, b := range bodies {
				content, _ := b["content"].(map[string]any)
				for mt, m := range content {
					m, _ := m.(map[string]any)
					if _, ok := m["schema"]; !ok {
						t.Errorf("%s %s %s has no schema", o, names[i], mt)
					}
					_, one := m["example"]
					many, _ := m["examples"].(map[string]any)
					if !one && len(many) == 0 {
						t.Errorf("%s %s %s has no example", o, names[i], mt)
					}
				}
			}
		}
	})

	t.Run("every error response is an application/problem+json Problem", func(t *testing.T) {
		// /readyz is for probes: it answers in plain text like /healthz.
		plain := map[string]bool{"GET /readyz 503": true}
		for _, o := range openAPIOperations(t, doc) {
			responses, _ := o.op["responses"].(map[string]any)
			for code, r := range responses {
				if !strings.HasPrefix(code, "4") && !strings.HasPrefix(code, "5") && code != "default" {
					continue
				}
				if plain[o.String()+" "+code] {
					continue
				}
				content, _ := openAPIDeref(t, doc, r)["content"].(map[string]any)
				mt, _ := content["application/problem+json"].(map[string]any)
				if len(content) != 1 || mt == nil {
					t.Errorf("%s %s: content types %v, want only application/problem+json", o, code, openAPISortedKeys(content))
					continue
				}
				schema, _ := mt["schema"].(map[string]any)
				if ref, _ := schema["$ref"].(string); ref != "#/components/schemas/Problem" {
					t.Errorf("%s %s: schema %v, want $ref #/components/schemas/Problem", o, code, mt["schema"])
				}
			}
		}
	})

	t.Run("every reference resolves", func(t *testing.T) {
		var walk func(v any, ptr string)
		walk = func(v any, ptr string) {
			switch v := v.(type) {
			case []any:
				for i, e := range v {
					walk(e, fmt.Sprintf("%s/%d", ptr, i))
				}
			case map[string]any:
				if ref, ok := v["$ref"].(string); ok {
					if _, err := openAPIResolve(doc, ref); err != nil {
						t.Errorf("%s: %v", ptr, err)
					}
				}
				for k, e := range v {
					if k == "example" || k == "examples" {
						continue
					}
					walk(e, ptr+"/"+openAPIToken(k))
				}
			}
		}
		walk(doc, "")
	})

	t.Run("every schema compiles and every example validates against its schema", func(t *testing.T) {
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource(openAPIDocURL, doc); err != nil {
			t.Fatalf("add the document as a JSON Schema resource: %v", err)
		}
		schemas, _ := openAPIDeref(t, doc, doc["components"])["schemas"].(map[string]any)
		for _, name := range openAPISortedKeys(schemas) {
			if _, err := c.Compile(openAPIDocURL + "#/components/schemas/" + url.PathEscape(openAPIToken(name))); err != nil {
				t.Errorf("components.schemas.%s is not a valid JSON Schema: %v", name, err)
			}
		}
		examples, used := openAPIExamples(t, doc)
		if len(examples) == 0 {
			t.Fatal("the document has no examples")
		}
		for _, ex := range examples {
			sch, err := c.Compile(openAPIDocURL + "#" + openAPIFragment(ex.schema))
			if err != nil {
				t.Errorf("%s: compile schema %s: %v", ex.where, ex.schema, err)
				continue
			}
			if err := sch.Validate(ex.value); err != nil {
				t.Errorf("%s does not validate against %s:\n%v", ex.where, ex.schema, err)
			}
		}
		named, _ := openAPIDeref(t, doc, doc["components"])["examples"].(map[string]any)
		for _, name := range openAPISortedKeys(named) {
			if ref := "#/components/examples/" + openAPIToken(name); !used[ref] {
				t.Errorf("%s is used nowhere, so it is never checked", ref)
			}
		}
		t.Logf("%d examples validated", len(examples))
	})

	t.Run("every schema of a Go type has exactly its JSON fields, and every credential is writeOnly", func(t *testing.T) {
		// Responses are what the console marshals: a field without
		// omitempty is always there, so the schema must require it.
		// Requests are decoded, and the Go validation decides what is
		// required, so only the field names are compared.
		type mapping struct {
			schema   string // JSON Pointer of the schema
			goType   reflect.Type
			response bool
		}
		typeOf := func(v any) reflect.Type { return reflect.TypeOf(v) }
		schema := func(name string) string { return "/components/schemas/" + name }
		mappings := []mapping{
			{schema("Problem"), typeOf(Problem{}), true},
			{schema("Cause"), typeOf(Cause{}), true},
			{schema("VersionInfo"), typeOf(versionResponse{}), true},
			{schema("MeResponse"), typeOf(meResponse{}), true},
			{schema("NamespaceAccess"), typeOf(namespaceAccess{}), true},
			{schema("UserInfo"), typeOf(auth.User{}), true},
			{schema("KindInfo"), typeOf(kindInfo{}), true},
			{schema("KindList"), typeOf(kindList{}), true},
			{schema("ResourceList"), typeOf(resourceList{}), true},
			{schema("WriteResult"), typeOf(writeResult{}), true},
			{schema("DeleteResponse"), typeOf(writeResult{}), true},
			{schema("GitOpsResult"), typeOf(sink.GitOps{}), true},
			{schema("GitOpsPullRequest"), typeOf(sink.PullRequest{}), true},
			{schema("ApplyResponse"), typeOf(applyResponse{}), true},
			{schema("ChangeEntry"), typeOf(sink.Entry{}), true},
			{schema("JSONPatchOperation"), typeOf(sink.Change{}), true},
			{schema("Violation"), typeOf(policy.Violation{}), true},

			{schema("ProviderSpec"), typeOf(provider.Spec{}), false},
			{schema("ProviderSchema"), typeOf(provider.Schema{}), false},
			{schema("ProviderEndpoint"), typeOf(provider.Endpoint{}), false},
			{schema("ProviderAuth"), typeOf(provider.Auth{}), false},
			{schema("SecretRef"), typeOf(provider.SecretRef{}), false},
			{schema("AWSAuth"), typeOf(provider.AWSAuth{}), false},
			{schema("AzureAuth"), typeOf(provider.AzureAuth{}), false},
			{schema("GCPAuth"), typeOf(provider.GCPAuth{}), false},
			{schema("Provider"), typeOf(syncedProvider{}), true},
			{schema("ProviderSchemaView"), typeOf(provider.Schema{}), true},
			{schema("ProviderEndpointView"), typeOf(provider.Endpoint{}), true},
			{schema("ProviderAuthView"), typeOf(provider.AuthView{}), true},
			{schema("ProviderAuthView") + "/properties/aws", typeOf(provider.AWSView{}), true},
			{schema("ProviderAuthView") + "/properties/azure", typeOf(provider.AzureView{}), true},
			{schema("ProviderAuthView") + "/properties/gcp", typeOf(provider.GCPView{}), true},
			{schema("CredentialView"), typeOf(provider.CredentialView{}), true},
			{schema("ProviderObjectRef"), typeOf(provider.ObjectRef{}), true},
			{schema("ProviderStatus"), typeOf(provider.Status{}), true},
			{schema("ProviderCondition"), typeOf(provider.Condition{}), true},
			{schema("ProviderList"), typeOf(syncedProviderList{}), true},
			{schema("ProviderWriteResponse"), typeOf(providerWriteResponse{}), true},

			{schema("RouteSpec"), typeOf(route.Spec{}), false},
			{schema("RouteRule"), typeOf(route.Rule{}), false},
			{schema("GatewayRef"), typeOf(route.GatewayRef{}), true},
			{schema("HeaderMatch"), typeOf(route.HeaderMatch{}), true},
			{schema("RouteBackend"), typeOf(route.Backend{}), true},
			{schema("RouteTimeouts"), typeOf(route.Timeouts{}), true},
			{schema("LLMRequestCost"), typeOf(route.LLMRequestCost{}), true},
			{schema("Route"), typeOf(syncedRoute{}), true},
			{schema("RuleView"), typeOf(route.RuleView{}), true},
			{schema("RouteStatus"), typeOf(route.Status{}), true},
			{schema("Condition"), typeOf(metav1.Condition{}), true},
			{schema("RouteList"), typeOf(syncedRouteList{}), true},

			{schema("SyncReport"), typeOf(syncstatus.Report{}), true},
			{schema("SyncApplier"), typeOf(syncstatus.Applier{}), true},
			{schema("SyncCounts"), typeOf(syncstatus.Counts{}), true},
			{schema("SyncObject"), typeOf(syncstatus.Object{}), true},
			{schema("SyncSummary"), typeOf(syncstatus.Summary{}), true},
			{schema("RouteWriteResponse"), typeOf(routeWriteResponse{}), true},

			{schema("Template"), typeOf(provider.Template{}), true},
			{schema("TemplateList"), typeOf(templateList{}), true},
			{schema("PreviewRequest"), typeOf(previewRequest{}), false},
			{schema("PreviewResponse"), typeOf(previewResponse{}), true},
		}
		credential := reflect.TypeOf(provider.Credential(""))
		for _, m := range mappings {
			v, err := openAPIResolve(doc, "#"+m.schema)
			if err != nil {
				t.Errorf("%s: %v", m.goType, err)
				continue
			}
			props, required := openAPIProperties(t, doc, v)
			fields := openAPIJSONFields(m.goType)
			for _, name := range openAPISortedKeys(fields) {
				f := fields[name]
				p, ok := props[name]
				if !ok {
					t.Errorf("%s: %s.%s (json %q) is not documented", m.schema, m.goType, f.goName, name)
					continue
				}
				if m.response && !f.omitempty && !required[name] {
					t.Errorf("%s: %q is always in %s's JSON, so it must be required", m.schema, name, m.goType)
				}
				if f.typ == credential {
					if wo, _ := p["writeOnly"].(bool); !wo {
						t.Errorf("%s: credential %q must be writeOnly", m.schema, name)
					}
				}
			}
			for _, name := range openAPISortedKeys(props) {
				if _, ok := fields[name]; !ok {
					t.Errorf("%s: property %q is not a JSON field of %s", m.schema, name, m.goType)
				}
			}
		}
	})

	t.Run("the enums list exactly the kinds, templates, schemas and auth types of the Go code", func(t *testing.T) {
		enum := func(name string) []string {
			s := openAPIDeref(t, doc, map[string]any{"$ref": "#/components/schemas/" + name})
			values, _ := s["enum"].([]any)
			var out []string
			for _, v := range values {
				name, _ := v.(string)
				out = append(out, name)
			}
			return out
		}
		var kinds, templates, schemas, authTypes []string
		for _, k := range cluster.Kinds() {
			kinds = append(kinds, k.Name)
		}
		for _, tm := range provider.Templates() {
			templates = append(templates, tm.Name)
		}
		for _, s := range provider.Schemas() {
			schemas = append(schemas, string(s))
		}
		for _, a := range provider.AuthTypes() {
			authTypes = append(authTypes, string(a))
		}
		for _, c := range []struct {
			schema string
			want   []string
		}{{"KindName", kinds}, {"TemplateName", templates}, {"APISchemaName", schemas}, {"AuthType", authTypes}} {
			if got := enum(c.schema); !slices.Equal(got, c.want) {
				t.Errorf("%s enum = %q, want %q", c.schema, got, c.want)
			}
		}
	})

	t.Run("GET /api/v1/openapi.json serves the document byte for byte", func(t *testing.T) {
		app := New(Options{Reader: openAPIReader{}})
		resp, err := app.Test(httptest.NewRequest(http.MethodGet, "/api/v1/openapi.json", nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = resp.Body.Close() }()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d, want 200; body %s", resp.StatusCode, body)
		}
		if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
			t.Errorf("Content-Type %q, want application/json", ct)
		}
		if !bytes.Equal(body, openAPIJSON) {
			t.Errorf("the body (%d bytes) differs from openapi.json (%d bytes)", len(body), len(openAPIJSON))
		}
		if !json.Valid(body) {
			t.Error("the body is not JSON")
		}
	})
}

// openAPIField is one JSON field of a Go struct.
type openAPIField struct {
	goName    string
	typ       reflect.Type
	omitempty bool // omitempty or omitzero: the field may be absent
}

// openAPIJSONFields lists the JSON fields of a struct type as encoding/json
// marshals them, with embedded structs flattened.
func openAPIJSONFields(t reflect.Type) map[string]openAPIField {
	out := map[string]openAPIField{}
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			for k, v := range openAPIJSONFields(ft) {
				out[k] = v
			}
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		o := strings.Split(opts, ",")
		out[name] = openAPIField{goName: f.Name, typ: f.Type, omitempty: slices.Contains(o, "omitempty") || slices.Contains(o, "omitzero")}
	}
	return out
}

// openAPIProperties returns the properties and required names of a schema,
// including those of the schemas it combines with allOf.
func openAPIProperties(t *testing.T, doc map[string]any, v any) (map[string]map[string]any, map[string]bool) {
	t.Helper()
	s := openAPIDeref(t, doc, v)
	props := map[string]map[string]any{}
	required := map[string]bool{}
	allOf, _ := s["allOf"].([]any)
	for _, sub := range allOf {
		p, r := openAPIProperties(t, doc, sub)
		for k, v := range p {
			props[k] = v
		}
		for k := range r {
			required[k] = true
		}
	}
	properties, _ := s["properties"].(map[string]any)
	for k, v := range properties {
		m, _ := v.(map[string]any)
		props[k] = m
	}
	names, _ := s["required"].([]any)
	for _, r := range names {
		name, _ := r.(string)
		required[name] = true
	}
	return props, required
}

func openAPISortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
