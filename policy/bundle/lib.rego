# Package lib holds the predicates and names that the aigw decision packages
# share. It makes no decisions itself: it has no deny or warn rules.
package aigw.lib

# provider_label is the console's ownership label. Every object of a provider
# carries it with the provider's name; the console finds, audits and deletes a
# provider's objects by it.
provider_label := "aigw-console.io/provider"

# catch_all_annotation on an AIGatewayRoute allows a model match that accepts
# every model.
catch_all_annotation := "aigw-console.io/allow-catch-all"

# model_header is the header the gateway fills with the request's model name
# before routing.
model_header := "x-ai-eg-model"

# writing is true when the request creates or updates objects. Rules about the
# shape of what is written do not apply to deletes.
writing if input.operation in {"create", "update"}

# ref names an object the way every violation's field does: Kind/name.
ref(obj) := sprintf("%s/%s", [obj.kind, obj.metadata.name])

# field joins an object reference and a field path into a violation field:
# field(backend, "spec.tls") is "Backend/openai: spec.tls".
field(obj, path) := sprintf("%s: %s", [ref(obj), path])

# path turns a walk() path into a field path below prefix:
# path("spec", ["rules", 0, "timeouts"]) is "spec.rules[0].timeouts".
path(prefix, segments) := concat("", array.concat([prefix], [s | some seg in segments; s := segment(seg)]))

segment(seg) := sprintf("[%d]", [seg]) if is_number(seg)

segment(seg) := sprintf(".%s", [seg]) if is_string(seg)

# namespace_of is the object's namespace, or the request's namespace when the
# rendered object leaves it out.
namespace_of(obj) := ns if {
	ns := obj.metadata.namespace
	ns != ""
} else := input.namespace

# same_object is true when a and b name the same Kubernetes object.
same_object(a, b) if {
	a.kind == b.kind
	a.metadata.name == b.metadata.name
	namespace_of(a) == namespace_of(b)
}

# visible are the objects a rule may look up: the change set, then the related
# live objects that the change set does not replace.
visible := array.concat(
	object.get(input, "objects", []),
	[obj |
		some obj in object.get(input, "live", [])
		not changed(obj)
	],
)

changed(obj) if {
	some c in input.objects
	same_object(c, obj)
}

# cluster_local is true for in-cluster Service names, which never leave the
# cluster network.
cluster_local(host) if endswith(host, ".svc.cluster.local")

cluster_local(host) if endswith(host, ".svc")

# private_ip is true for addresses that are not routed on the internet:
# RFC 1918, loopback, link-local, unspecified, CGNAT and IPv6 ULA.
private_ip(addr) if {
	some cidr in private_cidrs
	net.cidr_contains(cidr, addr)
}

private_cidrs := [
	"0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8",
	"169.254.0.0/16", "172.16.0.0/12", "192.168.0.0/16",
	"::1/128", "fc00::/7", "fe80::/10",
]
