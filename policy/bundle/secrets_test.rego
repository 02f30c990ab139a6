package aigw.secrets_test

import data.aigw.fixtures_test as f
import data.aigw.secrets

test_provider_allowed if {
	count(secrets.deny) == 0 with input as f.create(f.provider)
}

test_secret_ref_in_own_namespace_allowed if {
	explicit := json.patch(f.security_policy, [{"op": "add", "path": "/spec/apiKey/secretRef/namespace", "value": "team-a"}])
	count(secrets.deny) == 0 with input as f.create([explicit, f.secret])
}

test_cross_namespace_secret_ref_denied if {
	foreign := json.patch(f.security_policy, [{"op": "add", "path": "/spec/apiKey/secretRef/namespace", "value": "team-b"}])
	f.fields(secrets.deny) == {"BackendSecurityPolicy/openai-apikey: spec.apiKey.secretRef.namespace"} with input as f.create([foreign])
}

test_nested_oidc_client_secret_cross_namespace_denied if {
	aws := json.patch(f.security_policy, [
		{"op": "replace", "path": "/spec/type", "value": "AWSCredentials"},
		{"op": "remove", "path": "/spec/apiKey"},
		{"op": "add", "path": "/spec/awsCredentials", "value": {
			"region": "us-east-1",
			"oidcExchangeToken": {
				"awsRoleArn": "arn:aws:iam::123456789012:role/bedrock",
				"oidc": {
					"provider": {"issuer": "https://idp.example.com"},
					"clientID": "aigw",
					"clientSecret": {"name": "idp", "namespace": "kube-system"},
				},
			},
		}},
	])
	f.fields(secrets.deny) == {"BackendSecurityPolicy/openai-apikey: spec.awsCredentials.oidcExchangeToken.oidc.clientSecret.namespace"} with input as f.create([aws])
}

test_secret_missing_key_denied if {
	wrong_key := json.patch(f.secret, [{"op": "replace", "path": "/data", "value": {"api-key": ""}}])
	f.fields(secrets.deny) == {"BackendSecurityPolicy/openai-apikey: spec.apiKey.secretRef"} with input as f.create([f.security_policy, wrong_key])
}

test_live_secret_missing_key_denied if {
	wrong_key := json.patch(f.secret, [{"op": "replace", "path": "/data", "value": {"token": ""}}])
	f.fields(secrets.deny) == {"BackendSecurityPolicy/openai-apikey: spec.apiKey.secretRef"} with input as f.with_live([f.security_policy], [wrong_key])
}

test_changed_secret_replaces_live_one if {
	wrong_key := json.patch(f.secret, [{"op": "replace", "path": "/data", "value": {"token": ""}}])
	count(secrets.deny) == 0 with input as f.with_live([f.security_policy, f.secret], [wrong_key])
}

test_secret_key_in_string_data_allowed if {
	string_data := json.patch(f.secret, [{"op": "move", "from": "/data", "path": "/stringData"}])
	count(secrets.deny) == 0 with input as f.create([f.security_policy, string_data])
}

test_secret_not_visible_not_checked if {
	count(secrets.deny) == 0 with input as f.create([f.security_policy])
}

test_aws_credentials_need_credentials_key if {
	aws := json.patch(f.security_policy, [
		{"op": "replace", "path": "/spec/type", "value": "AWSCredentials"},
		{"op": "remove", "path": "/spec/apiKey"},
		{"op": "add", "path": "/spec/awsCredentials", "value": {"region": "us-east-1", "credentialsFile": {"secretRef": {"name": "openai-apikey"}}}},
	])
	f.fields(secrets.deny) == {"BackendSecurityPolicy/openai-apikey: spec.awsCredentials.credentialsFile.secretRef"} with input as f.create([aws, f.secret])
	ini := json.patch(f.secret, [{"op": "replace", "path": "/data", "value": {"credentials": ""}}])
	count(secrets.deny) == 0 with input as f.create([aws, ini])
}

test_aws_default_chain_not_checked if {
	irsa := json.patch(f.security_policy, [
		{"op": "replace", "path": "/spec/type", "value": "AWSCredentials"},
		{"op": "remove", "path": "/spec/apiKey"},
		{"op": "add", "path": "/spec/awsCredentials", "value": {"region": "us-east-1"}},
	])
	count(secrets.deny) == 0 with input as f.create([irsa, f.secret])
}

test_delete_not_checked if {
	foreign := json.patch(f.security_policy, [{"op": "add", "path": "/spec/apiKey/secretRef/namespace", "value": "team-b"}])
	count(secrets.deny) == 0 with input as f.with_op([foreign], "delete", "provider")
}
