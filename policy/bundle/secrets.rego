# Package secrets checks how objects reference Secrets. The console removes
# Secret values from the input before evaluation; keys stay, so rules can check
# them.
#
# Rules:
#   - deny: a secret reference (secretRef, clientSecretRef, clientSecret,
#     clientIDRef or clientCertificateRef, anywhere under the spec of a
#     BackendSecurityPolicy, MCPRoute, Backend or SecurityPolicy) names another
#     namespace. A team could otherwise point the gateway at credentials it
#     cannot read itself.
#   - deny: a BackendSecurityPolicy names a Secret (in the change set or live)
#     that lacks the key its type reads: apiKey, credentials, client-secret or
#     service_account.json. The controller only fails on it at reconcile time.
package aigw.secrets

import data.aigw.lib

# secret_ref_fields are the names of SecretObjectReference fields in the
# kinds below (AI Gateway, Envoy Gateway OIDC and Backend TLS).
secret_ref_fields := {"secretRef", "clientSecretRef", "clientSecret", "clientIDRef", "clientCertificateRef"}

# secret_ref_kinds are the kinds that hold secret references. Only their specs
# are walked: walking every object costs more than the rest of the bundle.
secret_ref_kinds := {"BackendSecurityPolicy", "MCPRoute", "Backend", "SecurityPolicy"}

deny contains violation if {
	lib.writing
	some obj in input.objects
	secret_ref_kinds[obj.kind]
	walk(obj.spec, [path, ref])
	ns := ref.namespace # cheapest test first: most nodes have no namespace
	ns != ""
	ns != lib.namespace_of(obj)
	secret_ref_fields[path[count(path) - 1]]
	violation := {
		"msg": sprintf(
			"secret reference points into namespace %q; a secret must live in the namespace of the object that uses it (%q)",
			[ns, lib.namespace_of(obj)],
		),
		"field": lib.field(obj, lib.path("spec", array.concat(path, ["namespace"]))),
	}
}

# credential_secrets maps a BackendSecurityPolicy type to where its secret
# reference sits under spec and the key the controller reads from the Secret.
credential_secrets := {
	"APIKey": {"path": ["apiKey", "secretRef"], "key": "apiKey"},
	"AzureAPIKey": {"path": ["azureAPIKey", "secretRef"], "key": "apiKey"},
	"AnthropicAPIKey": {"path": ["anthropicAPIKey", "secretRef"], "key": "apiKey"},
	"AWSCredentials": {"path": ["awsCredentials", "credentialsFile", "secretRef"], "key": "credentials"},
	"AzureCredentials": {"path": ["azureCredentials", "clientSecretRef"], "key": "client-secret"},
	"GCPCredentials": {"path": ["gcpCredentials", "credentialsFile", "secretRef"], "key": "service_account.json"},
}

deny contains violation if {
	lib.writing
	some policy in input.objects
	policy.kind == "BackendSecurityPolicy"
	want := credential_secrets[policy.spec.type]
	ref := object.get(policy.spec, want.path, null)
	is_object(ref)
	ns := object.get(ref, "namespace", lib.namespace_of(policy))
	some secret in lib.visible
	secret.kind == "Secret"
	secret.metadata.name == ref.name
	lib.namespace_of(secret) == ns
	not has_key(secret, want.key)
	violation := {
		"msg": sprintf(
			"Secret %s/%s has no key %q, which a %s policy reads its credential from",
			[ns, ref.name, want.key, policy.spec.type],
		),
		"field": lib.field(policy, lib.path("spec", want.path)),
	}
}

has_key(secret, key) if object.get(secret, ["data", key], null) != null

has_key(secret, key) if object.get(secret, ["stringData", key], null) != null
