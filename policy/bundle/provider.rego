# Package provider checks the change set of a provider as a whole.
#
# Rules:
#   - deny: an object of a provider change set lacks the ownership label
#     aigw-console.io/provider, or the objects disagree on its value.
package aigw.provider

import data.aigw.lib

deny contains violation if {
	input.kind == "provider"
	lib.writing
	some obj in input.objects
	object.get(obj, ["metadata", "labels", lib.provider_label], "") == ""
	violation := {
		"msg": sprintf(
			"%s has no %s label; the console finds, audits and deletes a provider's objects by it",
			[lib.ref(obj), lib.provider_label],
		),
		"field": lib.field(obj, "metadata.labels"),
	}
}

deny contains violation if {
	input.kind == "provider"
	lib.writing
	count(provider_names) > 1
	some obj in input.objects
	name := obj.metadata.labels[lib.provider_label]
	name in provider_names
	violation := {
		"msg": sprintf(
			"%s label is %q, but one change set must carry a single provider (found %s)",
			[lib.provider_label, name, concat(", ", sort(provider_names))],
		),
		"field": lib.field(obj, sprintf("metadata.labels[%q]", [lib.provider_label])),
	}
}

# provider_names are the non-empty ownership label values of the change set.
provider_names contains name if {
	some obj in input.objects
	name := obj.metadata.labels[lib.provider_label]
	name != ""
}
