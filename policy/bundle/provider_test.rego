package aigw.provider_test

import data.aigw.fixtures_test as f
import data.aigw.provider

test_labelled_provider_allowed if {
	count(provider.deny) == 0 with input as f.create(f.provider)
}

test_missing_label_denied if {
	unlabelled := json.remove(f.backend, ["metadata/labels"])
	f.fields(provider.deny) == {"Backend/openai: metadata.labels"} with input as f.create([f.route, unlabelled])
}

test_empty_label_denied if {
	blank := json.patch(f.backend, [{"op": "replace", "path": "/metadata/labels/aigw-console.io~1provider", "value": ""}])
	f.fields(provider.deny) == {"Backend/openai: metadata.labels"} with input as f.create([f.route, blank])
}

test_mixed_labels_denied if {
	other := json.patch(f.backend, [{"op": "replace", "path": "/metadata/labels/aigw-console.io~1provider", "value": "azure"}])
	f.fields(provider.deny) == {
		`AIGatewayRoute/openai: metadata.labels["aigw-console.io/provider"]`,
		`Backend/openai: metadata.labels["aigw-console.io/provider"]`,
	} with input as f.create([f.route, other])
}

test_route_request_not_checked if {
	unlabelled := json.remove(f.route, ["metadata/labels"])
	count(provider.deny) == 0 with input as f.with_op([unlabelled], "create", "route")
}

test_delete_not_checked if {
	unlabelled := json.remove(f.backend, ["metadata/labels"])
	count(provider.deny) == 0 with input as f.with_op([unlabelled], "delete", "provider")
}
