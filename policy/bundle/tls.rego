# Package tls keeps traffic to model providers encrypted and verified.
#
# Rules:
#   - deny: a Backend endpoint outside the cluster (an FQDN that is not a
#     *.svc / *.svc.cluster.local Service, or a public IP) has no TLS: neither a
#     BackendTLSPolicy targeting the Backend (in the change set or live) nor CA
#     settings in the Backend's own spec.tls. Without it Envoy sends the API key
#     in plain HTTP across the internet.
#   - deny: a BackendTLSPolicy's validation.hostname is none of the target
#     Backend's hostnames, so the certificate check fails or checks the wrong host.
#   - deny: a Backend sets spec.tls.insecureSkipVerify.
package aigw.tls

import data.aigw.lib

deny contains violation if {
	lib.writing
	some backend in input.objects
	backend.kind == "Backend"
	some i, endpoint in backend.spec.endpoints
	some kind, host in external_host(endpoint)
	not has_tls(backend)
	violation := {
		"msg": sprintf(
			"%s endpoint %s is outside the cluster and would be reached over plain HTTP; add a BackendTLSPolicy targeting %s with validation.hostname %s",
			[lib.ref(backend), host, lib.ref(backend), host],
		),
		"field": lib.field(backend, sprintf("spec.endpoints[%d].%s", [i, kind])),
	}
}

deny contains violation if {
	lib.writing
	some policy in input.objects
	policy.kind == "BackendTLSPolicy"
	want := policy.spec.validation.hostname
	some target in policy.spec.targetRefs
	is_backend_ref(target)
	some backend in lib.visible
	backend.kind == "Backend"
	backend.metadata.name == target.name
	lib.namespace_of(backend) == lib.namespace_of(policy)
	hosts := backend_hostnames(backend)
	count(hosts) > 0
	not want in hosts
	violation := {
		"msg": sprintf(
			"validation.hostname %s is not a hostname of %s (%s); the certificate check would fail or verify another host",
			[want, lib.ref(backend), concat(", ", sort(hosts))],
		),
		"field": lib.field(policy, "spec.validation.hostname"),
	}
}

deny contains violation if {
	lib.writing
	some backend in input.objects
	backend.kind == "Backend"
	backend.spec.tls.insecureSkipVerify == true
	violation := {
		"msg": "insecureSkipVerify turns off certificate verification, so anyone on the path can read the provider credentials; trust the provider's CA instead",
		"field": lib.field(backend, "spec.tls.insecureSkipVerify"),
	}
}

# external_host maps the endpoint kind ("fqdn" or "ip") to the host when the
# endpoint leaves the cluster network.
external_host(endpoint) := {"fqdn": host} if {
	host := endpoint.fqdn.hostname
	not lib.cluster_local(host)
} else := {"ip": addr} if {
	addr := endpoint.ip.address
	not lib.private_ip(addr)
}

# has_tls: Envoy Gateway merges a BackendTLSPolicy that targets the Backend
# with the Backend's own spec.tls, so either one verifies the upstream.
has_tls(backend) if {
	some policy in lib.visible
	policy.kind == "BackendTLSPolicy"
	lib.namespace_of(policy) == lib.namespace_of(backend)
	some target in policy.spec.targetRefs
	is_backend_ref(target)
	target.name == backend.metadata.name
}

has_tls(backend) if backend.spec.tls.wellKnownCACertificates != ""

has_tls(backend) if count(backend.spec.tls.caCertificateRefs) > 0

is_backend_ref(target) if {
	target.group == "gateway.envoyproxy.io"
	target.kind == "Backend"
}

# backend_hostnames are the FQDNs of the Backend's endpoints and their extra
# hostname fields.
backend_hostnames(backend) := {e.fqdn.hostname | some e in backend.spec.endpoints} | {e.hostname | some e in backend.spec.endpoints}
