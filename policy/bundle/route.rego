# Package route checks AIGatewayRoute rules.
#
# Rules:
#   - deny: an x-ai-eg-model match whose value is blank (whitespace passes the
#     CRD's minLength), or a RegularExpression that matches every model, unless
#     the route is annotated aigw-console.io/allow-catch-all: "true". Console
#     Gateways are shared by every provider's route, so a catch-all silently
#     takes traffic meant for other teams.
#   - warn: a rule without timeouts.request. The controller then applies 60s,
#     which cuts off long completions and streams with a 504.
package aigw.route

import data.aigw.lib

deny contains violation if {
	lib.writing
	some match in model_matches
	trim_space(match.value) == ""
	violation := {
		"msg": sprintf("%s match value is blank, so the rule selects no model", [lib.model_header]),
		"field": match.field,
	}
}

deny contains violation if {
	lib.writing
	some match in model_matches
	match.type == "RegularExpression"
	catch_all(match.value)
	not match.catch_all_allowed
	violation := {
		"msg": sprintf(
			"%s pattern %q matches every model and would take traffic meant for other routes on the shared Gateway; match the models this route serves, or annotate the route %s: \"true\"",
			[lib.model_header, match.value, lib.catch_all_annotation],
		),
		"field": match.field,
	}
}

warn contains violation if {
	lib.writing
	some route in input.objects
	route.kind == "AIGatewayRoute"
	some i, rule in route.spec.rules
	not rule.timeouts.request
	violation := {
		"msg": "no request timeout: the gateway applies 60s, which cuts off long completions and streams; set timeouts.request",
		"field": lib.field(route, sprintf("spec.rules[%d].timeouts.request", [i])),
	}
}

# model_matches are the x-ai-eg-model header matches of the change set's
# routes, each with the field path of its value.
model_matches contains match if {
	some route in input.objects
	route.kind == "AIGatewayRoute"
	some i, rule in route.spec.rules
	some j, m in rule.matches
	some k, header in m.headers
	lower(header.name) == lib.model_header
	match := {
		"field": lib.field(route, sprintf("spec.rules[%d].matches[%d].headers[%d].value", [i, j, k])),
		"value": header.value,
		"type": object.get(header, "type", "Exact"),
		"catch_all_allowed": object.get(route, ["metadata", "annotations", lib.catch_all_annotation], "") == "true",
	}
}

# catch_all: Envoy matches the whole header value against RE2, so a pattern
# that fully matches two unrelated model names matches any model.
catch_all(pattern) if {
	anchored := sprintf("^(?:%s)$", [pattern])
	regex.match(anchored, "gpt-4o-mini")
	regex.match(anchored, "zz-unrelated/model:9")
}
