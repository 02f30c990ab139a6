package route

// The AIGatewayRoute CRD, as a test oracle. No API server runs here (the e2e
// suite has one), so these tests check rendered objects against the CRD's
// OpenAPI schema with a small validator, and against its CEL rules with a Go
// mirror of each rule; a drift test fails when the CRD gains a rule or a
// limit changes that the mirror and Validate do not know.

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/apis/crds"
	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

var routeSchema = sync.OnceValues(func() (*apiextensionsv1.JSONSchemaProps, error) {
	b, err := crds.FS.ReadFile("aigateway.envoyproxy.io_aigatewayroutes.yaml")
	if err != nil {
		return nil, err
	}
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(b, &crd); err != nil {
		return nil, err
	}
	for _, v := range crd.Spec.Versions {
		if v.Name == "v1beta1" {
			return v.Schema.OpenAPIV3Schema, nil
		}
	}
	return nil, fmt.Errorf("the AIGatewayRoute CRD has no v1beta1 version")
})

func schemaOf(t *testing.T) *apiextensionsv1.JSONSchemaProps {
	t.Helper()
	s, err := routeSchema()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// schemaAt walks to a sub-schema: property names, and "[]" for array items.
func schemaAt(t *testing.T, s *apiextensionsv1.JSONSchemaProps, path ...string) *apiextensionsv1.JSONSchemaProps {
	t.Helper()
	for _, p := range path {
		if p == "[]" {
			if s.Items == nil || s.Items.Schema == nil {
				t.Fatalf("schema at %v has no items", path)
			}
			s = s.Items.Schema
			continue
		}
		next, ok := s.Properties[p]
		if !ok {
			t.Fatalf("schema has no property %q on the way to %v", p, path)
		}
		s = &next
	}
	return s
}

// celChecks mirrors every CEL rule of the CRD, keyed by its message. Each
// returns false when the (defaulted) route breaks the rule.
var celChecks = map[string]func(*aigv1b1.AIGatewayRoute) bool{
	"only Gateway is supported": func(r *aigv1b1.AIGatewayRoute) bool {
		for _, p := range r.Spec.ParentRefs {
			if p.Kind != nil && *p.Kind != gatewayKind {
				return false
			}
		}
		return true
	},
	"rule name must be unique within the route": func(r *aigv1b1.AIGatewayRoute) bool {
		seen := map[gwapiv1.SectionName]bool{}
		for _, rule := range r.Spec.Rules {
			if rule.Name != nil {
				if seen[*rule.Name] {
					return false
				}
				seen[*rule.Name] = true
			}
		}
		return true
	},
	"rule name route-not-found is reserved": func(r *aigv1b1.AIGatewayRoute) bool {
		for _, rule := range r.Spec.Rules {
			if rule.Name != nil && *rule.Name == aigv1b1.RouteNotFoundRuleName {
				return false
			}
		}
		return true
	},
	"cannot mix InferencePool and AIServiceBackend references in the same rule": func(r *aigv1b1.AIGatewayRoute) bool {
		for _, rule := range r.Spec.Rules {
			plain, typed := 0, 0
			for _, b := range rule.BackendRefs {
				if b.Group == nil && b.Kind == nil {
					plain++
				}
				if b.Group != nil && b.Kind != nil {
					typed++
				}
			}
			if n := len(rule.BackendRefs); n > 0 && plain != n && typed != n {
				return false
			}
		}
		return true
	},
	"only one InferencePool backend is allowed per rule": func(r *aigv1b1.AIGatewayRoute) bool {
		for _, rule := range r.Spec.Rules {
			for _, b := range rule.BackendRefs {
				if b.Group != nil && b.Kind != nil && len(rule.BackendRefs) != 1 {
					return false
				}
			}
		}
		return true
	},
	"group and kind must be specified together": func(r *aigv1b1.AIGatewayRoute) bool {
		for _, rule := range r.Spec.Rules {
			for _, b := range rule.BackendRefs {
				if (b.Group == nil) != (b.Kind == nil) {
					return false
				}
			}
		}
		return true
	},
	"only InferencePool from inference.networking.k8s.io group is supported": func(r *aigv1b1.AIGatewayRoute) bool {
		for _, rule := range r.Spec.Rules {
			for _, b := range rule.BackendRefs {
				if b.Group != nil && (*b.Group != aigv1b1.InferencePoolGroup || b.Kind == nil || *b.Kind != aigv1b1.InferencePoolKind) {
					return false
				}
			}
		}
		return true
	},
	"backendRequest timeout cannot be longer than request timeout": func(r *aigv1b1.AIGatewayRoute) bool {
		for _, rule := range r.Spec.Rules {
			t := rule.Timeouts
			if t == nil || t.Request == nil || t.BackendRequest == nil {
				continue
			}
			req, err1 := time.ParseDuration(string(*t.Request))
			be, err2 := time.ParseDuration(string(*t.BackendRequest))
			if err1 != nil || err2 != nil || (req != 0 && be > req) {
				return false
			}
		}
		return true
	},
}

// celViolations returns the messages of the CEL rules the route breaks.
func celViolations(r *aigv1b1.AIGatewayRoute) []string {
	var out []string
	for msg, ok := range celChecks {
		if !ok(r) {
			out = append(out, msg)
		}
	}
	sort.Strings(out)
	return out
}

// assertSatisfiesCRD fails the test when u breaks the CRD's schema or one
// of its CEL rules, or has a field the console's types do not know.
func assertSatisfiesCRD(t *testing.T, u *unstructured.Unstructured) {
	t.Helper()
	if errs := schemaErrors("", schemaOf(t), u.Object); len(errs) > 0 {
		t.Errorf("the object breaks the CRD schema:\n  %s", strings.Join(errs, "\n  "))
	}
	var typed aigv1b1.AIGatewayRoute
	if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, &typed, true); err != nil {
		t.Fatalf("the object does not decode strictly into aigv1b1.AIGatewayRoute: %v", err)
	}
	if v := celViolations(&typed); len(v) > 0 {
		t.Errorf("the object breaks CEL rules of the CRD: %q", v)
	}
}

// schemaErrors validates v against the parts of an OpenAPI schema the
// AIGatewayRoute CRD uses: types, properties (no unknown fields), required,
// enum, pattern, lengths, item counts, list-type uniqueness and numeric
// bounds, with the int32 range of format int32.
func schemaErrors(path string, s *apiextensionsv1.JSONSchemaProps, v any) []string {
	var errs []string
	fail := func(format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s: %s", path, fmt.Sprintf(format, args...)))
	}
	if len(s.Enum) > 0 {
		b, _ := json.Marshal(v)
		if !slices.ContainsFunc(s.Enum, func(e apiextensionsv1.JSON) bool { return string(e.Raw) == string(b) }) {
			fail("%s is not in the enum", b)
		}
	}
	switch s.Type {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			fail("want an object, got %T", v)
			return errs
		}
		for _, r := range s.Required {
			if _, ok := m[r]; !ok {
				fail("missing required field %q", r)
			}
		}
		if len(s.Properties) == 0 {
			return errs // metadata, or a free-form object
		}
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			ps, ok := s.Properties[k]
			if !ok {
				fail("unknown field %q", k)
				continue
			}
			errs = append(errs, schemaErrors(path+"."+k, &ps, m[k])...)
		}
	case "array":
		l, ok := v.([]any)
		if !ok {
			fail("want an array, got %T", v)
			return errs
		}
		if s.MaxItems != nil && int64(len(l)) > *s.MaxItems {
			fail("%d items, more than %d", len(l), *s.MaxItems)
		}
		if s.MinItems != nil && int64(len(l)) < *s.MinItems {
			fail("%d items, fewer than %d", len(l), *s.MinItems)
		}
		seen := map[string]bool{}
		for i, item := range l {
			var key []byte
			switch ptrValue(s.XListType) {
			case "map":
				key, _ = json.Marshal(keysOf(item, s.XListMapKeys))
			case "set":
				key, _ = json.Marshal(item)
			}
			if key != nil {
				if seen[string(key)] {
					fail("duplicate entry %s of a list-type %s", key, *s.XListType)
				}
				seen[string(key)] = true
			}
			errs = append(errs, schemaErrors(fmt.Sprintf("%s[%d]", path, i), s.Items.Schema, item)...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			fail("want a string, got %T", v)
			return errs
		}
		n := int64(utf8.RuneCountInString(str))
		if s.MaxLength != nil && n > *s.MaxLength {
			fail("%d characters, more than %d", n, *s.MaxLength)
		}
		if s.MinLength != nil && n < *s.MinLength {
			fail("%d characters, fewer than %d", n, *s.MinLength)
		}
		if s.Pattern != "" && !regexp.MustCompile(s.Pattern).MatchString(str) {
			fail("%q does not match %s", str, s.Pattern)
		}
	case "integer":
		i, ok := v.(int64)
		if !ok {
			fail("want an integer, got %T", v)
			return errs
		}
		if s.Minimum != nil && float64(i) < *s.Minimum {
			fail("%d is less than %v", i, *s.Minimum)
		}
		if s.Maximum != nil && float64(i) > *s.Maximum {
			fail("%d is more than %v", i, *s.Maximum)
		}
		if s.Format == "int32" && (i < math.MinInt32 || i > math.MaxInt32) {
			fail("%d is out of the int32 range", i)
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			fail("want a boolean, got %T", v)
		}
	default:
		fail("the validator does not know schema type %q", s.Type)
	}
	return errs
}

func keysOf(item any, keys []string) []any {
	m, _ := item.(map[string]any)
	out := make([]any, 0, len(keys))
	for _, k := range keys {
		out = append(out, m[k])
	}
	return out
}

// TestCELMirrorCoversTheCRD fails when the CRD gains, loses or rewords a CEL
// rule: celChecks (and Validate) must then be brought up to date.
func TestCELMirrorCoversTheCRD(t *testing.T) {
	var inCRD []string
	var walk func(s *apiextensionsv1.JSONSchemaProps)
	walk = func(s *apiextensionsv1.JSONSchemaProps) {
		for _, r := range s.XValidations {
			inCRD = append(inCRD, r.Message)
		}
		for _, p := range s.Properties {
			walk(&p)
		}
		if s.Items != nil && s.Items.Schema != nil {
			walk(s.Items.Schema)
		}
	}
	walk(schemaAt(t, schemaOf(t), "spec"))
	sort.Strings(inCRD)
	mirrored := make([]string, 0, len(celChecks))
	for msg := range celChecks {
		mirrored = append(mirrored, msg)
	}
	sort.Strings(mirrored)
	if diff := cmp.Diff(inCRD, mirrored); diff != "" {
		t.Errorf("CEL rules of the CRD and of the mirror differ (-crd +mirror):\n%s", diff)
	}
}

// TestCELMirrorCatchesViolations makes sure the mirror is not vacuous: a
// route breaking each rule is caught by it (other rules may fire too, as in
// the API server).
func TestCELMirrorCatchesViolations(t *testing.T) {
	group, kind := ptr(aigv1b1.InferencePoolGroup), ptr(aigv1b1.InferencePoolKind)
	for msg, mutate := range map[string]func(*aigv1b1.AIGatewayRoute){
		"only Gateway is supported": func(r *aigv1b1.AIGatewayRoute) {
			r.Spec.ParentRefs[0].Kind = ptr(gwapiv1.Kind("Service"))
		},
		"rule name must be unique within the route": func(r *aigv1b1.AIGatewayRoute) {
			r.Spec.Rules = append(r.Spec.Rules, r.Spec.Rules[0])
		},
		"rule name route-not-found is reserved": func(r *aigv1b1.AIGatewayRoute) {
			r.Spec.Rules[0].Name = ptr(gwapiv1.SectionName(aigv1b1.RouteNotFoundRuleName))
		},
		"cannot mix InferencePool and AIServiceBackend references in the same rule": func(r *aigv1b1.AIGatewayRoute) {
			r.Spec.Rules[0].BackendRefs[0].Group, r.Spec.Rules[0].BackendRefs[0].Kind = group, kind
			r.Spec.Rules[0].BackendRefs = r.Spec.Rules[0].BackendRefs[:2]
		},
		"only one InferencePool backend is allowed per rule": func(r *aigv1b1.AIGatewayRoute) {
			for i := range r.Spec.Rules[0].BackendRefs {
				r.Spec.Rules[0].BackendRefs[i].Group, r.Spec.Rules[0].BackendRefs[i].Kind = group, kind
			}
		},
		"group and kind must be specified together": func(r *aigv1b1.AIGatewayRoute) {
			r.Spec.Rules[0].BackendRefs = r.Spec.Rules[0].BackendRefs[:1]
			r.Spec.Rules[0].BackendRefs[0].Kind = kind
		},
		"only InferencePool from inference.networking.k8s.io group is supported": func(r *aigv1b1.AIGatewayRoute) {
			r.Spec.Rules[0].BackendRefs = r.Spec.Rules[0].BackendRefs[:1]
			r.Spec.Rules[0].BackendRefs[0].Group, r.Spec.Rules[0].BackendRefs[0].Kind = ptr("inference.networking.x-k8s.io"), kind
		},
		"backendRequest timeout cannot be longer than request timeout": func(r *aigv1b1.AIGatewayRoute) {
			r.Spec.Rules[0].Timeouts = &gwapiv1.HTTPRouteTimeouts{Request: ptr(gwapiv1.Duration("1s")), BackendRequest: ptr(gwapiv1.Duration("2s"))}
		},
	} {
		t.Run("the mirror catches: "+msg, func(t *testing.T) {
			r := &aigv1b1.AIGatewayRoute{Spec: routeSpec(testNamespace, validSpec())}
			if v := celViolations(r); len(v) > 0 {
				t.Fatalf("the valid route breaks %q", v)
			}
			mutate(r)
			if v := celViolations(r); !slices.Contains(v, msg) {
				t.Errorf("celViolations() = %q, want it to contain %q", v, msg)
			}
		})
	}
}

func TestSchemaValidatorCatchesViolations(t *testing.T) {
	u, err := Render(testNamespace, validSpec())
	if err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		mutate func(map[string]any)
		want   string
	}{
		"an unknown field": {func(m map[string]any) {
			m["spec"].(map[string]any)["schema"] = map[string]any{"name": "OpenAI"}
		}, `.spec: unknown field "schema"`},
		"a missing required field": {func(m map[string]any) {
			delete(m["spec"].(map[string]any), "rules")
		}, `.spec: missing required field "rules"`},
		"a pattern mismatch": {func(m map[string]any) {
			m["spec"].(map[string]any)["hostnames"] = []any{"Upper.example.com"}
		}, `.spec.hostnames[0]: "Upper.example.com" does not match`},
		"an enum mismatch": {func(m map[string]any) {
			m["spec"].(map[string]any)["llmRequestCosts"] = []any{map[string]any{"metadataKey": "k", "type": "Dollars"}}
		}, `.spec.llmRequestCosts[0].type: "Dollars" is not in the enum`},
		"too many items": {func(m map[string]any) {
			m["spec"].(map[string]any)["hostnames"] = anySlice(numbered("h%d.example.com", 17))
		}, ".spec.hostnames: 17 items, more than 16"},
		"a duplicate list-map key": {func(m map[string]any) {
			h := map[string]any{"name": "x-a", "value": "1"}
			rule := m["spec"].(map[string]any)["rules"].([]any)[0].(map[string]any)
			rule["matches"] = []any{map[string]any{"headers": []any{h, h}}}
		}, ".spec.rules[0].matches[0].headers: duplicate entry"},
		"a negative weight": {func(m map[string]any) {
			rule := m["spec"].(map[string]any)["rules"].([]any)[0].(map[string]any)
			rule["backendRefs"].([]any)[0].(map[string]any)["weight"] = int64(-1)
		}, ".spec.rules[0].backendRefs[0].weight: -1 is less than 0"},
		"a priority beyond int32": {func(m map[string]any) {
			rule := m["spec"].(map[string]any)["rules"].([]any)[0].(map[string]any)
			rule["backendRefs"].([]any)[0].(map[string]any)["priority"] = int64(math.MaxInt32 + 1)
		}, "out of the int32 range"},
		"a wrong type": {func(m map[string]any) {
			m["spec"].(map[string]any)["rules"] = "all"
		}, ".spec.rules: want an array, got string"},
	} {
		t.Run("the validator catches "+name, func(t *testing.T) {
			m := u.DeepCopy().Object
			tc.mutate(m)
			errs := schemaErrors("", schemaOf(t), m)
			if !slices.ContainsFunc(errs, func(e string) bool { return strings.Contains(e, tc.want) }) {
				t.Errorf("schemaErrors() = %q, want one containing %q", errs, tc.want)
			}
		})
	}
}

func anySlice(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// TestLimitsMatchTheCRD fails when a limit or pattern of the CRD and the one
// Validate enforces drift apart.
func TestLimitsMatchTheCRD(t *testing.T) {
	root := schemaOf(t)
	spec := schemaAt(t, root, "spec")
	rule := schemaAt(t, spec, "rules", "[]")
	header := schemaAt(t, rule, "matches", "[]", "headers", "[]")
	for name, tc := range map[string]struct {
		crd  any
		ours any
	}{
		"parentRefs maxItems":        {*schemaAt(t, spec, "parentRefs").MaxItems, int64(maxGateways)},
		"hostnames maxItems":         {*schemaAt(t, spec, "hostnames").MaxItems, int64(maxHostnames)},
		"hostname maxLength":         {*schemaAt(t, spec, "hostnames", "[]").MaxLength, int64(maxHostLen)},
		"hostname pattern":           {schemaAt(t, spec, "hostnames", "[]").Pattern, hostnamePattern.String()},
		"rules maxItems":             {*schemaAt(t, spec, "rules").MaxItems, int64(maxRules)},
		"rule name pattern":          {schemaAt(t, rule, "name").Pattern, `^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`},
		"backendRefs maxItems":       {*schemaAt(t, rule, "backendRefs").MaxItems, int64(maxBackends)},
		"weight minimum":             {*schemaAt(t, rule, "backendRefs", "[]", "weight").Minimum, float64(0)},
		"matches maxItems":           {*schemaAt(t, rule, "matches").MaxItems, int64(maxMatches)},
		"headers maxItems":           {*schemaAt(t, rule, "matches", "[]", "headers").MaxItems, int64(maxHeaders)},
		"header name maxLength":      {*schemaAt(t, header, "name").MaxLength, int64(maxHeaderLen)},
		"header name pattern":        {schemaAt(t, header, "name").Pattern, headerNamePattern.String()},
		"header value maxLength":     {*schemaAt(t, header, "value").MaxLength, int64(maxValueLen)},
		"request timeout pattern":    {schemaAt(t, rule, "timeouts", "request").Pattern, durationPattern.String()},
		"backendRequest pattern":     {schemaAt(t, rule, "timeouts", "backendRequest").Pattern, durationPattern.String()},
		"streamIdleTimeout pattern":  {schemaAt(t, rule, "streamIdleTimeout").Pattern, durationPattern.String()},
		"modelsOwnedBy default":      {string(schemaAt(t, rule, "modelsOwnedBy").Default.Raw), `"` + defaultModelsOwnedBy + `"`},
		"llmRequestCosts maxItems":   {*schemaAt(t, spec, "llmRequestCosts").MaxItems, int64(maxCosts)},
		"llmRequestCost type enum":   {enumOf(schemaAt(t, spec, "llmRequestCosts", "[]", "type")), costTypesAsStrings()},
		"header match type enum":     {enumOf(schemaAt(t, header, "type")), []string{"Exact", "RegularExpression"}},
		"backendRef namespace limit": {*schemaAt(t, rule, "backendRefs", "[]", "namespace").MaxLength, int64(63)},
	} {
		if diff := cmp.Diff(tc.crd, tc.ours); diff != "" {
			t.Errorf("%s differs (-crd +ours):\n%s", name, diff)
		}
	}
}

func enumOf(s *apiextensionsv1.JSONSchemaProps) []string {
	out := make([]string, 0, len(s.Enum))
	for _, e := range s.Enum {
		var v string
		_ = json.Unmarshal(e.Raw, &v)
		out = append(out, v)
	}
	return out
}

func costTypesAsStrings() []string {
	out := make([]string, 0, len(costTypes))
	for _, c := range costTypes {
		out = append(out, string(c))
	}
	return out
}
