package v1beta1

import (
	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1a2 "sigs.k8s.io/gateway-api/apis/v1alpha2"
)

// Keys the upstream controller reads from the Secrets a BackendSecurityPolicy
// references. Secrets default to the policy's namespace.
const (
	// SecretKeyAPIKey holds the key of an APIKey, AzureAPIKey or
	// AnthropicAPIKey policy.
	SecretKeyAPIKey = "apiKey"
	// SecretKeyAWSCredentials holds an AWS INI credentials file with a
	// [profile] section of aws_access_key_id and aws_secret_access_key.
	SecretKeyAWSCredentials = "credentials"
	// SecretKeyClientSecret holds the Azure client secret and every OIDC
	// client secret.
	SecretKeyClientSecret = "client-secret" // #nosec G101 -- a key name, not a secret.
	// SecretKeyGCPServiceAccount holds a GCP service-account key JSON.
	SecretKeyGCPServiceAccount = "service_account.json"
)

// BackendSecurityPolicyType is the mechanism a BackendSecurityPolicy uses to
// authenticate to the provider.
type BackendSecurityPolicyType string

const (
	// BackendSecurityPolicyTypeAPIKey sends "Authorization: Bearer <apiKey>".
	BackendSecurityPolicyTypeAPIKey BackendSecurityPolicyType = "APIKey"
	// BackendSecurityPolicyTypeAWSCredentials signs requests with AWS SigV4.
	BackendSecurityPolicyTypeAWSCredentials BackendSecurityPolicyType = "AWSCredentials"
	// BackendSecurityPolicyTypeAzureAPIKey sends "api-key: <apiKey>".
	BackendSecurityPolicyTypeAzureAPIKey BackendSecurityPolicyType = "AzureAPIKey"
	// BackendSecurityPolicyTypeAnthropicAPIKey sends "x-api-key: <apiKey>".
	BackendSecurityPolicyTypeAnthropicAPIKey BackendSecurityPolicyType = "AnthropicAPIKey" // #nosec G101 -- a type name, not a secret.
	// BackendSecurityPolicyTypeAzureCredentials sends an Entra ID token as
	// "Authorization: Bearer".
	BackendSecurityPolicyTypeAzureCredentials BackendSecurityPolicyType = "AzureCredentials"
	// BackendSecurityPolicyTypeGCPCredentials sends a GCP access token and
	// rewrites the path with the project and region.
	BackendSecurityPolicyTypeGCPCredentials BackendSecurityPolicyType = "GCPCredentials"
)

// BackendSecurityPolicy sets how the gateway authenticates to the provider
// behind the AIServiceBackends or InferencePools it targets. It is a Gateway
// API direct policy attachment; more than one policy targeting the same
// resource is a reconcile error.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:printcolumn:name="Status",type=string,JSONPath=`.status.conditions[-1:].type`
// +kubebuilder:metadata:labels="gateway.networking.k8s.io/policy=direct"
// +kubebuilder:storageversion
type BackendSecurityPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is the desired state of the BackendSecurityPolicy.
	Spec BackendSecurityPolicySpec `json:"spec,omitempty"`
	// Status is written by the upstream controller.
	Status BackendSecurityPolicyStatus `json:"status,omitempty"`
}

// BackendSecurityPolicyList is a list of BackendSecurityPolicies.
//
// +kubebuilder:object:root=true
type BackendSecurityPolicyList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`

	// Items are the BackendSecurityPolicies in the list.
	Items []BackendSecurityPolicy `json:"items"`
}

// BackendSecurityPolicySpec is the desired state of a BackendSecurityPolicy:
// a type and exactly the one credential block that type names, plus optional
// targetRefs and credentialOverride.
//
// +kubebuilder:validation:MaxProperties=4
// +kubebuilder:validation:XValidation:rule="self.type != 'APIKey' || (has(self.apiKey) && !has(self.awsCredentials) && !has(self.azureAPIKey) && !has(self.azureCredentials) && !has(self.gcpCredentials) && !has(self.anthropicAPIKey))",message="When type is APIKey, only apiKey field should be set"
// +kubebuilder:validation:XValidation:rule="self.type != 'AWSCredentials' || (has(self.awsCredentials) && !has(self.apiKey) && !has(self.azureAPIKey) && !has(self.azureCredentials) && !has(self.gcpCredentials) && !has(self.anthropicAPIKey))",message="When type is AWSCredentials, only awsCredentials field should be set"
// +kubebuilder:validation:XValidation:rule="self.type != 'AzureAPIKey' || (has(self.azureAPIKey) && !has(self.apiKey) && !has(self.awsCredentials) && !has(self.azureCredentials) && !has(self.gcpCredentials) && !has(self.anthropicAPIKey))",message="When type is AzureAPIKey, only azureAPIKey field should be set"
// +kubebuilder:validation:XValidation:rule="self.type != 'AzureCredentials' || (has(self.azureCredentials) && !has(self.apiKey) && !has(self.awsCredentials) && !has(self.azureAPIKey) && !has(self.gcpCredentials) && !has(self.anthropicAPIKey))",message="When type is AzureCredentials, only azureCredentials field should be set"
// +kubebuilder:validation:XValidation:rule="self.type != 'GCPCredentials' || (has(self.gcpCredentials) && !has(self.apiKey) && !has(self.awsCredentials) && !has(self.azureAPIKey) && !has(self.azureCredentials) && !has(self.anthropicAPIKey))",message="When type is GCPCredentials, only gcpCredentials field should be set"
// +kubebuilder:validation:XValidation:rule="self.type != 'AnthropicAPIKey' || (has(self.anthropicAPIKey) && !has(self.apiKey) && !has(self.awsCredentials) && !has(self.azureAPIKey) && !has(self.azureCredentials) && !has(self.gcpCredentials))",message="When type is AnthropicAPIKey, only anthropicAPIKey field should be set"
type BackendSecurityPolicySpec struct {
	// TargetRefs are the AIServiceBackends (group aigateway.envoyproxy.io)
	// or InferencePools (group inference.networking.k8s.io) in the policy's
	// namespace that the policy applies to. Group and kind have no defaults
	// and must be written out.
	//
	// +optional
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:XValidation:rule="self.all(ref, (ref.group == 'aigateway.envoyproxy.io' && ref.kind == 'AIServiceBackend') || (ref.group == 'inference.networking.k8s.io' && ref.kind == 'InferencePool'))",message="targetRefs must reference AIServiceBackend or InferencePool resources"
	TargetRefs []gwapiv1a2.LocalPolicyTargetReference `json:"targetRefs,omitempty"`

	// Type is the authentication mechanism. The credential block of the same
	// name must be set, and no other.
	//
	// +kubebuilder:validation:Enum=APIKey;AWSCredentials;AzureAPIKey;AzureCredentials;GCPCredentials;AnthropicAPIKey
	Type BackendSecurityPolicyType `json:"type"`

	// APIKey is the credential of type APIKey.
	//
	// +optional
	APIKey *BackendSecurityPolicyAPIKey `json:"apiKey,omitempty"`

	// AWSCredentials is the credential of type AWSCredentials.
	//
	// +optional
	AWSCredentials *BackendSecurityPolicyAWSCredentials `json:"awsCredentials,omitempty"`

	// AzureAPIKey is the credential of type AzureAPIKey.
	//
	// +optional
	AzureAPIKey *BackendSecurityPolicyAzureAPIKey `json:"azureAPIKey,omitempty"`

	// AzureCredentials is the credential of type AzureCredentials.
	//
	// +optional
	AzureCredentials *BackendSecurityPolicyAzureCredentials `json:"azureCredentials,omitempty"`

	// GCPCredentials is the credential of type GCPCredentials.
	//
	// +optional
	GCPCredentials *BackendSecurityPolicyGCPCredentials `json:"gcpCredentials,omitempty"`

	// AnthropicAPIKey is the credential of type AnthropicAPIKey.
	//
	// +optional
	AnthropicAPIKey *BackendSecurityPolicyAnthropicAPIKey `json:"anthropicAPIKey,omitempty"`

	// CredentialOverride, when set, takes the credential from each request
	// (a header or dynamic metadata written by a trusted filter) instead of
	// the static credential above.
	//
	// +optional
	CredentialOverride *BackendSecurityPolicyCredentialOverride `json:"credentialOverride,omitempty"`
}

// BackendSecurityPolicyAPIKey is an API key sent as
// "Authorization: Bearer <key>".
type BackendSecurityPolicyAPIKey struct {
	// SecretRef names the Secret whose key SecretKeyAPIKey ("apiKey") holds
	// the API key.
	SecretRef *gwapiv1.SecretObjectReference `json:"secretRef"`
}

// BackendSecurityPolicyAzureAPIKey is an Azure OpenAI API key sent as
// "api-key: <key>".
type BackendSecurityPolicyAzureAPIKey struct {
	// SecretRef names the Secret whose key SecretKeyAPIKey ("apiKey") holds
	// the API key.
	SecretRef *gwapiv1.SecretObjectReference `json:"secretRef"`
}

// BackendSecurityPolicyAnthropicAPIKey is an Anthropic API key sent as
// "x-api-key: <key>".
type BackendSecurityPolicyAnthropicAPIKey struct {
	// SecretRef names the Secret whose key SecretKeyAPIKey ("apiKey") holds
	// the API key.
	SecretRef *gwapiv1.SecretObjectReference `json:"secretRef"`
}

// BackendSecurityPolicyOIDC is an OIDC client whose token the controller
// exchanges for provider credentials.
type BackendSecurityPolicyOIDC struct {
	// OIDC is the Envoy Gateway OIDC client configuration. Its client secret
	// Secret is read at key SecretKeyClientSecret ("client-secret").
	//
	// +kubebuilder:validation:Required
	OIDC egv1a1.OIDC `json:"oidc"`

	// GrantType is the OAuth grant type used to get the token.
	//
	// +optional
	GrantType string `json:"grantType,omitempty"`

	// Aud is the audience the token is intended for.
	//
	// +optional
	Aud string `json:"aud,omitempty"`
}

// BackendSecurityPolicyAWSCredentials signs requests with AWS SigV4. With
// neither CredentialsFile nor OIDCExchangeToken set, the AWS SDK default
// credential chain is used (environment, EKS Pod Identity, IRSA, EC2 or ECS
// roles).
type BackendSecurityPolicyAWSCredentials struct {
	// Region is the SigV4 signing region, such as us-east-1.
	//
	// +kubebuilder:validation:MinLength=1
	Region string `json:"region"`

	// CredentialsFile takes static credentials from an INI file in a Secret.
	//
	// +optional
	CredentialsFile *AWSCredentialsFile `json:"credentialsFile,omitempty"`

	// OIDCExchangeToken exchanges an OIDC token through STS for temporary
	// credentials.
	//
	// +optional
	OIDCExchangeToken *AWSOIDCExchangeToken `json:"oidcExchangeToken,omitempty"`
}

// AWSCredentialsFile is an AWS INI credentials file held in a Secret.
type AWSCredentialsFile struct {
	// SecretRef names the Secret whose key SecretKeyAWSCredentials
	// ("credentials") holds the file.
	SecretRef *gwapiv1.SecretObjectReference `json:"secretRef"`

	// Profile is the INI profile to use.
	//
	// +optional
	// +kubebuilder:default=default
	Profile string `json:"profile,omitempty"`
}

// AWSOIDCExchangeToken exchanges an OIDC token through STS
// (AssumeRoleWithWebIdentity) for temporary AWS credentials.
type AWSOIDCExchangeToken struct {
	// BackendSecurityPolicyOIDC is the OIDC client, inlined.
	BackendSecurityPolicyOIDC `json:",inline"`

	// AwsRoleArn is the IAM role to assume.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	AwsRoleArn string `json:"awsRoleArn"`
}

// BackendSecurityPolicyAzureCredentials gets an Entra ID token with either a
// client secret or an exchanged OIDC token, exactly one of them.
//
// +kubebuilder:validation:XValidation:rule="has(self.clientSecretRef) != has(self.oidcExchangeToken)",message="Exactly one of clientSecretRef or oidcExchangeToken must be specified"
type BackendSecurityPolicyAzureCredentials struct {
	// ClientID is the Entra application (client) ID.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	ClientID string `json:"clientID"`

	// TenantID is the Entra tenant ID.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	TenantID string `json:"tenantID"`

	// ClientSecretRef names the Secret whose key SecretKeyClientSecret
	// ("client-secret") holds the client secret.
	//
	// +optional
	ClientSecretRef *gwapiv1.SecretObjectReference `json:"clientSecretRef,omitempty"`

	// OIDCExchangeToken exchanges an OIDC token for an Entra ID token.
	//
	// +optional
	OIDCExchangeToken *AzureOIDCExchangeToken `json:"oidcExchangeToken,omitempty"`
}

// AzureOIDCExchangeToken exchanges an OIDC token for an Entra ID token.
type AzureOIDCExchangeToken struct {
	// BackendSecurityPolicyOIDC is the OIDC client, inlined.
	BackendSecurityPolicyOIDC `json:",inline"`
}

// BackendSecurityPolicyGCPCredentials gets a GCP access token with a
// service-account key or Workload Identity Federation, at most one of them;
// with neither, Application Default Credentials are used. ProjectName and
// Region also go into the request path.
//
// +kubebuilder:validation:XValidation:rule="!(has(self.credentialsFile) && has(self.workloadIdentityFederationConfig))",message="At most one of credentialsFile or workloadIdentityFederationConfig may be specified"
type BackendSecurityPolicyGCPCredentials struct {
	// ProjectName is the GCP project.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	ProjectName string `json:"projectName"`

	// Region is the GCP region, such as us-central1.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Region string `json:"region"`

	// CredentialsFile takes a service-account key from a Secret.
	//
	// +optional
	CredentialsFile *GCPCredentialsFile `json:"credentialsFile,omitempty"`

	// WorkloadIdentityFederationConfig exchanges an OIDC token through GCP
	// Workload Identity Federation.
	//
	// +optional
	WorkloadIdentityFederationConfig *GCPWorkloadIdentityFederationConfig `json:"workloadIdentityFederationConfig,omitempty"`
}

// GCPCredentialsFile is a GCP service-account key held in a Secret.
type GCPCredentialsFile struct {
	// SecretRef names the Secret whose key SecretKeyGCPServiceAccount
	// ("service_account.json") holds the key JSON.
	SecretRef *gwapiv1.SecretObjectReference `json:"secretRef"`
}

// GCPWorkloadIdentityFederationConfig exchanges an OIDC token for a GCP
// access token through a workload identity pool.
type GCPWorkloadIdentityFederationConfig struct {
	// ProjectID is the GCP project ID that owns the pool.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	ProjectID string `json:"projectID"`

	// WorkloadIdentityProviderName is the external identity provider as
	// registered in the pool.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	WorkloadIdentityProviderName string `json:"workloadIdentityProviderName"`

	// OIDCExchangeToken is the OIDC client whose token is exchanged.
	//
	// +kubebuilder:validation:Required
	OIDCExchangeToken GCPOIDCExchangeToken `json:"oidcExchangeToken"`

	// WorkloadIdentityPoolName is the workload identity pool.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	WorkloadIdentityPoolName string `json:"workloadIdentityPoolName"`

	// ServiceAccountImpersonation, when set, impersonates a service account
	// with the federated token.
	//
	// +optional
	ServiceAccountImpersonation *GCPServiceAccountImpersonationConfig `json:"serviceAccountImpersonation,omitempty"`
}

// GCPOIDCExchangeToken is the OIDC client of a Workload Identity Federation.
type GCPOIDCExchangeToken struct {
	// BackendSecurityPolicyOIDC is the OIDC client, inlined.
	BackendSecurityPolicyOIDC `json:",inline"`
}

// GCPServiceAccountImpersonationConfig names the service account to
// impersonate.
type GCPServiceAccountImpersonationConfig struct {
	// ServiceAccountName is the service account to impersonate.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	ServiceAccountName string `json:"serviceAccountName"`
}

// BackendSecurityPolicyCredentialOverride takes the credential from each
// request instead of the policy's static credential. Exactly one source must
// be set. The effective default header or metadata key depends on the
// policy type (x-aigw-api-key for APIKey, the x-aigw-aws- prefix for
// AWSCredentials, and so on).
//
// +kubebuilder:validation:MinProperties=1
// +kubebuilder:validation:MaxProperties=1
type BackendSecurityPolicyCredentialOverride struct {
	// FromRequestHeaders reads the credential from a request header. Clients
	// can set headers, so a trusted filter must overwrite it; the gateway
	// strips it before the request goes upstream.
	//
	// +optional
	FromRequestHeaders *CredentialOverrideFromRequestHeaders `json:"fromRequestHeaders,omitempty"`

	// FromDynamicMetadata reads the credential from Envoy dynamic metadata
	// written by a trusted filter such as ext_authz; clients cannot forge it.
	//
	// +optional
	FromDynamicMetadata *CredentialOverrideFromDynamicMetadata `json:"fromDynamicMetadata,omitempty"`
}

// CredentialOverrideFromRequestHeaders reads the per-request credential from
// a request header.
type CredentialOverrideFromRequestHeaders struct {
	// Header is the header name (for AWSCredentials, the prefix of the
	// access-key-id, secret-access-key and session-token headers). The
	// controller picks an x-aigw-* name for the policy type when it is unset.
	//
	// +optional
	Header string `json:"header,omitempty"`

	// FallbackToConfigured uses the static credential when the header is
	// absent; false answers 401 instead.
	//
	// +optional
	// +kubebuilder:default=true
	FallbackToConfigured *bool `json:"fallbackToConfigured,omitempty"`
}

// CredentialOverrideFromDynamicMetadata reads the per-request credential from
// Envoy dynamic metadata.
type CredentialOverrideFromDynamicMetadata struct {
	// Namespace is the metadata namespace the trusted filter writes, such as
	// envoy.filters.http.ext_authz.
	//
	// +kubebuilder:validation:Required
	// +kubebuilder:validation:MinLength=1
	Namespace string `json:"namespace"`

	// Key is the metadata key. The controller picks an x-aigw-* name for the
	// policy type when it is unset. For AWSCredentials the value is a struct
	// of accessKeyId, secretAccessKey and optional sessionToken; otherwise a
	// string.
	//
	// +optional
	Key string `json:"key,omitempty"`

	// FallbackToConfigured uses the static credential when the key is absent;
	// false answers 401 instead.
	//
	// +optional
	// +kubebuilder:default=true
	FallbackToConfigured *bool `json:"fallbackToConfigured,omitempty"`
}

// BackendSecurityPolicyStatus is the observed state of a
// BackendSecurityPolicy.
type BackendSecurityPolicyStatus struct {
	// Conditions holds the single Accepted or NotAccepted condition of the
	// last reconcile.
	//
	// +optional
	Conditions []metav1.Condition `json:"conditions,omitempty"`
}
