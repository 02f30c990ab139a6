package aigw.tls_test

import data.aigw.fixtures_test as f
import data.aigw.tls

test_public_fqdn_with_tls_policy_allowed if {
	count(tls.deny) == 0 with input as f.create(f.provider)
}

test_public_fqdn_without_tls_denied if {
	f.fields(tls.deny) == {"Backend/openai: spec.endpoints[0].fqdn"} with input as f.create([f.backend])
}

test_tls_policy_in_another_namespace_does_not_count if {
	elsewhere := json.patch(f.tls_policy, [{"op": "add", "path": "/metadata/namespace", "value": "team-b"}])
	f.fields(tls.deny) == {"Backend/openai: spec.endpoints[0].fqdn"} with input as f.create([f.backend, elsewhere])
}

test_live_tls_policy_allowed if {
	count(tls.deny) == 0 with input as f.with_live([f.backend], [f.tls_policy])
}

test_backend_inline_ca_allowed if {
	inline := json.patch(f.backend, [{"op": "add", "path": "/spec/tls", "value": {"wellKnownCACertificates": "System"}}])
	count(tls.deny) == 0 with input as f.create([inline])
}

test_backend_ca_refs_allowed if {
	refs := json.patch(f.backend, [{"op": "add", "path": "/spec/tls", "value": {"caCertificateRefs": [{"name": "ca", "kind": "ConfigMap", "group": ""}]}}])
	count(tls.deny) == 0 with input as f.create([refs])
}

test_cluster_local_plain_http_allowed if {
	local := json.patch(f.backend, [{"op": "replace", "path": "/spec/endpoints/0/fqdn", "value": {"hostname": "vllm.models.svc.cluster.local", "port": 80}}])
	count(tls.deny) == 0 with input as f.create([local])
}

test_public_ip_without_tls_denied if {
	public := json.patch(f.backend, [{"op": "replace", "path": "/spec/endpoints/0", "value": {"ip": {"address": "203.0.113.7", "port": 8000}}}])
	f.fields(tls.deny) == {"Backend/openai: spec.endpoints[0].ip"} with input as f.create([public])
}

test_private_ip_plain_http_allowed if {
	private := json.patch(f.backend, [{"op": "replace", "path": "/spec/endpoints/0", "value": {"ip": {"address": "10.0.4.2", "port": 8000}}}])
	count(tls.deny) == 0 with input as f.create([private])
}

test_delete_not_checked if {
	count(tls.deny) == 0 with input as f.with_op([f.backend], "delete", "provider")
}

test_tls_hostname_mismatch_denied if {
	wrong := json.patch(f.tls_policy, [{"op": "replace", "path": "/spec/validation/hostname", "value": "api.openai.org"}])
	f.fields(tls.deny) == {"BackendTLSPolicy/openai-tls: spec.validation.hostname"} with input as f.create([f.backend, wrong])
}

test_tls_hostname_mismatch_against_live_backend_denied if {
	wrong := json.patch(f.tls_policy, [{"op": "replace", "path": "/spec/validation/hostname", "value": "api.openai.org"}])
	f.fields(tls.deny) == {"BackendTLSPolicy/openai-tls: spec.validation.hostname"} with input as f.with_live([wrong], [f.backend])
}

test_tls_hostname_may_match_endpoint_hostname_field if {
	behind_ip := json.patch(f.backend, [{"op": "replace", "path": "/spec/endpoints/0", "value": {"ip": {"address": "203.0.113.7", "port": 443}, "hostname": "api.openai.com"}}])
	count(tls.deny) == 0 with input as f.create([behind_ip, f.tls_policy])
}

test_tls_policy_for_unknown_backend_not_checked if {
	wrong := json.patch(f.tls_policy, [{"op": "replace", "path": "/spec/validation/hostname", "value": "api.openai.org"}])
	count(tls.deny) == 0 with input as f.create([wrong])
}

test_insecure_skip_verify_denied if {
	insecure := json.patch(f.backend, [{"op": "add", "path": "/spec/tls", "value": {"insecureSkipVerify": true}}])
	f.fields(tls.deny) == {"Backend/openai: spec.tls.insecureSkipVerify"} with input as f.create([insecure, f.tls_policy])
}

test_insecure_skip_verify_false_allowed if {
	verified := json.patch(f.backend, [{"op": "add", "path": "/spec/tls", "value": {"insecureSkipVerify": false}}])
	count(tls.deny) == 0 with input as f.create([verified, f.tls_policy])
}
