package route

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/validation/field"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

const testNamespace = "team-a"

// validSpec is a small valid Spec that the table tests break one field at a
// time.
func validSpec() Spec {
	return Spec{
		Name:     "chat",
		Gateways: []GatewayRef{{Name: "ai-gateway", Namespace: "gateways"}},
		Rules: []Rule{{
			Name:     "gpt",
			Models:   []string{"gpt-4o", "gpt-4o-mini"},
			Backends: []Backend{{Provider: "openai"}, {Provider: "azure"}},
		}},
	}
}

// numbered returns n distinct values made from a format with one %d.
func numbered(format string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf(format, i)
	}
	return out
}

func rules(n int) []Rule {
	out := make([]Rule, n)
	for i := range out {
		out[i] = Rule{
			Name:     fmt.Sprintf("rule-%d", i),
			Models:   []string{fmt.Sprintf("model-%d", i)},
			Backends: []Backend{{Provider: "openai"}},
		}
	}
	return out
}

func gateways(n int) []GatewayRef {
	out := make([]GatewayRef, n)
	for i := range out {
		out[i] = GatewayRef{Name: fmt.Sprintf("gw-%d", i)}
	}
	return out
}

func backends(n int) []Backend {
	out := make([]Backend, n)
	for i := range out {
		out[i] = Backend{Provider: fmt.Sprintf("provider-%d", i)}
	}
	return out
}

func headers(n int) []HeaderMatch {
	out := make([]HeaderMatch, n)
	for i := range out {
		out[i] = HeaderMatch{Name: fmt.Sprintf("x-h-%d", i), Value: "v"}
	}
	return out
}

func costs(n int) []LLMRequestCost {
	out := make([]LLMRequestCost, n)
	for i := range out {
		out[i] = LLMRequestCost{MetadataKey: fmt.Sprintf("key-%d", i), Type: aigv1b1.LLMRequestCostTypeTotalToken}
	}
	return out
}

func TestValidateAcceptsValidSpecs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		mutate func(*Spec)
	}{
		{"a route with one gateway, one rule and two backends is valid", func(*Spec) {}},
		{"a rule without a name is valid", func(s *Spec) { s.Rules[0].Name = "" }},
		{"fifteen rules, the most a route can have, are valid", func(s *Spec) { s.Rules = rules(maxRules) }},
		{"sixteen gateways are valid", func(s *Spec) { s.Gateways = gateways(maxGateways) }},
		{"sixteen hostnames, wildcards included, are valid", func(s *Spec) {
			s.Hostnames = append(numbered("h%d.example.com", maxHostnames-1), "*.ai.example.com")
		}},
		{"128 models in one rule are valid", func(s *Spec) { s.Rules[0].Models = numbered("m-%d", maxMatches) }},
		{"128 backends in one rule are valid", func(s *Spec) { s.Rules[0].Backends = backends(maxBackends) }},
		{"fifteen extra headers are valid", func(s *Spec) { s.Rules[0].Headers = headers(maxHeaders - 1) }},
		{"36 costs are valid", func(s *Spec) { s.LLMRequestCosts = costs(maxCosts) }},
		{"a model pattern that matches every model is valid", func(s *Spec) {
			s.Rules[0].Models, s.Rules[0].ModelPattern = nil, ".*"
		}},
		{"model names of every upstream provider are valid", func(s *Spec) {
			s.Rules[0].Models = []string{"us.amazon.nova-micro-v1:0", "claude-3-7-sonnet@20250219", "Qwen/Qwen2.5-0.5B-Instruct", "modèle-été"}
		}},
		{"a backendRequest timeout equal to the request timeout is valid", func(s *Spec) {
			s.Rules[0].Timeouts = &Timeouts{Request: "1m", BackendRequest: "60s"}
		}},
		{"a backendRequest timeout longer than a disabled request timeout is valid", func(s *Spec) {
			s.Rules[0].Timeouts = &Timeouts{Request: "0s", BackendRequest: "1h"}
		}},
		{"a backendRequest timeout alone is valid", func(s *Spec) {
			s.Rules[0].Timeouts = &Timeouts{BackendRequest: "99999h99999m99999s99999ms"}
		}},
		{"weights of 0 and 1000000 and a failover priority are valid", func(s *Spec) {
			s.Rules[0].Backends[0].Weight = ptr(int32(0))
			s.Rules[0].Backends[1].Weight = ptr(int32(maxWeight))
			s.Rules[0].Backends[1].Priority = ptr(uint32(math.MaxInt32))
		}},
		{"one gateway on two listeners is valid", func(s *Spec) {
			s.Gateways = []GatewayRef{{Name: "gw", SectionName: "http"}, {Name: "gw", SectionName: "https"}}
		}},
		{"a gateway in the route's namespace and one of the same name elsewhere are valid", func(s *Spec) {
			s.Gateways = []GatewayRef{{Name: "gw"}, {Name: "gw", Namespace: "infra"}}
		}},
		{"the same model in two rules with different headers is valid", func(s *Spec) {
			s.Rules = append(s.Rules, Rule{
				Models:   []string{"gpt-4o"},
				Headers:  []HeaderMatch{{Name: "x-tier", Value: "premium"}},
				Backends: []Backend{{Provider: "openai-premium"}},
			})
		}},
		{"exact and regular-expression header matches are valid", func(s *Spec) {
			s.Rules[0].Headers = []HeaderMatch{
				{Name: "x-team", Value: "a"},
				{Name: "X-Tier", Value: "gold|platinum", Type: gwapiv1.HeaderMatchRegularExpression},
				{Name: "x-exact", Value: "1", Type: gwapiv1.HeaderMatchExact},
			}
		}},
		{"a cross-namespace backend with a model name override is valid", func(s *Spec) {
			s.Rules[0].Backends[0] = Backend{Provider: "openai", Namespace: "shared", ModelNameOverride: "gpt-4o-2024-08-06"}
		}},
		{"every cost type, with cel for CEL only, is valid", func(s *Spec) {
			for i, ct := range costTypes {
				c := LLMRequestCost{MetadataKey: fmt.Sprintf("k%d", i), Type: ct}
				if ct == aigv1b1.LLMRequestCostTypeCEL {
					c.CEL = "input_tokens + output_tokens * 4"
				}
				s.LLMRequestCosts = append(s.LLMRequestCosts, c)
			}
		}},
		{"a stream idle timeout is valid", func(s *Spec) { s.Rules[0].StreamIdleTimeout = "30s" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := validSpec()
			tc.mutate(&s)
			if errs := Validate(testNamespace, s); len(errs) > 0 {
				t.Fatalf("Validate() = %v, want no errors", errs)
			}
		})
	}
}

func TestValidateRejectsInvalidSpecs(t *testing.T) {
	for _, tc := range []struct {
		name      string
		namespace string // testNamespace when empty
		mutate    func(*Spec)
		wantPath  string
		wantMsg   string
		wantCount int // 1 when 0
	}{
		// Namespace and name.
		{name: "a missing namespace", namespace: "-", mutate: func(*Spec) {}, wantPath: "namespace", wantMsg: "Required value"},
		{name: "a namespace that is not a DNS label", namespace: "Team_A", mutate: func(*Spec) {}, wantPath: "namespace", wantMsg: "RFC 1123 label"},
		{name: "a missing name", mutate: func(s *Spec) { s.Name = "" }, wantPath: "name", wantMsg: "Required value"},
		{name: "an upper-case name", mutate: func(s *Spec) { s.Name = "Chat" }, wantPath: "name", wantMsg: "RFC 1123 subdomain"},
		{name: "a name longer than a label value", mutate: func(s *Spec) { s.Name = strings.Repeat("a", 64) }, wantPath: "name", wantMsg: "may not be more than 63 bytes (the name is also the value of the aigw-console.io/route label)"},
		{name: "a name in the controller's reserved ai-eg- prefix", mutate: func(s *Spec) { s.Name = "ai-eg-chat" }, wantPath: "name", wantMsg: "reserved for the objects the AI Gateway controller generates"},

		// Gateways.
		{name: "no gateways", mutate: func(s *Spec) { s.Gateways = nil }, wantPath: "gateways", wantMsg: "at least one Gateway"},
		{name: "seventeen gateways", mutate: func(s *Spec) { s.Gateways = gateways(maxGateways + 1) }, wantPath: "gateways", wantMsg: "must have at most 16 items"},
		{name: "a gateway without a name", mutate: func(s *Spec) { s.Gateways[0].Name = "" }, wantPath: "gateways[0].name", wantMsg: "Required value"},
		{name: "a gateway name with an underscore", mutate: func(s *Spec) { s.Gateways[0].Name = "ai_gateway" }, wantPath: "gateways[0].name", wantMsg: "RFC 1123 subdomain"},
		{name: "a gateway namespace that is not a DNS label", mutate: func(s *Spec) { s.Gateways[0].Namespace = "gateways.infra" }, wantPath: "gateways[0].namespace", wantMsg: "must not contain dots"},
		{name: "an upper-case section name", mutate: func(s *Spec) { s.Gateways[0].SectionName = "HTTP" }, wantPath: "gateways[0].sectionName", wantMsg: "RFC 1123 subdomain"},
		{name: "one gateway twice, once without a section name", mutate: func(s *Spec) {
			s.Gateways = []GatewayRef{{Name: "gw", SectionName: "http"}, {Name: "gw", Namespace: testNamespace}}
		}, wantPath: "gateways[1].sectionName", wantMsg: msgSameParent},
		{name: "one gateway and listener twice", mutate: func(s *Spec) {
			s.Gateways = []GatewayRef{{Name: "gw", SectionName: "http"}, {Name: "gw", SectionName: "http"}}
		}, wantPath: "gateways[1]", wantMsg: "Duplicate value"},

		// Hostnames.
		{name: "seventeen hostnames", mutate: func(s *Spec) { s.Hostnames = numbered("h%d.example.com", maxHostnames+1) }, wantPath: "hostnames", wantMsg: "must have at most 16 items"},
		{name: "an upper-case hostname", mutate: func(s *Spec) { s.Hostnames = []string{"AI.example.com"} }, wantPath: "hostnames[0]", wantMsg: "lowercase RFC 1123 host name"},
		{name: "a wildcard that is not the first label", mutate: func(s *Spec) { s.Hostnames = []string{"ai.*.example.com"} }, wantPath: "hostnames[0]", wantMsg: "wildcard"},
		{name: "an IP address as hostname", mutate: func(s *Spec) { s.Hostnames = []string{"10.0.0.1"} }, wantPath: "hostnames[0]", wantMsg: "not an IP address"},
		{name: "an empty hostname", mutate: func(s *Spec) { s.Hostnames = []string{""} }, wantPath: "hostnames[0]", wantMsg: "Required value"},
		{name: "a hostname longer than 253 characters", mutate: func(s *Spec) { s.Hostnames = []string{strings.Repeat("a.", 127)} }, wantPath: "hostnames[0]", wantMsg: "may not be more than 253"},
		{name: "a hostname twice", mutate: func(s *Spec) { s.Hostnames = []string{"ai.example.com", "ai.example.com"} }, wantPath: "hostnames[1]", wantMsg: "Duplicate value"},

		// Rules.
		{name: "no rules", mutate: func(s *Spec) { s.Rules = nil }, wantPath: "rules", wantMsg: "at least one rule"},
		{name: "sixteen rules", mutate: func(s *Spec) { s.Rules = rules(maxRules + 1) }, wantPath: "rules", wantMsg: "must have at most 15 items: an HTTPRoute holds 16 rules and the AI Gateway controller adds the 16th, route-not-found"},
		{name: "two rules with the same name", mutate: func(s *Spec) {
			s.Rules = rules(2)
			s.Rules[1].Name = s.Rules[0].Name
		}, wantPath: "rules[1].name", wantMsg: msgRuleNameUnique},
		{name: "a rule named route-not-found", mutate: func(s *Spec) { s.Rules[0].Name = "route-not-found" }, wantPath: "rules[0].name", wantMsg: msgRuleNameReserved},
		{name: "a rule name with an underscore", mutate: func(s *Spec) { s.Rules[0].Name = "gpt_4o" }, wantPath: "rules[0].name", wantMsg: "RFC 1123 subdomain"},

		// Models.
		{name: "neither models nor a model pattern", mutate: func(s *Spec) { s.Rules[0].Models = nil }, wantPath: "rules[0].models", wantMsg: "or set modelPattern"},
		{name: "both models and a model pattern", mutate: func(s *Spec) { s.Rules[0].ModelPattern = "gpt-.*" }, wantPath: "rules[0].modelPattern", wantMsg: "mutually exclusive"},
		{name: "a model pattern that does not compile", mutate: func(s *Spec) {
			s.Rules[0].Models, s.Rules[0].ModelPattern = nil, "gpt-(4o"
		}, wantPath: "rules[0].modelPattern", wantMsg: "must be an RE2 regular expression: error parsing regexp: missing closing )"},
		{name: "a model pattern with a lookahead, which RE2 lacks", mutate: func(s *Spec) {
			s.Rules[0].Models, s.Rules[0].ModelPattern = nil, "gpt(?!-3)"
		}, wantPath: "rules[0].modelPattern", wantMsg: "RE2"},
		{name: "a model pattern longer than 4096 characters", mutate: func(s *Spec) {
			s.Rules[0].Models, s.Rules[0].ModelPattern = nil, strings.Repeat("a", maxValueLen+1)
		}, wantPath: "rules[0].modelPattern", wantMsg: "may not be more than 4096"},
		{name: "129 models in one rule", mutate: func(s *Spec) { s.Rules[0].Models = numbered("m-%d", maxMatches+1) }, wantPath: "rules[0].models", wantMsg: "must have at most 128 items: each model is one match"},
		{name: "an empty model", mutate: func(s *Spec) { s.Rules[0].Models[1] = "" }, wantPath: "rules[0].models[1]", wantMsg: "Required value"},
		{name: "a model with a control character", mutate: func(s *Spec) { s.Rules[0].Models[0] = "gpt\x004o" }, wantPath: "rules[0].models[0]", wantMsg: msgControlCharacters},
		{name: "a model with a line break", mutate: func(s *Spec) { s.Rules[0].Models[0] = "gpt-4o\nx" }, wantPath: "rules[0].models[0]", wantMsg: msgControlCharacters},
		{name: "a model with surrounding spaces", mutate: func(s *Spec) { s.Rules[0].Models[0] = " gpt-4o" }, wantPath: "rules[0].models[0]", wantMsg: "must not start or end with whitespace"},
		{name: "a model longer than 4096 characters", mutate: func(s *Spec) { s.Rules[0].Models[0] = strings.Repeat("m", maxValueLen+1) }, wantPath: "rules[0].models[0]", wantMsg: "may not be more than 4096"},
		{name: "a model twice in one rule", mutate: func(s *Spec) { s.Rules[0].Models[1] = "gpt-4o" }, wantPath: "rules[0].models[1]", wantMsg: "Duplicate value"},
		{name: "a model in two rules with the same headers", mutate: func(s *Spec) {
			s.Rules = append(s.Rules, Rule{Models: []string{"o3", "gpt-4o-mini"}, Backends: []Backend{{Provider: "azure"}}})
		}, wantPath: "rules[1].models[1]", wantMsg: "rules[0] already routes this model with the same headers"},

		// Extra headers.
		{name: "a header name with a space", mutate: func(s *Spec) { s.Rules[0].Headers = []HeaderMatch{{Name: "x team", Value: "a"}} }, wantPath: "rules[0].headers[0].name", wantMsg: "must be an HTTP header name"},
		{name: "a header without a name", mutate: func(s *Spec) { s.Rules[0].Headers = []HeaderMatch{{Value: "a"}} }, wantPath: "rules[0].headers[0].name", wantMsg: "Required value"},
		{name: "a header name longer than 256 characters", mutate: func(s *Spec) {
			s.Rules[0].Headers = []HeaderMatch{{Name: strings.Repeat("x", maxHeaderLen+1), Value: "a"}}
		}, wantPath: "rules[0].headers[0].name", wantMsg: "may not be more than 256"},
		{name: "the model header as an extra header", mutate: func(s *Spec) {
			s.Rules[0].Headers = []HeaderMatch{{Name: "X-AI-EG-Model", Value: "gpt-4o"}}
		}, wantPath: "rules[0].headers[0].name", wantMsg: "matched through models or modelPattern"},
		{name: "a header twice, in different case", mutate: func(s *Spec) {
			s.Rules[0].Headers = []HeaderMatch{{Name: "x-team", Value: "a"}, {Name: "X-Team", Value: "b"}}
		}, wantPath: "rules[0].headers[1].name", wantMsg: "Duplicate value"},
		{name: "sixteen extra headers", mutate: func(s *Spec) { s.Rules[0].Headers = headers(maxHeaders) }, wantPath: "rules[0].headers", wantMsg: "must have at most 15 items: a match holds 16 headers and the model takes one"},
		{name: "a header match type Prefix", mutate: func(s *Spec) {
			s.Rules[0].Headers = []HeaderMatch{{Name: "x-team", Value: "a", Type: "Prefix"}}
		}, wantPath: "rules[0].headers[0].type", wantMsg: `Unsupported value: "Prefix"`},
		{name: "a header regular expression that does not compile", mutate: func(s *Spec) {
			s.Rules[0].Headers = []HeaderMatch{{Name: "x-team", Value: "[a", Type: gwapiv1.HeaderMatchRegularExpression}}
		}, wantPath: "rules[0].headers[0].value", wantMsg: "RE2"},
		{name: "a header without a value", mutate: func(s *Spec) { s.Rules[0].Headers = []HeaderMatch{{Name: "x-team"}} }, wantPath: "rules[0].headers[0].value", wantMsg: "Required value"},

		// Backends.
		{name: "a rule without backends", mutate: func(s *Spec) { s.Rules[0].Backends = nil }, wantPath: "rules[0].backends", wantMsg: "at least one backend is required"},
		{name: "129 backends in one rule", mutate: func(s *Spec) { s.Rules[0].Backends = backends(maxBackends + 1) }, wantPath: "rules[0].backends", wantMsg: "must have at most 128 items"},
		{name: "a backend without a provider", mutate: func(s *Spec) { s.Rules[0].Backends[1].Provider = "" }, wantPath: "rules[0].backends[1].provider", wantMsg: "Required value"},
		{name: "an upper-case provider", mutate: func(s *Spec) { s.Rules[0].Backends[0].Provider = "OpenAI" }, wantPath: "rules[0].backends[0].provider", wantMsg: "RFC 1123 subdomain"},
		{name: "a backend namespace that is not a DNS label", mutate: func(s *Spec) { s.Rules[0].Backends[0].Namespace = "Shared" }, wantPath: "rules[0].backends[0].namespace", wantMsg: "RFC 1123 label"},
		{name: "a negative weight", mutate: func(s *Spec) { s.Rules[0].Backends[1].Weight = ptr(int32(-1)) }, wantPath: "rules[0].backends[1].weight", wantMsg: "must be greater than or equal to 0"},
		{name: "a weight above the Gateway API's limit", mutate: func(s *Spec) { s.Rules[0].Backends[0].Weight = ptr(int32(maxWeight + 1)) }, wantPath: "rules[0].backends[0].weight", wantMsg: "must be less than or equal to 1000000"},
		{name: "a priority beyond int32", mutate: func(s *Spec) { s.Rules[0].Backends[0].Priority = ptr(uint32(math.MaxInt32 + 1)) }, wantPath: "rules[0].backends[0].priority", wantMsg: "must be less than or equal to 2147483647"},
		{name: "a model name override with a control character", mutate: func(s *Spec) { s.Rules[0].Backends[0].ModelNameOverride = "gpt\t4o" }, wantPath: "rules[0].backends[0].modelNameOverride", wantMsg: msgControlCharacters},

		// Durations.
		{name: "a request timeout with a decimal point", mutate: func(s *Spec) { s.Rules[0].Timeouts = &Timeouts{Request: "1.5s"} }, wantPath: "rules[0].timeouts.request", wantMsg: msgDuration},
		{name: "a backendRequest timeout in microseconds", mutate: func(s *Spec) { s.Rules[0].Timeouts = &Timeouts{BackendRequest: "10us"} }, wantPath: "rules[0].timeouts.backendRequest", wantMsg: msgDuration},
		{name: "a duration of five groups", mutate: func(s *Spec) { s.Rules[0].Timeouts = &Timeouts{Request: "1h1m1s1ms1s"} }, wantPath: "rules[0].timeouts.request", wantMsg: msgDuration},
		{name: "a duration group of six digits", mutate: func(s *Spec) { s.Rules[0].Timeouts = &Timeouts{Request: "100000s"} }, wantPath: "rules[0].timeouts.request", wantMsg: msgDuration},
		{name: "a backendRequest timeout longer than the request timeout", mutate: func(s *Spec) {
			s.Rules[0].Timeouts = &Timeouts{Request: "30s", BackendRequest: "1m"}
		}, wantPath: "rules[0].timeouts.backendRequest", wantMsg: msgBackendRequest},
		{name: "a stream idle timeout in words", mutate: func(s *Spec) { s.Rules[0].StreamIdleTimeout = "5 minutes" }, wantPath: "rules[0].streamIdleTimeout", wantMsg: msgDuration},

		// LLM request costs.
		{name: "37 costs", mutate: func(s *Spec) { s.LLMRequestCosts = costs(maxCosts + 1) }, wantPath: "llmRequestCosts", wantMsg: "must have at most 36 items"},
		{name: "an unknown cost type", mutate: func(s *Spec) {
			s.LLMRequestCosts = []LLMRequestCost{{MetadataKey: "k", Type: "Dollars"}}
		}, wantPath: "llmRequestCosts[0].type", wantMsg: `Unsupported value: "Dollars": supported values: "OutputToken", "InputToken"`},
		{name: "a cost without a type", mutate: func(s *Spec) { s.LLMRequestCosts = []LLMRequestCost{{MetadataKey: "k"}} }, wantPath: "llmRequestCosts[0].type", wantMsg: "Required value"},
		{name: "a CEL cost without cel", mutate: func(s *Spec) {
			s.LLMRequestCosts = []LLMRequestCost{{MetadataKey: "k", Type: aigv1b1.LLMRequestCostTypeCEL}}
		}, wantPath: "llmRequestCosts[0].cel", wantMsg: "cel is required when type is CEL"},
		{name: "cel on a token cost", mutate: func(s *Spec) {
			s.LLMRequestCosts = []LLMRequestCost{{MetadataKey: "k", Type: aigv1b1.LLMRequestCostTypeInputToken, CEL: "input_tokens"}}
		}, wantPath: "llmRequestCosts[0].cel", wantMsg: "cel is only used when type is CEL"},
		{name: "a cost without a metadata key", mutate: func(s *Spec) {
			s.LLMRequestCosts = []LLMRequestCost{{Type: aigv1b1.LLMRequestCostTypeInputToken}}
		}, wantPath: "llmRequestCosts[0].metadataKey", wantMsg: "Required value"},
		{name: "a metadata key twice", mutate: func(s *Spec) {
			s.LLMRequestCosts = costs(2)
			s.LLMRequestCosts[1].MetadataKey = s.LLMRequestCosts[0].MetadataKey
		}, wantPath: "llmRequestCosts[1].metadataKey", wantMsg: "Duplicate value"},

		// More than one mistake at once.
		{name: "a rule with every field wrong reports each", mutate: func(s *Spec) {
			s.Rules[0] = Rule{
				Name:              "route-not-found",
				Models:            []string{""},
				Headers:           []HeaderMatch{{Name: "bad name", Value: "v"}},
				Timeouts:          &Timeouts{Request: "1s", BackendRequest: "2s"},
				StreamIdleTimeout: "1d",
			}
		}, wantPath: "rules[0].timeouts.backendRequest", wantMsg: msgBackendRequest, wantCount: 6},
	} {
		t.Run("rejects "+tc.name, func(t *testing.T) {
			ns := tc.namespace
			switch ns {
			case "":
				ns = testNamespace
			case "-":
				ns = ""
			}
			s := validSpec()
			tc.mutate(&s)
			errs := Validate(ns, s)
			wantCount := max(tc.wantCount, 1)
			if len(errs) != wantCount {
				t.Errorf("Validate() returned %d errors, want %d:\n%s", len(errs), wantCount, errorLines(errs))
			}
			if !hasError(errs, tc.wantPath, tc.wantMsg) {
				t.Errorf("Validate() has no error at %q containing %q; got:\n%s", tc.wantPath, tc.wantMsg, errorLines(errs))
			}
			// Render refuses what Validate rejects.
			if _, err := Render(ns, s); err == nil {
				t.Error("Render() accepted an invalid spec")
			}
		})
	}
}

func hasError(errs field.ErrorList, path, msg string) bool {
	for _, e := range errs {
		if e.Field == path && strings.Contains(e.Error(), msg) {
			return true
		}
	}
	return false
}

func errorLines(errs field.ErrorList) string {
	lines := make([]string, 0, len(errs))
	for _, e := range errs {
		lines = append(lines, "  "+e.Error())
	}
	return strings.Join(lines, "\n")
}
