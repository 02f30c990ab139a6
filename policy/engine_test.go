package policy

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/rego"
)

// providerInput returns a fresh copy of the realistic OpenAI provider request
// in testdata, which every default policy allows without warnings.
func providerInput(t testing.TB) Input {
	t.Helper()
	raw, err := os.ReadFile("testdata/provider_openai.json")
	if err != nil {
		t.Fatal(err)
	}
	var in Input
	if err := json.Unmarshal(raw, &in); err != nil {
		t.Fatal(err)
	}
	return in
}

// object returns the first object of kind in objs.
func object(t testing.TB, objs []map[string]any, kind string) map[string]any {
	t.Helper()
	for _, obj := range objs {
		if obj["kind"] == kind {
			return obj
		}
	}
	t.Fatalf("no %s in input", kind)
	return nil
}

// at walks obj along keys (string) and indexes (int) to a JSON object.
func at(t testing.TB, obj any, path ...any) map[string]any {
	t.Helper()
	for _, p := range path {
		switch p := p.(type) {
		case string:
			obj = obj.(map[string]any)[p]
		case int:
			obj = obj.([]any)[p]
		}
	}
	m, ok := obj.(map[string]any)
	if !ok {
		t.Fatalf("%v is %T, not an object", path, obj)
	}
	return m
}

// without returns objs minus the objects of kind.
func without(objs []map[string]any, kind string) []map[string]any {
	var out []map[string]any
	for _, obj := range objs {
		if obj["kind"] != kind {
			out = append(out, obj)
		}
	}
	return out
}

func newEngine(t testing.TB, opts Options) *Engine {
	t.Helper()
	e, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return e
}

// want is a violation expected by a table test: the message only has to
// contain Msg, so the tests do not freeze the wording.
type want struct{ Policy, Field, Msg string }

func diffViolations(t *testing.T, kind string, wants []want, got []Violation) {
	t.Helper()
	var gotShort, wantShort []string
	for _, v := range got {
		gotShort = append(gotShort, v.Policy+" "+v.Field)
	}
	for i, w := range wants {
		wantShort = append(wantShort, w.Policy+" "+w.Field)
		if i < len(got) && !strings.Contains(got[i].Message, w.Msg) {
			t.Errorf("%s[%d] message %q does not contain %q", kind, i, got[i].Message, w.Msg)
		}
	}
	if diff := cmp.Diff(wantShort, gotShort); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", kind, diff)
	}
}

func TestEvaluateDefaultRules(t *testing.T) {
	e := newEngine(t, Options{})
	tests := []struct {
		name     string
		change   func(t *testing.T, in *Input)
		wantDeny []want
		wantWarn []want
	}{{
		name:   "a complete provider passes every default rule",
		change: func(*testing.T, *Input) {},
	}, {
		name: "a public backend without a BackendTLSPolicy is denied",
		change: func(t *testing.T, in *Input) {
			in.Objects = without(in.Objects, "BackendTLSPolicy")
		},
		wantDeny: []want{{"aigw.tls", "Backend/openai: spec.endpoints[0].fqdn", "outside the cluster and would be reached over plain HTTP"}},
	}, {
		name: "a public backend whose BackendTLSPolicy is already live passes",
		change: func(t *testing.T, in *Input) {
			in.Live = append(in.Live, object(t, in.Objects, "BackendTLSPolicy"))
			in.Objects = without(in.Objects, "BackendTLSPolicy")
		},
	}, {
		name: "plain HTTP to an in-cluster Service passes",
		change: func(t *testing.T, in *Input) {
			in.Objects = without(in.Objects, "BackendTLSPolicy")
			at(t, object(t, in.Objects, "Backend"), "spec", "endpoints", 0)["fqdn"] = map[string]any{"hostname": "vllm.models.svc.cluster.local", "port": 80}
		},
	}, {
		name: "a BackendTLSPolicy verifying another hostname is denied",
		change: func(t *testing.T, in *Input) {
			at(t, object(t, in.Objects, "BackendTLSPolicy"), "spec", "validation")["hostname"] = "openai.com"
		},
		wantDeny: []want{{"aigw.tls", "BackendTLSPolicy/openai-tls: spec.validation.hostname", "validation.hostname openai.com is not a hostname of Backend/openai (api.openai.com)"}},
	}, {
		name: "insecureSkipVerify is denied",
		change: func(t *testing.T, in *Input) {
			at(t, object(t, in.Objects, "Backend"), "spec")["tls"] = map[string]any{"insecureSkipVerify": true}
		},
		wantDeny: []want{{"aigw.tls", "Backend/openai: spec.tls.insecureSkipVerify", "turns off certificate verification"}},
	}, {
		name: "a provider object without the ownership label is denied",
		change: func(t *testing.T, in *Input) {
			delete(at(t, object(t, in.Objects, "AIServiceBackend"), "metadata", "labels"), "aigw-console.io/provider")
		},
		wantDeny: []want{{"aigw.provider", "AIServiceBackend/openai: metadata.labels", "has no aigw-console.io/provider label"}},
	}, {
		name: "a secret reference into another namespace is denied",
		change: func(t *testing.T, in *Input) {
			at(t, object(t, in.Objects, "BackendSecurityPolicy"), "spec", "apiKey", "secretRef")["namespace"] = "platform"
		},
		wantDeny: []want{{"aigw.secrets", "BackendSecurityPolicy/openai-apikey: spec.apiKey.secretRef.namespace", `points into namespace "platform"`}},
	}, {
		name: "a live Secret without the key the policy type reads is denied",
		change: func(t *testing.T, in *Input) {
			in.Live[0]["data"] = map[string]any{"api_key": "c2stdGVzdA=="}
		},
		wantDeny: []want{{"aigw.secrets", "BackendSecurityPolicy/openai-apikey: spec.apiKey.secretRef", `Secret team-a/openai-apikey has no key "apiKey"`}},
	}, {
		name: "a catch-all model pattern is denied",
		change: func(t *testing.T, in *Input) {
			at(t, object(t, in.Objects, "AIGatewayRoute"), "spec", "rules", 1, "matches", 0, "headers", 0)["value"] = ".*"
		},
		wantDeny: []want{{"aigw.route", "AIGatewayRoute/openai: spec.rules[1].matches[0].headers[0].value", `x-ai-eg-model pattern ".*" matches every model`}},
	}, {
		name: "an annotated catch-all model pattern passes",
		change: func(t *testing.T, in *Input) {
			route := object(t, in.Objects, "AIGatewayRoute")
			at(t, route, "spec", "rules", 1, "matches", 0, "headers", 0)["value"] = ".*"
			at(t, route, "metadata")["annotations"] = map[string]any{"aigw-console.io/allow-catch-all": "true"}
		},
	}, {
		name: "a blank model value is denied",
		change: func(t *testing.T, in *Input) {
			at(t, object(t, in.Objects, "AIGatewayRoute"), "spec", "rules", 0, "matches", 0, "headers", 0)["value"] = " "
		},
		wantDeny: []want{{"aigw.route", "AIGatewayRoute/openai: spec.rules[0].matches[0].headers[0].value", "value is blank"}},
	}, {
		name: "a rule without a request timeout warns but passes",
		change: func(t *testing.T, in *Input) {
			delete(at(t, object(t, in.Objects, "AIGatewayRoute"), "spec", "rules", 0), "timeouts")
		},
		wantWarn: []want{{"aigw.route", "AIGatewayRoute/openai: spec.rules[0].timeouts.request", "applies 60s"}},
	}, {
		name: "several violations come sorted by field, then message",
		change: func(t *testing.T, in *Input) {
			in.Objects = without(in.Objects, "BackendTLSPolicy")
			at(t, object(t, in.Objects, "Backend"), "spec")["tls"] = map[string]any{"insecureSkipVerify": true}
			delete(at(t, object(t, in.Objects, "Backend"), "metadata", "labels"), "aigw-console.io/provider")
		},
		wantDeny: []want{
			{"aigw.provider", "Backend/openai: metadata.labels", "label"},
			{"aigw.tls", "Backend/openai: spec.endpoints[0].fqdn", "plain HTTP"},
			{"aigw.tls", "Backend/openai: spec.tls.insecureSkipVerify", "insecureSkipVerify"},
		},
	}, {
		name: "deleting a provider is not held to the rules about what is written",
		change: func(t *testing.T, in *Input) {
			in.Operation = "delete"
			in.Objects = without(in.Objects, "BackendTLSPolicy")
			delete(at(t, object(t, in.Objects, "AIGatewayRoute"), "spec", "rules", 0), "timeouts")
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := providerInput(t)
			tt.change(t, &in)
			got, err := e.Evaluate(context.Background(), in)
			if err != nil {
				t.Fatalf("Evaluate: %v", err)
			}
			diffViolations(t, "deny", tt.wantDeny, got.Deny)
			diffViolations(t, "warn", tt.wantWarn, got.Warn)
			if got.Allowed() != (len(tt.wantDeny) == 0) {
				t.Errorf("Allowed() = %v with %d denials", got.Allowed(), len(got.Deny))
			}
			if got.Revision != e.Revision() {
				t.Errorf("Decision.Revision = %q, want the engine's %q", got.Revision, e.Revision())
			}
		})
	}
}

func TestDecisionErr(t *testing.T) {
	if err := (Decision{}).Err(); err != nil {
		t.Errorf("an allowed decision returned %v", err)
	}
	d := Decision{Revision: "abc", Deny: []Violation{
		{Field: "Backend/openai: spec.tls", Message: "no TLS", Policy: "aigw.tls"},
		{Message: "policy broken", Policy: "aigw.team"},
	}}
	var denied *DeniedError
	if !errors.As(d.Err(), &denied) {
		t.Fatalf("Err() = %v, want a *DeniedError", d.Err())
	}
	if diff := cmp.Diff(d.Deny, denied.Violations); diff != "" || denied.Revision != "abc" {
		t.Errorf("DeniedError carries the wrong data (-want +got):\n%s", diff)
	}
	want := "denied by policy (2 violations): Backend/openai: spec.tls: no TLS; policy broken"
	if got := denied.Error(); got != want {
		t.Errorf("Error() = %q, want %q", got, want)
	}
	one := &DeniedError{Violations: d.Deny[:1]}
	if got := one.Error(); got != "denied by policy (1 violation): Backend/openai: spec.tls: no TLS" {
		t.Errorf("Error() = %q", got)
	}
}

// writePolicy writes a .rego file into dir and returns its path.
func writePolicy(t testing.TB, dir, name, text string) string {
	t.Helper()
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestTeamPolicies(t *testing.T) {
	dir := t.TempDir()
	writePolicy(t, dir, "team_x.rego", `package aigw.team_x

deny contains {"msg": "team x allows only Anthropic", "field": "AIServiceBackend/openai: spec.schema.name"} if {
	some obj in input.objects
	obj.kind == "AIServiceBackend"
	obj.spec.schema.name != "Anthropic"
}

warn contains {"msg": sprintf("requested by %s", [input.user.name]), "field": "", "severity": "info"}
`)
	writePolicy(t, dir, "nested.rego", `package aigw

# A ref head puts the rule at data.aigw.nested.deny.
nested.deny contains {"msg": "nested rule", "field": "AIGatewayRoute/openai: spec"} if input.kind == "provider"
`)
	writePolicy(t, dir, "elsewhere.rego", `package elsewhere

deny contains {"msg": "outside data.aigw, ignored", "field": ""}
`)
	writePolicy(t, dir, "team_x_test.rego", `package aigw.team_x_test

this is not Rego, and it is not loaded for evaluation
`)
	writePolicy(t, dir, "README.md", "not a policy")

	e := newEngine(t, Options{Dir: dir, DisableDefaults: true})
	got, err := e.Evaluate(context.Background(), providerInput(t))
	if err != nil {
		t.Fatal(err)
	}
	want := Decision{
		Deny: []Violation{
			{Field: "AIGatewayRoute/openai: spec", Message: "nested rule", Policy: "aigw.nested"},
			{Field: "AIServiceBackend/openai: spec.schema.name", Message: "team x allows only Anthropic", Policy: "aigw.team_x"},
		},
		Warn:     []Violation{{Message: "requested by alice@example.com", Policy: "aigw.team_x"}},
		Revision: e.Revision(),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Evaluate mismatch (-want +got):\n%s", diff)
	}
}

func TestMalformedTeamOutputIsADenial(t *testing.T) {
	dir := t.TempDir()
	writePolicy(t, dir, "team_x.rego", `package aigw.team_x

deny contains "a plain string"

deny contains {"field": "Backend/openai: spec"}

warn contains {"msg": 42, "field": "Backend/openai: spec"}

warn contains {"msg": "no field"}
`)
	writePolicy(t, dir, "team_y.rego", `package aigw.team_y

default deny := false
`)
	writePolicy(t, dir, "team_z.rego", `package aigw.team_z

deny contains x if {
	some x in ["never"]
	input.kind == "no such kind"
}
`)
	e := newEngine(t, Options{Dir: dir, DisableDefaults: true})
	got, err := e.Evaluate(context.Background(), providerInput(t))
	if err != nil {
		t.Fatal(err)
	}
	var msgs []string
	for _, v := range got.Deny {
		if v.Field != "" {
			t.Errorf("malformed result %q has field %q, want none", v.Message, v.Field)
		}
		msgs = append(msgs, v.Policy+": "+v.Message)
	}
	wantMsgs := []string{
		`aigw.team_x: policy aigw.team_x is malformed: deny has an element a string "a plain string" shaped {"msg": string, "field": string}`,
		`aigw.team_x: policy aigw.team_x is malformed: deny has an element an object {"field":"Backend/openai: spec"} without a non-empty string "msg" shaped {"msg": string, "field": string}`,
		`aigw.team_x: policy aigw.team_x is malformed: warn has an element an object {"field":"Backend/openai: spec","msg":42} without a non-empty string "msg" shaped {"msg": string, "field": string}`,
		`aigw.team_x: policy aigw.team_x is malformed: warn has an element an object {"msg":"no field"} without a string "field" shaped {"msg": string, "field": string}`,
		`aigw.team_y: policy aigw.team_y is malformed: deny is a boolean false, want a set of objects shaped {"msg": string, "field": string}`,
	}
	if diff := cmp.Diff(wantMsgs, msgs); diff != "" {
		t.Errorf("malformed outputs (-want +got):\n%s", diff)
	}
	if len(got.Warn) != 0 {
		t.Errorf("malformed warnings must become denials, got warnings %v", got.Warn)
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		value any
		want  string
	}{
		{nil, "null"},
		{json.Number("1.5"), "a number 1.5"},
		{[]any{1, 2}, "an array [1,2]"},
		{func() {}, "a value"},
		{strings.Repeat("x", 100), `a string "` + strings.Repeat("x", 59) + "..."},
	}
	for _, tt := range tests {
		if got := describe(tt.value); got != tt.want {
			t.Errorf("describe(%T) = %q, want %q", tt.value, got, tt.want)
		}
	}
}

func TestNewRejectsBadPolicies(t *testing.T) {
	tests := []struct {
		name, file, text string
		wantErr          []string
	}{{
		name:    "a syntax error names the file and line",
		file:    "broken.rego",
		text:    "package aigw.team_x\n\ndeny contains {\"msg\": }\n\nwarn contains 1\n",
		wantErr: []string{"broken.rego:3", "rego_parse_error"},
	}, {
		name:    "Rego v0 syntax is refused",
		file:    "old.rego",
		text:    "package aigw.team_x\n\ndeny[msg] { msg := \"x\" }\n",
		wantErr: []string{"old.rego:3"},
	}, {
		name:    "an unknown function names the file and line",
		file:    "undefined.rego",
		text:    "package aigw.team_x\n\ndeny contains {\"msg\": no_such_function(1), \"field\": \"\"}\n",
		wantErr: []string{"undefined.rego:3", "no_such_function"},
	}, {
		name:    "network access is refused",
		file:    "network.rego",
		text:    "package aigw.team_x\n\ndeny contains {\"msg\": r.body, \"field\": \"\"} if r := http.send({\"method\": \"get\", \"url\": \"http://x\"})\n",
		wantErr: []string{"network.rego:3", "http.send"},
	}, {
		name:    "an empty file is refused",
		file:    "empty.rego",
		text:    "",
		wantErr: []string{"empty.rego"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writePolicy(t, dir, tt.file, tt.text)
			_, err := New(context.Background(), Options{Dir: dir})
			if err == nil {
				t.Fatal("New accepted the policy")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("a missing directory is an error", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "missing")
		_, err := New(context.Background(), Options{Dir: dir})
		if err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("New = %v, want an error naming %s", err, dir)
		}
	})
}

func TestEvaluateNeverSeesSecretValues(t *testing.T) {
	dir := t.TempDir()
	writePolicy(t, dir, "leak.rego", `package aigw.leak

deny contains {"msg": json.marshal(obj), "field": ""} if {
	some obj in array.concat(input.objects, input.live)
	obj.kind == "Secret"
}
`)
	e := newEngine(t, Options{Dir: dir, DisableDefaults: true})
	in := providerInput(t)
	in.Objects = append(in.Objects, map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata":   map[string]any{"name": "typed"},
		"stringData": map[string]string{"apiKey": "sk-test-TYPED"},
		"data":       map[string][]byte{"token": []byte("sk-test-BYTES")},
	})
	got, err := e.Evaluate(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Deny) != 2 {
		t.Fatalf("want one denial per Secret, got %v", got.Deny)
	}
	for _, v := range got.Deny {
		for _, secret := range []string{"c2stdGVzdC1ET05PVExFQUs=", "sk-test-TYPED", "sk-test-BYTES"} {
			if strings.Contains(v.Message, secret) {
				t.Errorf("a secret value reached the policy: %s", v.Message)
			}
		}
	}
	if !strings.Contains(got.Deny[0].Message+got.Deny[1].Message, `"apiKey":""`) {
		t.Errorf("Secret keys must stay visible to policies: %v", got.Deny)
	}
	if in.Live[0]["data"].(map[string]any)["apiKey"] != "c2stdGVzdC1ET05PVExFQUs=" {
		t.Error("Evaluate modified the caller's Secret")
	}
}

func TestDirMayBeASymlink(t *testing.T) {
	real := t.TempDir()
	writePolicy(t, real, "team_x.rego", `package aigw.team_x

deny contains {"msg": "frozen", "field": ""}
`)
	link := filepath.Join(t.TempDir(), "policies")
	if err := os.Symlink(real, link); err != nil {
		t.Fatal(err)
	}
	e := newEngine(t, Options{Dir: link, DisableDefaults: true})
	got, err := e.Evaluate(context.Background(), providerInput(t))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]Violation{{Message: "frozen", Policy: "aigw.team_x"}}, got.Deny); diff != "" {
		t.Errorf("the linked directory was not loaded (-want +got):\n%s", diff)
	}
}

func TestEvaluateWithoutPolicies(t *testing.T) {
	e := newEngine(t, Options{DisableDefaults: true})
	got, err := e.Evaluate(context.Background(), Input{})
	if err != nil {
		t.Fatal(err)
	}
	if !got.Allowed() || len(got.Warn) != 0 {
		t.Errorf("no policies must allow everything, got %+v", got)
	}
}

func TestEvaluateRespectsContext(t *testing.T) {
	e := newEngine(t, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.Evaluate(ctx, providerInput(t))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Evaluate with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestEvaluateRuntimeErrorIsAnError(t *testing.T) {
	dir := t.TempDir()
	writePolicy(t, dir, "conflict.rego", `package aigw.team_x

# Two different values for one complete rule: a runtime conflict.
kind := obj.kind if some obj in input.objects

deny contains {"msg": kind, "field": ""}
`)
	e := newEngine(t, Options{Dir: dir, DisableDefaults: true})
	_, err := e.Evaluate(context.Background(), providerInput(t))
	if err == nil || !strings.Contains(err.Error(), "conflict.rego:4") {
		t.Errorf("Evaluate = %v, want an error naming conflict.rego:4", err)
	}
}

func TestRevisionFollowsContent(t *testing.T) {
	dir := t.TempDir()
	defaults := newEngine(t, Options{}).Revision()
	if again := newEngine(t, Options{Dir: dir}).Revision(); again != defaults {
		t.Errorf("an empty Dir changed the revision: %s != %s", again, defaults)
	}
	writePolicy(t, dir, "team.rego", "package aigw.team\n")
	withTeam := newEngine(t, Options{Dir: dir}).Revision()
	if withTeam == defaults {
		t.Error("adding a file did not change the revision")
	}
	other := t.TempDir()
	writePolicy(t, other, "team.rego", "package aigw.team\n")
	if got := newEngine(t, Options{Dir: other}).Revision(); got != withTeam {
		t.Errorf("the same files in another directory gave revision %s, want %s", got, withTeam)
	}
}

func TestDecide(t *testing.T) {
	// The query's result shape is fixed; anything else is reported, not a panic.
	for name, out := range map[string]any{
		"not an array":    "x",
		"not a triple":    []any{[]any{"aigw.x", "deny"}},
		"not a string":    []any{[]any{1, "deny", []any{}}},
		"not a value set": []any{[]any{"aigw.x", "deny", "x"}},
	} {
		t.Run(name, func(t *testing.T) {
			rs := resultSet(out)
			if _, ok := decide(rs); ok {
				t.Errorf("decide accepted %v", out)
			}
		})
	}
	if _, ok := decide(nil); ok {
		t.Error("decide accepted an empty result set")
	}
}

func resultSet(out any) rego.ResultSet {
	return rego.ResultSet{{Bindings: rego.Vars{"out": out}}}
}
