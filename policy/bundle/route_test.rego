package aigw.route_test

import data.aigw.fixtures_test as f
import data.aigw.route

model_field := "AIGatewayRoute/openai: spec.rules[0].matches[0].headers[0].value"

# with_model is the fixture route matching the model header with type and value.
with_model(type, value) := json.patch(f.route, [{
	"op": "replace", "path": "/spec/rules/0/matches/0/headers/0",
	"value": {"type": type, "name": "x-ai-eg-model", "value": value},
}])

test_exact_model_allowed if {
	count(route.deny) == 0 with input as f.create(f.provider)
}

test_blank_model_denied if {
	f.fields(route.deny) == {model_field} with input as f.create([with_model("Exact", "  ")])
}

test_catch_all_patterns_denied if {
	every pattern in [".*", ".+", "^.*$", "(.*)", "[\\s\\S]*", ".*|gpt-4o"] {
		f.fields(route.deny) == {model_field} with input as f.create([with_model("RegularExpression", pattern)])
	}
}

test_specific_patterns_allowed if {
	every pattern in ["gpt-4o.*", "claude-(sonnet|opus)-4-5", "^gpt-"] {
		count(route.deny) == 0 with input as f.create([with_model("RegularExpression", pattern)])
	}
}

test_catch_all_as_exact_value_allowed if {
	count(route.deny) == 0 with input as f.create([with_model("Exact", ".*")])
}

test_header_name_is_case_insensitive if {
	shouting := json.patch(with_model("RegularExpression", ".*"), [{"op": "replace", "path": "/spec/rules/0/matches/0/headers/0/name", "value": "X-AI-EG-Model"}])
	f.fields(route.deny) == {model_field} with input as f.create([shouting])
}

test_other_headers_not_checked if {
	tenant := json.patch(with_model("RegularExpression", ".*"), [{"op": "replace", "path": "/spec/rules/0/matches/0/headers/0/name", "value": "x-tenant"}])
	count(route.deny) == 0 with input as f.create([tenant])
}

test_annotated_catch_all_allowed if {
	annotated := json.patch(with_model("RegularExpression", ".*"), [{"op": "add", "path": "/metadata/annotations", "value": {"aigw-console.io/allow-catch-all": "true"}}])
	count(route.deny) == 0 with input as f.create([annotated])
}

test_missing_request_timeout_warns if {
	no_timeout := json.remove(f.route, ["spec/rules/0/timeouts"])
	f.fields(route.warn) == {"AIGatewayRoute/openai: spec.rules[0].timeouts.request"} with input as f.create([no_timeout])
}

test_request_timeout_set_no_warning if {
	count(route.warn) == 0 with input as f.create(f.provider)
}

test_delete_not_checked if {
	no_timeout := json.remove(with_model("RegularExpression", ".*"), ["spec/rules/0/timeouts"])
	count(route.deny) == 0 with input as f.with_op([no_timeout], "delete", "route")
	count(route.warn) == 0 with input as f.with_op([no_timeout], "delete", "route")
}
