package v1beta1_test

import (
	"encoding/json"
	"testing"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1a2 "sigs.k8s.io/gateway-api/apis/v1alpha2"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

func ptr[T any](v T) *T { return &v }

func typeMeta(kind string) metav1.TypeMeta {
	return metav1.TypeMeta{APIVersion: aigv1b1.GroupVersion.String(), Kind: kind}
}

func objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default"}
}

func secretRef(name string) *gwapiv1.SecretObjectReference {
	return &gwapiv1.SecretObjectReference{Name: gwapiv1.ObjectName(name), Namespace: ptr(gwapiv1.Namespace("default"))}
}

func asbTarget(name string) gwapiv1a2.LocalPolicyTargetReference {
	return gwapiv1a2.LocalPolicyTargetReference{Group: aigv1b1.GroupName, Kind: "AIServiceBackend", Name: gwapiv1.ObjectName(name)}
}

func oidc() aigv1b1.BackendSecurityPolicyOIDC {
	return aigv1b1.BackendSecurityPolicyOIDC{
		OIDC: egv1a1.OIDC{
			Provider:     egv1a1.OIDCProvider{Issuer: "https://issuer.example.com"},
			ClientID:     ptr("console"),
			ClientSecret: gwapiv1.SecretObjectReference{Name: "oidc-client-secret"},
			Scopes:       []string{"openid"},
		},
		GrantType: "client_credentials",
		Aud:       "sts.amazonaws.com",
	}
}

// fixtures returns one object of each shape the console writes: a route
// using every rule field, an AIServiceBackend with both mutations, and a
// BackendSecurityPolicy per type, including credentialOverride.
func fixtures() map[string]runtime.Object {
	created := metav1.NewTime(time.Date(2026, 5, 21, 10, 0, 0, 0, time.UTC))
	return map[string]runtime.Object{
		"route": &aigv1b1.AIGatewayRoute{
			TypeMeta:   typeMeta("AIGatewayRoute"),
			ObjectMeta: objectMeta("chat"),
			Spec: aigv1b1.AIGatewayRouteSpec{
				ParentRefs: []gwapiv1.ParentReference{{
					Group: ptr(gwapiv1.Group(gwapiv1.GroupName)),
					Kind:  ptr(gwapiv1.Kind("Gateway")),
					Name:  "envoy-ai-gateway-basic",
				}},
				Hostnames: []gwapiv1.Hostname{"ai.example.com"},
				Rules: []aigv1b1.AIGatewayRouteRule{
					{
						Name: ptr(gwapiv1.SectionName("gpt")),
						Matches: []aigv1b1.AIGatewayRouteRuleMatch{{Headers: []gwapiv1.HTTPHeaderMatch{{
							Type:  ptr(gwapiv1.HeaderMatchExact),
							Name:  aigv1b1.ModelNameHeader,
							Value: "gpt-4o-mini",
						}}}},
						BackendRefs: []aigv1b1.AIGatewayRouteRuleBackendRef{
							{
								Name:              "openai",
								ModelNameOverride: "gpt-4o-mini-2024-07-18",
								Weight:            ptr(int32(80)),
								Priority:          ptr(uint32(0)),
								HeaderMutation: &aigv1b1.HTTPHeaderMutation{
									Set:    []gwapiv1.HTTPHeader{{Name: "x-team", Value: "a"}},
									Remove: []string{"x-debug"},
								},
								BodyMutation: &aigv1b1.HTTPBodyMutation{
									Set:    []aigv1b1.HTTPBodyField{{Path: "service_tier", Value: `"scale"`}},
									Remove: []string{"internal_flag"},
								},
							},
							{Name: "azure", Namespace: ptr(gwapiv1.Namespace("team-b")), Weight: ptr(int32(20)), Priority: ptr(uint32(1))},
						},
						Timeouts:          &gwapiv1.HTTPRouteTimeouts{Request: ptr(gwapiv1.Duration("120s")), BackendRequest: ptr(gwapiv1.Duration("60s"))},
						StreamIdleTimeout: ptr(gwapiv1.Duration("30s")),
						ModelsOwnedBy:     ptr("OpenAI"),
						ModelsCreatedAt:   &created,
					},
					{
						BackendRefs: []aigv1b1.AIGatewayRouteRuleBackendRef{{
							Name:  "vllm-pool",
							Group: ptr(aigv1b1.InferencePoolGroup),
							Kind:  ptr(aigv1b1.InferencePoolKind),
						}},
					},
				},
				LLMRequestCosts: []aigv1b1.LLMRequestCost{
					{MetadataKey: "llm_input_token", Type: aigv1b1.LLMRequestCostTypeInputToken},
					{MetadataKey: "llm_cost", Type: aigv1b1.LLMRequestCostTypeCEL, CEL: ptr("input_tokens + output_tokens")},
				},
			},
			Status: aigv1b1.AIGatewayRouteStatus{Conditions: []metav1.Condition{{
				Type:               aigv1b1.ConditionTypeAccepted,
				Status:             metav1.ConditionTrue,
				Reason:             "ReconciliationSucceeded",
				Message:            "reconciled",
				LastTransitionTime: created,
			}}},
		},
		"backend": &aigv1b1.AIServiceBackend{
			TypeMeta:   typeMeta("AIServiceBackend"),
			ObjectMeta: objectMeta("azure"),
			Spec: aigv1b1.AIServiceBackendSpec{
				APISchema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaAzureOpenAI, Version: ptr("2025-01-01-preview"), Prefix: ptr("/openai")},
				BackendRef: gwapiv1.BackendObjectReference{
					Group: ptr(gwapiv1.Group("gateway.envoyproxy.io")),
					Kind:  ptr(gwapiv1.Kind("Backend")),
					Name:  "azure",
					Port:  ptr(gwapiv1.PortNumber(443)),
				},
				HeaderMutation: &aigv1b1.HTTPHeaderMutation{Remove: []string{"x-internal"}},
				BodyMutation:   &aigv1b1.HTTPBodyMutation{Set: []aigv1b1.HTTPBodyField{{Path: "max_tokens", Value: "42"}}},
			},
		},
		"apikey policy with credentialOverride": &aigv1b1.BackendSecurityPolicy{
			TypeMeta:   typeMeta("BackendSecurityPolicy"),
			ObjectMeta: objectMeta("openai-apikey"),
			Spec: aigv1b1.BackendSecurityPolicySpec{
				TargetRefs: []gwapiv1a2.LocalPolicyTargetReference{asbTarget("openai")},
				Type:       aigv1b1.BackendSecurityPolicyTypeAPIKey,
				APIKey:     &aigv1b1.BackendSecurityPolicyAPIKey{SecretRef: secretRef("openai-apikey")},
				CredentialOverride: &aigv1b1.BackendSecurityPolicyCredentialOverride{
					FromDynamicMetadata: &aigv1b1.CredentialOverrideFromDynamicMetadata{
						Namespace:            "envoy.filters.http.ext_authz",
						Key:                  "tenant-key",
						FallbackToConfigured: ptr(false),
					},
				},
			},
		},
		"aws policy": &aigv1b1.BackendSecurityPolicy{
			TypeMeta:   typeMeta("BackendSecurityPolicy"),
			ObjectMeta: objectMeta("aws"),
			Spec: aigv1b1.BackendSecurityPolicySpec{
				TargetRefs: []gwapiv1a2.LocalPolicyTargetReference{asbTarget("aws"), asbTarget("aws-anthropic")},
				Type:       aigv1b1.BackendSecurityPolicyTypeAWSCredentials,
				AWSCredentials: &aigv1b1.BackendSecurityPolicyAWSCredentials{
					Region:          "us-east-1",
					CredentialsFile: &aigv1b1.AWSCredentialsFile{SecretRef: secretRef("aws-credentials"), Profile: "default"},
					OIDCExchangeToken: &aigv1b1.AWSOIDCExchangeToken{
						BackendSecurityPolicyOIDC: oidc(),
						AwsRoleArn:                "arn:aws:iam::123456789012:role/bedrock",
					},
				},
				CredentialOverride: &aigv1b1.BackendSecurityPolicyCredentialOverride{
					FromRequestHeaders: &aigv1b1.CredentialOverrideFromRequestHeaders{Header: "x-aigw-aws-", FallbackToConfigured: ptr(true)},
				},
			},
		},
		"azure policy": &aigv1b1.BackendSecurityPolicy{
			TypeMeta:   typeMeta("BackendSecurityPolicy"),
			ObjectMeta: objectMeta("azure"),
			Spec: aigv1b1.BackendSecurityPolicySpec{
				Type: aigv1b1.BackendSecurityPolicyTypeAzureCredentials,
				AzureCredentials: &aigv1b1.BackendSecurityPolicyAzureCredentials{
					ClientID:          "client",
					TenantID:          "tenant",
					OIDCExchangeToken: &aigv1b1.AzureOIDCExchangeToken{BackendSecurityPolicyOIDC: oidc()},
				},
			},
		},
		"gcp policy": &aigv1b1.BackendSecurityPolicy{
			TypeMeta:   typeMeta("BackendSecurityPolicy"),
			ObjectMeta: objectMeta("gcp"),
			Spec: aigv1b1.BackendSecurityPolicySpec{
				Type: aigv1b1.BackendSecurityPolicyTypeGCPCredentials,
				GCPCredentials: &aigv1b1.BackendSecurityPolicyGCPCredentials{
					ProjectName: "my-project",
					Region:      "us-central1",
					WorkloadIdentityFederationConfig: &aigv1b1.GCPWorkloadIdentityFederationConfig{
						ProjectID:                    "my-project",
						WorkloadIdentityPoolName:     "pool",
						WorkloadIdentityProviderName: "provider",
						OIDCExchangeToken:            aigv1b1.GCPOIDCExchangeToken{BackendSecurityPolicyOIDC: oidc()},
						ServiceAccountImpersonation:  &aigv1b1.GCPServiceAccountImpersonationConfig{ServiceAccountName: "vertex"},
					},
				},
			},
		},
		"azure and anthropic api key policies": &aigv1b1.BackendSecurityPolicyList{
			TypeMeta: typeMeta("BackendSecurityPolicyList"),
			Items: []aigv1b1.BackendSecurityPolicy{
				{ObjectMeta: objectMeta("azure-apikey"), Spec: aigv1b1.BackendSecurityPolicySpec{
					Type:        aigv1b1.BackendSecurityPolicyTypeAzureAPIKey,
					AzureAPIKey: &aigv1b1.BackendSecurityPolicyAzureAPIKey{SecretRef: secretRef("azure-apikey")},
				}},
				{ObjectMeta: objectMeta("anthropic"), Spec: aigv1b1.BackendSecurityPolicySpec{
					Type:            aigv1b1.BackendSecurityPolicyTypeAnthropicAPIKey,
					AnthropicAPIKey: &aigv1b1.BackendSecurityPolicyAnthropicAPIKey{SecretRef: secretRef("anthropic-apikey")},
				}},
			},
		},
	}
}

func TestJSONRoundTrip(t *testing.T) {
	for name, want := range fixtures() {
		t.Run("the "+name+" survives a JSON round trip", func(t *testing.T) {
			b, err := json.Marshal(want)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			got := newZero(t, want)
			if err := json.Unmarshal(b, got); err != nil {
				t.Fatalf("unmarshal: %v", err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("round trip mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDeepCopy(t *testing.T) {
	for name, want := range fixtures() {
		t.Run("a deep copy of the "+name+" is equal and shares no memory", func(t *testing.T) {
			got := want.DeepCopyObject()
			if diff := cmp.Diff(want, got); diff != "" {
				t.Fatalf("copy differs (-want +got):\n%s", diff)
			}
			before := want.DeepCopyObject()
			scribble(got)
			if diff := cmp.Diff(before, want); diff != "" {
				t.Errorf("changing the copy changed the original (-want +got):\n%s", diff)
			}
		})
	}
}

// newZero returns a pointer to a new zero value of obj's concrete type.
func newZero(t *testing.T, obj runtime.Object) runtime.Object {
	t.Helper()
	switch obj.(type) {
	case *aigv1b1.AIGatewayRoute:
		return &aigv1b1.AIGatewayRoute{}
	case *aigv1b1.AIServiceBackend:
		return &aigv1b1.AIServiceBackend{}
	case *aigv1b1.BackendSecurityPolicy:
		return &aigv1b1.BackendSecurityPolicy{}
	case *aigv1b1.BackendSecurityPolicyList:
		return &aigv1b1.BackendSecurityPolicyList{}
	}
	t.Fatalf("no zero value for %T", obj)
	return nil
}

// scribble changes the nested, pointer-held parts of obj that a shallow copy
// would share with the original.
func scribble(obj runtime.Object) {
	switch o := obj.(type) {
	case *aigv1b1.AIGatewayRoute:
		r := &o.Spec.Rules[0]
		*r.Name = "changed"
		r.BackendRefs[0].HeaderMutation.Set[0].Value = "changed"
		*r.BackendRefs[0].Weight = 1
		*r.Timeouts.Request = "1s"
		r.Matches[0].Headers[0].Value = "changed"
		o.Spec.Hostnames[0] = "changed.example.com"
		o.Status.Conditions[0].Message = "changed"
	case *aigv1b1.AIServiceBackend:
		*o.Spec.APISchema.Version = "changed"
		*o.Spec.BackendRef.Port = 1
		o.Spec.BodyMutation.Set[0].Value = "changed"
	case *aigv1b1.BackendSecurityPolicy:
		o.Spec.TargetRefs = append(o.Spec.TargetRefs[:0], asbTarget("changed"))
		switch {
		case o.Spec.APIKey != nil:
			o.Spec.APIKey.SecretRef.Name = "changed"
			*o.Spec.CredentialOverride.FromDynamicMetadata.FallbackToConfigured = true
		case o.Spec.AWSCredentials != nil:
			o.Spec.AWSCredentials.CredentialsFile.SecretRef.Name = "changed"
			*o.Spec.AWSCredentials.OIDCExchangeToken.OIDC.ClientID = "changed"
		case o.Spec.AzureCredentials != nil:
			o.Spec.AzureCredentials.OIDCExchangeToken.OIDC.Scopes[0] = "changed"
		case o.Spec.GCPCredentials != nil:
			o.Spec.GCPCredentials.WorkloadIdentityFederationConfig.ServiceAccountImpersonation.ServiceAccountName = "changed"
		}
	case *aigv1b1.BackendSecurityPolicyList:
		o.Items[0].Spec.AzureAPIKey.SecretRef.Name = "changed"
	}
}

// TestJSONNames pins the wire names and the omitempty behaviour that
// API-server defaulting depends on: optional fields left unset must not be
// sent, so the server can fill in weight 1, priority 0, profile "default" and
// so on.
func TestJSONNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		obj  any
		want string
	}{
		{
			name: "an AIServiceBackend sends its schema as schema",
			obj: aigv1b1.AIServiceBackendSpec{
				APISchema:  aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaOpenAI},
				BackendRef: gwapiv1.BackendObjectReference{Name: "openai"},
			},
			want: `{"schema":{"name":"OpenAI"},"backendRef":{"name":"openai"}}`,
		},
		{
			name: "a bare backend ref leaves weight and priority to the server",
			obj:  aigv1b1.AIGatewayRouteRuleBackendRef{Name: "openai"},
			want: `{"name":"openai"}`,
		},
		{
			name: "a bare rule leaves modelsOwnedBy to the server",
			obj:  aigv1b1.AIGatewayRouteRule{},
			want: `{}`,
		},
		{
			name: "a route spec always sends rules",
			obj:  aigv1b1.AIGatewayRouteSpec{Rules: []aigv1b1.AIGatewayRouteRule{}},
			want: `{"rules":[]}`,
		},
		{
			name: "an AWS credentials file leaves the profile to the server",
			obj:  aigv1b1.AWSCredentialsFile{SecretRef: &gwapiv1.SecretObjectReference{Name: "aws"}},
			want: `{"secretRef":{"name":"aws"}}`,
		},
		{
			name: "an AWS policy with only a region uses the default credential chain",
			obj:  aigv1b1.BackendSecurityPolicyAWSCredentials{Region: "us-east-1"},
			want: `{"region":"us-east-1"}`,
		},
		{
			name: "a request-header override leaves header and fallback to the controller and server",
			obj: aigv1b1.BackendSecurityPolicyCredentialOverride{
				FromRequestHeaders: &aigv1b1.CredentialOverrideFromRequestHeaders{},
			},
			want: `{"fromRequestHeaders":{}}`,
		},
		{
			name: "the OIDC exchange token is inlined next to awsRoleArn",
			obj: aigv1b1.AWSOIDCExchangeToken{
				BackendSecurityPolicyOIDC: aigv1b1.BackendSecurityPolicyOIDC{OIDC: egv1a1.OIDC{
					Provider:     egv1a1.OIDCProvider{Issuer: "https://issuer.example.com"},
					ClientSecret: gwapiv1.SecretObjectReference{Name: "s"},
				}},
				AwsRoleArn: "arn",
			},
			want: `{"oidc":{"provider":{"issuer":"https://issuer.example.com"},"clientSecret":{"name":"s"}},"awsRoleArn":"arn"}`,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := json.Marshal(tc.obj)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if diff := cmp.Diff(tc.want, string(b)); diff != "" {
				t.Errorf("JSON mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddToScheme(t *testing.T) {
	scheme := runtime.NewScheme()
	if err := aigv1b1.AddToScheme(scheme); err != nil {
		t.Fatalf("AddToScheme: %v", err)
	}
	for _, obj := range []runtime.Object{
		&aigv1b1.AIGatewayRoute{}, &aigv1b1.AIGatewayRouteList{},
		&aigv1b1.AIServiceBackend{}, &aigv1b1.AIServiceBackendList{},
		&aigv1b1.BackendSecurityPolicy{}, &aigv1b1.BackendSecurityPolicyList{},
	} {
		gvks, _, err := scheme.ObjectKinds(obj)
		if err != nil {
			t.Errorf("%T is not registered: %v", obj, err)
			continue
		}
		if diff := cmp.Diff(aigv1b1.GroupVersion.String(), gvks[0].GroupVersion().String()); diff != "" {
			t.Errorf("%T group version (-want +got):\n%s", obj, diff)
		}
	}
}

func TestIsInferencePool(t *testing.T) {
	for _, tc := range []struct {
		name string
		ref  aigv1b1.AIGatewayRouteRuleBackendRef
		want bool
	}{
		{name: "a ref without group and kind names an AIServiceBackend", ref: aigv1b1.AIGatewayRouteRuleBackendRef{Name: "a"}},
		{
			name: "a ref with the InferencePool group and kind names an InferencePool",
			ref:  aigv1b1.AIGatewayRouteRuleBackendRef{Name: "p", Group: ptr(aigv1b1.InferencePoolGroup), Kind: ptr(aigv1b1.InferencePoolKind)},
			want: true,
		},
		{
			name: "a ref with another group does not name an InferencePool",
			ref:  aigv1b1.AIGatewayRouteRuleBackendRef{Name: "p", Group: ptr("example.com"), Kind: ptr(aigv1b1.InferencePoolKind)},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.ref.IsInferencePool(); got != tc.want {
				t.Errorf("IsInferencePool() = %v, want %v", got, tc.want)
			}
		})
	}
}
