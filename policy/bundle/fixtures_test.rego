# Package fixtures_test holds the objects of one realistic OpenAI provider, as
# the console renders it, for the other packages' tests. Each test changes one
# field with json.patch so the diff to a passing input is obvious.
package aigw.fixtures_test

labels := {"aigw-console.io/provider": "openai"}

route := {
	"apiVersion": "aigateway.envoyproxy.io/v1beta1",
	"kind": "AIGatewayRoute",
	"metadata": {"name": "openai", "namespace": "team-a", "labels": labels},
	"spec": {
		"parentRefs": [{"name": "ai-gateway", "namespace": "gateways", "kind": "Gateway"}],
		"rules": [{
			"matches": [{"headers": [{"type": "Exact", "name": "x-ai-eg-model", "value": "gpt-4o-mini"}]}],
			"backendRefs": [{"name": "openai"}],
			"timeouts": {"request": "120s"},
		}],
	},
}

service_backend := {
	"apiVersion": "aigateway.envoyproxy.io/v1beta1",
	"kind": "AIServiceBackend",
	"metadata": {"name": "openai", "namespace": "team-a", "labels": labels},
	"spec": {
		"schema": {"name": "OpenAI"},
		"backendRef": {"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "openai"},
	},
}

security_policy := {
	"apiVersion": "aigateway.envoyproxy.io/v1beta1",
	"kind": "BackendSecurityPolicy",
	"metadata": {"name": "openai-apikey", "namespace": "team-a", "labels": labels},
	"spec": {
		"type": "APIKey",
		"targetRefs": [{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": "openai"}],
		"apiKey": {"secretRef": {"name": "openai-apikey"}},
	},
}

backend := {
	"apiVersion": "gateway.envoyproxy.io/v1alpha1",
	"kind": "Backend",
	"metadata": {"name": "openai", "namespace": "team-a", "labels": labels},
	"spec": {"endpoints": [{"fqdn": {"hostname": "api.openai.com", "port": 443}}]},
}

tls_policy := {
	"apiVersion": "gateway.networking.k8s.io/v1",
	"kind": "BackendTLSPolicy",
	"metadata": {"name": "openai-tls", "namespace": "team-a", "labels": labels},
	"spec": {
		"targetRefs": [{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "openai"}],
		"validation": {"hostname": "api.openai.com", "wellKnownCACertificates": "System"},
	},
}

# secret is what the policy input holds: keys kept, values removed.
secret := {
	"apiVersion": "v1",
	"kind": "Secret",
	"metadata": {"name": "openai-apikey", "namespace": "team-a", "labels": labels},
	"type": "Opaque",
	"data": {"apiKey": ""},
}

provider := [route, service_backend, security_policy, backend, tls_policy, secret]

# create is a provider create request for objects, with no live objects.
create(objects) := {
	"operation": "create",
	"kind": "provider",
	"namespace": "team-a",
	"user": {"name": "alice", "groups": ["team-a"]},
	"objects": objects,
	"live": [],
	"dryRun": false,
}

# with_live is create(objects) with related live objects.
with_live(objects, live) := object.union(create(objects), {"live": live})

# with_op is create(objects) with another operation and request kind.
with_op(objects, operation, kind) := object.union(create(objects), {"operation": operation, "kind": kind})

# fields are the field paths of a set of violations.
fields(violations) := {v.field | some v in violations}
