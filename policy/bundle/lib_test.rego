package aigw.lib_test

import data.aigw.lib

test_path_formats_keys_and_indexes if {
	lib.path("spec", ["rules", 0, "matches", 12, "headers"]) == "spec.rules[0].matches[12].headers"
}

test_path_without_segments_is_prefix if {
	lib.path("spec", []) == "spec"
}

test_field_joins_ref_and_path if {
	lib.field({"kind": "Backend", "metadata": {"name": "openai"}}, "spec.tls") == "Backend/openai: spec.tls"
}

test_namespace_of_falls_back_to_request if {
	lib.namespace_of({"metadata": {"name": "x"}}) == "team-a" with input as {"namespace": "team-a"}
	lib.namespace_of({"metadata": {"name": "x", "namespace": ""}}) == "team-a" with input as {"namespace": "team-a"}
	lib.namespace_of({"metadata": {"name": "x", "namespace": "team-b"}}) == "team-b" with input as {"namespace": "team-a"}
}

test_writing_is_create_or_update if {
	lib.writing with input as {"operation": "create"}
	lib.writing with input as {"operation": "update"}
	not lib.writing with input as {"operation": "delete"}
}

test_visible_prefers_change_set_over_live if {
	old := {"kind": "Secret", "metadata": {"name": "s", "namespace": "team-a"}, "data": {}}
	new := {"kind": "Secret", "metadata": {"name": "s"}, "data": {"apiKey": ""}}
	other := {"kind": "Secret", "metadata": {"name": "t", "namespace": "team-a"}}
	lib.visible == [new, other] with input as {"namespace": "team-a", "objects": [new], "live": [old, other]}
}

test_cluster_local_hosts if {
	lib.cluster_local("vllm.models.svc.cluster.local")
	lib.cluster_local("vllm.models.svc")
	not lib.cluster_local("api.openai.com")
	not lib.cluster_local("svc.example.com")
}

test_private_ips if {
	lib.private_ip("10.1.2.3")
	lib.private_ip("192.168.0.10")
	lib.private_ip("0.0.0.0")
	lib.private_ip("fd00::1")
	not lib.private_ip("203.0.113.7")
	not lib.private_ip("2001:db8::1")
}
