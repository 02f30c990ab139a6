package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1a2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
	"sigs.k8s.io/yaml"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// celCase is one row of a CRD fidelity table: a testdata file holding one
// object, and the exact text the API server's error must contain ("" when
// the object must be accepted).
type celCase struct {
	name    string
	file    string
	wantErr string
}

// Messages shared by many rows.
const (
	msgBackendRef = `spec.backendRef: Invalid value: BackendRef must be a Backend resource of Envoy Gateway. See https://github.com/envoyproxy/ai-gateway/issues/902 for more details.`
	msgTargetRefs = `spec.targetRefs: Invalid value: targetRefs must reference AIServiceBackend or InferencePool resources`
	msgBSPTypes   = `supported values: "APIKey", "AWSCredentials", "AzureAPIKey", "AzureCredentials", "GCPCredentials", "AnthropicAPIKey"`
)

func TestCRDCELAIGatewayRoutes(t *testing.T) {
	runCELCases(t, "aigatewayroute", []celCase{
		{name: "a route like the OpenAI example is accepted", file: "basic.yaml"},
		{name: "a parentRef without kind defaults to Gateway and is accepted", file: "parent_ref_default_kind.yaml"},
		{name: "a route without parentRefs is accepted", file: "no_parent_refs.yaml"},
		{name: "an empty rule list is accepted", file: "empty_rules.yaml"},
		{name: "weighted, prioritised backends with mutations and hostnames are accepted", file: "weights_and_priorities.yaml"},
		{name: "request, backendRequest and stream idle timeouts are accepted", file: "timeouts.yaml"},
		{name: "a backendRequest timeout under a 0s request timeout is accepted", file: "zero_request_timeout.yaml"},
		{name: "a rule with a single InferencePool is accepted", file: "inference_pool.yaml"},
		{name: "fifteen named rules are accepted", file: "fifteen_rules.yaml"},
		{name: "several unnamed rules are accepted", file: "unnamed_rules.yaml"},
		{name: "every LLM request cost type is accepted", file: "llm_request_costs.yaml"},
		{
			name:    "sixteen rules are rejected",
			file:    "sixteen_rules.yaml",
			wantErr: `spec.rules: Too many: 16: must have at most 15 items`,
		},
		{
			name:    "a route without rules is rejected",
			file:    "missing_rules.yaml",
			wantErr: `spec.rules: Required value`,
		},
		{
			name:    "a rule named route-not-found is rejected",
			file:    "reserved_rule_name.yaml",
			wantErr: `spec.rules[0]: Invalid value: rule name route-not-found is reserved`,
		},
		{
			name:    "two rules with the same name are rejected",
			file:    "duplicate_rule_names.yaml",
			wantErr: `spec.rules: Invalid value: rule name must be unique within the route`,
		},
		{
			name:    "a rule name that is not a DNS subdomain is rejected",
			file:    "invalid_rule_name.yaml",
			wantErr: `spec.rules[0].name: Invalid value: "Chat_Rule": spec.rules[0].name in body should match '^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
		},
		{
			name:    "an AIServiceBackend and an InferencePool in one rule are rejected",
			file:    "mixed_backend_refs.yaml",
			wantErr: `spec.rules[0]: Invalid value: cannot mix InferencePool and AIServiceBackend references in the same rule`,
		},
		{
			name:    "two InferencePools in one rule are rejected",
			file:    "two_inference_pools.yaml",
			wantErr: `spec.rules[0]: Invalid value: only one InferencePool backend is allowed per rule`,
		},
		{
			name:    "a backend group without a kind is rejected",
			file:    "group_without_kind.yaml",
			wantErr: `spec.rules[0].backendRefs[0]: Invalid value: group and kind must be specified together`,
		},
		{
			name:    "a backend kind without a group is rejected",
			file:    "kind_without_group.yaml",
			wantErr: `spec.rules[0].backendRefs[0]: Invalid value: group and kind must be specified together`,
		},
		{
			name:    "the old x-k8s.io InferencePool group is rejected",
			file:    "wrong_backend_group.yaml",
			wantErr: `spec.rules[0].backendRefs[0]: Invalid value: only InferencePool from inference.networking.k8s.io group is supported`,
		},
		{
			name:    "a kind other than InferencePool in the inference group is rejected",
			file:    "wrong_backend_kind.yaml",
			wantErr: `spec.rules[0].backendRefs[0]: Invalid value: only InferencePool from inference.networking.k8s.io group is supported`,
		},
		{
			name:    "an empty backend name is rejected",
			file:    "empty_backend_name.yaml",
			wantErr: `spec.rules[0].backendRefs[0].name: Invalid value: "": spec.rules[0].backendRefs[0].name in body should be at least 1 chars long`,
		},
		{
			name:    "a negative weight is rejected",
			file:    "negative_weight.yaml",
			wantErr: `spec.rules[0].backendRefs[0].weight: Invalid value: -1: spec.rules[0].backendRefs[0].weight in body should be greater than or equal to 0`,
		},
		{
			name:    "a parentRef to a Service is rejected",
			file:    "parent_ref_service.yaml",
			wantErr: `spec.parentRefs: Invalid value: only Gateway is supported`,
		},
		{
			name:    "seventeen parentRefs are rejected",
			file:    "too_many_parent_refs.yaml",
			wantErr: `spec.parentRefs: Too many: 17: must have at most 16 items`,
		},
		{
			name:    "seventeen hostnames are rejected",
			file:    "too_many_hostnames.yaml",
			wantErr: `spec.hostnames: Too many: 17: must have at most 16 items`,
		},
		{
			name:    "an upper-case hostname is rejected",
			file:    "invalid_hostname.yaml",
			wantErr: `spec.hostnames[0]: Invalid value: "AI.Example.com": spec.hostnames[0] in body should match '^(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'`,
		},
		{
			name:    "a backendRequest timeout longer than the request timeout is rejected",
			file:    "backend_request_longer_than_request.yaml",
			wantErr: `spec.rules[0].timeouts: Invalid value: backendRequest timeout cannot be longer than request timeout`,
		},
		{
			name:    "a decimal duration is rejected",
			file:    "invalid_duration.yaml",
			wantErr: `spec.rules[0].timeouts.request: Invalid value: "1.5s": spec.rules[0].timeouts.request in body should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'`,
		},
		{
			name:    "a microsecond stream idle timeout is rejected",
			file:    "invalid_stream_idle_timeout.yaml",
			wantErr: `spec.rules[0].streamIdleTimeout: Invalid value: "10us": spec.rules[0].streamIdleTimeout in body should match '^([0-9]{1,5}(h|m|s|ms)){1,4}$'`,
		},
		{
			name:    "a Prefix header match is rejected",
			file:    "invalid_header_match_type.yaml",
			wantErr: `spec.rules[0].matches[0].headers[0].type: Unsupported value: "Prefix": supported values: "Exact", "RegularExpression"`,
		},
		{
			name:    "two header matches on the same name are rejected",
			file:    "duplicate_header_match_names.yaml",
			wantErr: `spec.rules[0].matches[0].headers[1]: Duplicate value: {"name":"x-ai-eg-model"}`,
		},
		{
			name:    "an unknown LLM request cost type is rejected",
			file:    "invalid_llm_request_cost_type.yaml",
			wantErr: `spec.llmRequestCosts[0].type: Unsupported value: "Tokens": supported values: "OutputToken", "InputToken", "CachedInputToken", "CacheCreationInputToken", "TotalToken", "ReasoningToken", "CEL"`,
		},
		{
			name:    "a modelsCreatedAt that is not RFC 3339 is rejected",
			file:    "invalid_models_created_at.yaml",
			wantErr: `spec.rules[0].modelsCreatedAt: Invalid value: "yesterday": spec.rules[0].modelsCreatedAt in body must be of type date-time`,
		},
	})
}

func TestCRDCELAIServiceBackends(t *testing.T) {
	runCELCases(t, "aiservicebackend", []celCase{
		{name: "an OpenAI backend is accepted", file: "openai.yaml"},
		{name: "an AWS Bedrock backend is accepted", file: "aws_bedrock.yaml"},
		{name: "an Anthropic-on-Bedrock backend with a version is accepted", file: "aws_anthropic.yaml"},
		{name: "an Azure OpenAI backend with an api-version is accepted", file: "azure_openai.yaml"},
		{name: "a GCP Vertex AI backend is accepted", file: "gcp_vertex.yaml"},
		{name: "an Anthropic-on-Vertex backend with a version is accepted", file: "gcp_anthropic.yaml"},
		{name: "a native Anthropic backend is accepted", file: "anthropic.yaml"},
		{name: "a Cohere v2 backend is accepted", file: "cohere.yaml"},
		{name: "an OpenAI-compatible backend with a prefix, a port and mutations is accepted", file: "openai_prefix_and_mutations.yaml"},
		{
			name:    "an unknown schema is rejected",
			file:    "unknown_schema.yaml",
			wantErr: `spec.schema.name: Unsupported value: "SomeRandomVendor": supported values: "OpenAI", "Cohere", "AWSBedrock", "AzureOpenAI", "GCPVertexAI", "GCPAnthropic", "Anthropic", "AWSAnthropic"`,
		},
		{
			name:    "a backend without a schema is rejected",
			file:    "missing_schema.yaml",
			wantErr: `spec.schema: Required value`,
		},
		{
			name:    "a backend without a backendRef is rejected",
			file:    "missing_backend_ref.yaml",
			wantErr: `spec.backendRef: Required value`,
		},
		{name: "a backendRef to a Service is rejected", file: "backend_ref_service.yaml", wantErr: msgBackendRef},
		{
			name:    "a backendRef to a Service without a port also fails the Gateway API port rule",
			file:    "backend_ref_service_without_port.yaml",
			wantErr: `spec.backendRef: Invalid value: Must have port for Service reference`,
		},
		{name: "a Backend ref without a group is rejected", file: "backend_ref_missing_group.yaml", wantErr: msgBackendRef},
		{name: "a Backend ref without a kind is rejected", file: "backend_ref_missing_kind.yaml", wantErr: msgBackendRef},
		{
			name:    "seventeen headers to set are rejected",
			file:    "header_mutation_too_many_set.yaml",
			wantErr: `spec.headerMutation.set: Too many: 17: must have at most 16 items`,
		},
		{
			name:    "setting the same header twice is rejected",
			file:    "header_mutation_duplicate_set.yaml",
			wantErr: `spec.headerMutation.set[1]: Duplicate value: {"name":"x-team"}`,
		},
		{
			name:    "a body field with an empty path is rejected",
			file:    "body_mutation_empty_path.yaml",
			wantErr: `spec.bodyMutation.set[0].path: Invalid value: "": spec.bodyMutation.set[0].path in body should be at least 1 chars long`,
		},
	})
}

func TestCRDCELBackendSecurityPolicies(t *testing.T) {
	cases := []celCase{
		{name: "an OpenAI API key policy is accepted", file: "openai_apikey.yaml"},
		{name: "an AWS credentials file policy targeting two backends is accepted", file: "aws_credentials_file.yaml"},
		{name: "an AWS credentials file with a named profile is accepted", file: "aws_credentials_file_profile.yaml"},
		{name: "an AWS policy with only a region (default credential chain) is accepted", file: "aws_default_chain.yaml"},
		{name: "an AWS OIDC exchange policy is accepted", file: "aws_oidc.yaml"},
		{name: "an Azure client secret policy is accepted", file: "azure_client_secret.yaml"},
		{name: "an Azure OIDC exchange policy is accepted", file: "azure_oidc.yaml"},
		{name: "an Azure API key policy is accepted", file: "azure_apikey.yaml"},
		{name: "a GCP service-account key policy is accepted", file: "gcp_credentials_file.yaml"},
		{name: "a GCP Workload Identity Federation policy is accepted", file: "gcp_workload_identity.yaml"},
		{name: "a GCP policy with neither source (ADC) is accepted", file: "gcp_application_default_credentials.yaml"},
		{name: "an Anthropic API key policy is accepted", file: "anthropic_apikey.yaml"},
		{name: "a credential override from request headers is accepted", file: "credential_override_request_headers.yaml"},
		{name: "a credential override from dynamic metadata is accepted", file: "credential_override_dynamic_metadata.yaml"},
		{name: "targetRefs naming an InferencePool and an AIServiceBackend are accepted", file: "targetrefs_inference_pool.yaml"},
		{name: "a policy without targetRefs is accepted", file: "no_targetrefs.yaml"},
		{
			name:    "an APIKey policy without its apiKey block is rejected",
			file:    "apikey_without_apikey.yaml",
			wantErr: `spec: Invalid value: When type is APIKey, only apiKey field should be set`,
		},
		{
			name:    "an apiKey block without a secretRef is rejected",
			file:    "apikey_missing_secret_ref.yaml",
			wantErr: `spec.apiKey.secretRef: Required value`,
		},
		{
			name:    "an Azure policy with both a client secret and an OIDC exchange is rejected",
			file:    "azure_with_client_secret_and_oidc.yaml",
			wantErr: `spec.azureCredentials: Invalid value: Exactly one of clientSecretRef or oidcExchangeToken must be specified`,
		},
		{
			name:    "an Azure policy with neither a client secret nor an OIDC exchange is rejected",
			file:    "azure_without_client_secret_or_oidc.yaml",
			wantErr: `spec.azureCredentials: Invalid value: Exactly one of clientSecretRef or oidcExchangeToken must be specified`,
		},
		{
			name:    "an empty Azure client ID is rejected",
			file:    "azure_empty_client_id.yaml",
			wantErr: `spec.azureCredentials.clientID: Invalid value: "": spec.azureCredentials.clientID in body should be at least 1 chars long`,
		},
		{
			name:    "a GCP policy with both a credentials file and Workload Identity Federation is rejected",
			file:    "gcp_with_credentials_file_and_workload_identity.yaml",
			wantErr: `spec.gcpCredentials: Invalid value: At most one of credentialsFile or workloadIdentityFederationConfig may be specified`,
		},
		{
			name:    "a GCP policy without a project name is rejected",
			file:    "gcp_missing_project_name.yaml",
			wantErr: `spec.gcpCredentials.projectName: Required value`,
		},
		{
			name:    "an empty AWS region is rejected",
			file:    "aws_empty_region.yaml",
			wantErr: `spec.awsCredentials.region: Invalid value: "": spec.awsCredentials.region in body should be at least 1 chars long`,
		},
		{
			name:    "an AWS OIDC exchange without a role ARN is rejected",
			file:    "aws_oidc_without_role_arn.yaml",
			wantErr: `spec.awsCredentials.oidcExchangeToken.awsRoleArn: Required value`,
		},
		{
			name:    "an OIDC client with both clientID and clientIDRef is rejected",
			file:    "oidc_with_client_id_and_ref.yaml",
			wantErr: `spec.azureCredentials.oidcExchangeToken.oidc: Invalid value: only one of clientID or clientIDRef must be set`,
		},
		{
			name:    "a credential override with two sources is rejected",
			file:    "credential_override_two_sources.yaml",
			wantErr: `spec.credentialOverride: Too many: 2: must have at most 1 item`,
		},
		{
			name:    "a credential override with no source is rejected",
			file:    "credential_override_no_source.yaml",
			wantErr: `spec.credentialOverride: Invalid value: 0: spec.credentialOverride in body should have at least 1 properties`,
		},
		{
			name:    "a dynamic-metadata override with an empty namespace is rejected",
			file:    "credential_override_empty_metadata_namespace.yaml",
			wantErr: `spec.credentialOverride.fromDynamicMetadata.namespace: Invalid value: "": spec.credentialOverride.fromDynamicMetadata.namespace in body should be at least 1 chars long`,
		},
		{
			name:    "a spec with five properties is rejected",
			file:    "too_many_properties.yaml",
			wantErr: `spec: Too many: 5: must have at most 4 items`,
		},
		{name: "targetRefs naming a Service are rejected", file: "targetrefs_service.yaml", wantErr: msgTargetRefs},
		{name: "targetRefs naming an AIServiceBackend in the wrong group are rejected", file: "targetrefs_wrong_group.yaml", wantErr: msgTargetRefs},
		{
			name:    "targetRefs without a group are rejected",
			file:    "targetrefs_missing_group.yaml",
			wantErr: `spec.targetRefs[0].group: Required value`,
		},
		{
			name:    "seventeen targetRefs are rejected",
			file:    "targetrefs_too_many.yaml",
			wantErr: `spec.targetRefs: Too many: 17: must have at most 16 items`,
		},
		{
			name:    "an unknown type is rejected",
			file:    "unknown_type.yaml",
			wantErr: `spec.type: Unsupported value: "UnknownType": ` + msgBSPTypes,
		},
		{
			name:    "an empty type is rejected",
			file:    "empty_type.yaml",
			wantErr: `spec.type: Unsupported value: "": ` + msgBSPTypes,
		},
		{
			name:    "a policy without a type is rejected",
			file:    "missing_type.yaml",
			wantErr: `spec.type: Required value`,
		},
	}
	runCELCases(t, "backendsecuritypolicy", append(cases, typeBlockMismatches()...))
}

// typeBlockMismatches covers every clause of the six "When type is T" rules:
// each type with its own block plus each other block, and each type with
// only the next type's block.
func typeBlockMismatches() []celCase {
	types := []struct{ typ, field, file string }{
		{"APIKey", "apiKey", "apikey"},
		{"AWSCredentials", "awsCredentials", "aws"},
		{"AzureAPIKey", "azureAPIKey", "azure_apikey"},
		{"AzureCredentials", "azureCredentials", "azure"},
		{"GCPCredentials", "gcpCredentials", "gcp"},
		{"AnthropicAPIKey", "anthropicAPIKey", "anthropic"},
	}
	var out []celCase
	for i, t := range types {
		want := fmt.Sprintf(`spec: Invalid value: When type is %s, only %s field should be set`, t.typ, t.field)
		for _, o := range types {
			if o.typ == t.typ {
				continue
			}
			out = append(out, celCase{
				name:    fmt.Sprintf("type %s with an extra %s block is rejected", t.typ, o.field),
				file:    fmt.Sprintf("type_%s_with_%s_block.yaml", t.file, o.file),
				wantErr: want,
			})
		}
		next := types[(i+1)%len(types)]
		out = append(out, celCase{
			name:    fmt.Sprintf("type %s with only the %s block is rejected", t.typ, next.field),
			file:    fmt.Sprintf("type_%s_with_only_%s_block.yaml", t.file, next.file),
			wantErr: want,
		})
	}
	return out
}

// runCELCases creates each row's object in a fresh namespace through a real
// API server, then deletes it when it was accepted. It also fails when a
// file in testdata/crdcel/<kind> has no row, so no case goes unchecked.
func runCELCases(t *testing.T, kind string, cases []celCase) {
	t.Helper()
	dir := filepath.Join("testdata", "crdcel", kind)
	c := adminClient(t)

	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk, inTable []string
	for _, f := range files {
		onDisk = append(onDisk, filepath.Base(f))
	}
	for _, tc := range cases {
		inTable = append(inTable, tc.file)
	}
	slices.Sort(inTable)
	if diff := cmp.Diff(onDisk, inTable); diff != "" {
		t.Errorf("testdata files and table rows differ (-files +rows):\n%s", diff)
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			obj := readObject(t, filepath.Join(dir, tc.file))
			obj.SetNamespace(newNamespace(t))
			ctx := t.Context()

			err := c.Create(ctx, obj)
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("create %s: %v", tc.file, err)
				}
				if err := c.Delete(ctx, obj); err != nil {
					t.Fatalf("delete %s: %v", tc.file, err)
				}
				return
			}
			if err == nil {
				_ = c.Delete(ctx, obj)
				t.Fatalf("create %s succeeded, want an error containing:\n%s", tc.file, tc.wantErr)
			}
			if !apierrors.IsInvalid(err) {
				t.Errorf("create %s: want an Invalid (422) error, got %v", tc.file, err)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("create %s error:\n%v\nwant it to contain:\n%s", tc.file, err, tc.wantErr)
			}
		})
	}
}

// readObject decodes one YAML object from path.
func readObject(t *testing.T, path string) *unstructured.Unstructured {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	j, err := yaml.YAMLToJSON(b)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(j); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return obj
}

// TestCRDCELDefaults writes minimal objects through the typed Go client and
// reads back what the API server stored: every optional field the types
// leave out (omitempty) must come back with the CRD's default.
func TestCRDCELDefaults(t *testing.T) {
	c := adminClient(t)
	ns := newNamespace(t)
	ptr := func(s string) *string { return &s }

	t.Run("a route gets the parentRef, header match, weight, priority and modelsOwnedBy defaults", func(t *testing.T) {
		route := &aigv1b1.AIGatewayRoute{
			ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: ns},
			Spec: aigv1b1.AIGatewayRouteSpec{
				ParentRefs: []gwapiv1.ParentReference{{Name: "envoy-ai-gateway-basic"}},
				Rules: []aigv1b1.AIGatewayRouteRule{{
					Matches: []aigv1b1.AIGatewayRouteRuleMatch{{Headers: []gwapiv1.HTTPHeaderMatch{{
						Name: aigv1b1.ModelNameHeader, Value: "gpt-4o-mini",
					}}}},
					BackendRefs: []aigv1b1.AIGatewayRouteRuleBackendRef{{Name: "openai"}},
				}},
			},
		}
		createAndGet(t, c, route)
		exact := gwapiv1.HeaderMatchExact
		weight, priority := int32(1), uint32(0)
		want := aigv1b1.AIGatewayRouteSpec{
			ParentRefs: []gwapiv1.ParentReference{{
				Group: (*gwapiv1.Group)(ptr(gwapiv1.GroupName)),
				Kind:  (*gwapiv1.Kind)(ptr("Gateway")),
				Name:  "envoy-ai-gateway-basic",
			}},
			Rules: []aigv1b1.AIGatewayRouteRule{{
				Matches: []aigv1b1.AIGatewayRouteRuleMatch{{Headers: []gwapiv1.HTTPHeaderMatch{{
					Type: &exact, Name: aigv1b1.ModelNameHeader, Value: "gpt-4o-mini",
				}}}},
				BackendRefs:   []aigv1b1.AIGatewayRouteRuleBackendRef{{Name: "openai", Weight: &weight, Priority: &priority}},
				ModelsOwnedBy: ptr("Envoy AI Gateway"),
			}},
		}
		if diff := cmp.Diff(want, route.Spec); diff != "" {
			t.Errorf("stored spec (-want +got):\n%s", diff)
		}
	})

	t.Run("a policy gets the profile, secret ref and fallbackToConfigured defaults", func(t *testing.T) {
		bsp := &aigv1b1.BackendSecurityPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "defaults", Namespace: ns},
			Spec: aigv1b1.BackendSecurityPolicySpec{
				TargetRefs: []gwapiv1a2.LocalPolicyTargetReference{{Group: aigv1b1.GroupName, Kind: "AIServiceBackend", Name: "aws"}},
				Type:       aigv1b1.BackendSecurityPolicyTypeAWSCredentials,
				AWSCredentials: &aigv1b1.BackendSecurityPolicyAWSCredentials{
					Region:          "us-east-1",
					CredentialsFile: &aigv1b1.AWSCredentialsFile{SecretRef: &gwapiv1.SecretObjectReference{Name: "aws"}},
				},
				CredentialOverride: &aigv1b1.BackendSecurityPolicyCredentialOverride{
					FromRequestHeaders: &aigv1b1.CredentialOverrideFromRequestHeaders{},
				},
			},
		}
		createAndGet(t, c, bsp)
		fallback := true
		want := &aigv1b1.BackendSecurityPolicySpec{
			TargetRefs: bsp.Spec.TargetRefs,
			Type:       aigv1b1.BackendSecurityPolicyTypeAWSCredentials,
			AWSCredentials: &aigv1b1.BackendSecurityPolicyAWSCredentials{
				Region: "us-east-1",
				CredentialsFile: &aigv1b1.AWSCredentialsFile{
					SecretRef: &gwapiv1.SecretObjectReference{
						Group: (*gwapiv1.Group)(ptr("")),
						Kind:  (*gwapiv1.Kind)(ptr("Secret")),
						Name:  "aws",
					},
					Profile: "default",
				},
			},
			CredentialOverride: &aigv1b1.BackendSecurityPolicyCredentialOverride{
				FromRequestHeaders: &aigv1b1.CredentialOverrideFromRequestHeaders{FallbackToConfigured: &fallback},
			},
		}
		if diff := cmp.Diff(want, &bsp.Spec); diff != "" {
			t.Errorf("stored spec (-want +got):\n%s", diff)
		}
	})
}

// createAndGet creates obj, reads it back into obj and deletes it when the
// test ends.
func createAndGet(t *testing.T, c client.Client, obj client.Object) {
	t.Helper()
	ctx := t.Context()
	if err := c.Create(ctx, obj); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), obj) })
	if err := c.Get(ctx, client.ObjectKeyFromObject(obj), obj); err != nil {
		t.Fatalf("get: %v", err)
	}
}
