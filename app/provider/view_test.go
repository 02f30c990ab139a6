package provider

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

func mustView(t *testing.T, name string, objs []*unstructured.Unstructured) Provider {
	t.Helper()
	p, err := FromObjects(name, objs)
	if err != nil {
		t.Fatalf("FromObjects(%s): %v", name, err)
	}
	return p
}

func TestFromObjectsOfARenderedProvider(t *testing.T) {
	objs := live(mustRender(t, openAISpec()).Objects, liveOptions{accepted: allAccepted()})
	got := mustView(t, "openai", objs)
	want := Provider{
		Name: "openai", Namespace: testNS,
		Schema:   Schema{Name: aigv1b1.APISchemaOpenAI},
		Endpoint: Endpoint{Hostname: "api.openai.com", Port: 443, TLS: ptr(true)},
		Auth: AuthView{Type: AuthAPIKey, Credential: &CredentialView{
			SecretName: "openai-credentials", Managed: true, Exists: true,
			RequiredKey: "apiKey", HasRequiredKey: true, Keys: []string{"apiKey"},
			Fingerprint: got.Auth.Credential.Fingerprint,
		}},
		Objects: []ObjectRef{
			{Kind: "Secret", APIVersion: "v1", Name: "openai-credentials", ResourceVersion: "100", Managed: true},
			{Kind: "Backend", APIVersion: "gateway.envoyproxy.io/v1alpha1", Name: "openai", ResourceVersion: "101", Managed: true},
			{Kind: "BackendTLSPolicy", APIVersion: "gateway.networking.k8s.io/v1", Name: "openai", ResourceVersion: "102", Managed: true},
			{Kind: "AIServiceBackend", APIVersion: "aigateway.envoyproxy.io/v1beta1", Name: "openai", ResourceVersion: "103", Managed: true},
			{Kind: "BackendSecurityPolicy", APIVersion: "aigateway.envoyproxy.io/v1beta1", Name: "openai", ResourceVersion: "104", Managed: true},
		},
		Status: Status{
			Accepted: metav1.ConditionTrue, Ready: true,
			Conditions: []Condition{
				{Kind: "Backend", Name: "openai", Type: "Accepted", Status: "True", Reason: "Accepted", Message: "reconciled successfully"},
				{Kind: "BackendTLSPolicy", Name: "openai", Type: "Accepted", Status: "True", Reason: "ReconciliationSucceeded", Message: "reconciled successfully"},
				{Kind: "AIServiceBackend", Name: "openai", Type: "Accepted", Status: "True", Reason: "ReconciliationSucceeded", Message: "reconciled successfully"},
				{Kind: "BackendSecurityPolicy", Name: "openai", Type: "Accepted", Status: "True", Reason: "ReconciliationSucceeded", Message: "reconciled successfully"},
			},
		},
		ResourceVersion: got.ResourceVersion,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("view (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got.Auth.Credential.Fingerprint, "sha256:") {
		t.Errorf("fingerprint %q", got.Auth.Credential.Fingerprint)
	}
	if !strings.HasPrefix(got.ResourceVersion, "p") || len(got.ResourceVersion) != 17 {
		t.Errorf("resourceVersion %q", got.ResourceVersion)
	}
}

// TestFromObjectsRoundTripsTheSpec checks that the view of every rendered
// spec gives back the spec's non-secret fields.
func TestFromObjectsRoundTripsTheSpec(t *testing.T) {
	for name, s := range allSpecs() {
		t.Run("the view of "+name+" gives back its schema, endpoint and auth", func(t *testing.T) {
			p := mustView(t, s.Name, live(mustRender(t, s).Objects, liveOptions{}))
			if diff := cmp.Diff(s.Schema, p.Schema); diff != "" {
				t.Errorf("schema (-want +got):\n%s", diff)
			}
			wantEP := s.Endpoint
			wantEP.TLS = ptr(s.Endpoint.TLSEnabled())
			if diff := cmp.Diff(wantEP, p.Endpoint); diff != "" {
				t.Errorf("endpoint (-want +got):\n%s", diff)
			}
			if p.Auth.Type != s.Auth.Type || p.Template != s.Template {
				t.Errorf("auth type %q template %q, want %q %q", p.Auth.Type, p.Template, s.Auth.Type, s.Template)
			}
			if diff := cmp.Diff(s.Auth.SecretRef, p.Auth.SecretRef); diff != "" {
				t.Errorf("secretRef (-want +got):\n%s", diff)
			}
			if a := s.Auth.AWS; a != nil {
				if diff := cmp.Diff(&AWSView{Region: a.Region, Profile: a.Profile}, p.Auth.AWS); diff != "" {
					t.Errorf("aws (-want +got):\n%s", diff)
				}
				if p.Auth.UseDefaultCredentials != !s.Auth.hasInlineCredential() {
					t.Errorf("useDefaultCredentials = %v", p.Auth.UseDefaultCredentials)
				}
			}
			if a := s.Auth.Azure; a != nil {
				if diff := cmp.Diff(&AzureView{ClientID: a.ClientID, TenantID: a.TenantID}, p.Auth.Azure); diff != "" {
					t.Errorf("azure (-want +got):\n%s", diff)
				}
			}
			if g := s.Auth.GCP; g != nil {
				if diff := cmp.Diff(&GCPView{ProjectName: g.ProjectName, Region: g.Region}, p.Auth.GCP); diff != "" {
					t.Errorf("gcp (-want +got):\n%s", diff)
				}
				if p.Auth.UseDefaultCredentials != !g.ServiceAccountJSON.IsSet() {
					t.Errorf("useDefaultCredentials = %v", p.Auth.UseDefaultCredentials)
				}
			}
		})
	}
}

func TestFromObjectsStatus(t *testing.T) {
	rendered := mustRender(t, openAISpec()).Objects
	tests := []struct {
		name     string
		opts     liveOptions
		accepted metav1.ConditionStatus
		ready    bool
		deleting bool
	}{
		{"a provider the controller has not seen yet is Unknown", liveOptions{}, metav1.ConditionUnknown, false, false},
		{"a provider whose AI Gateway objects are accepted is ready", liveOptions{accepted: map[string]bool{"AIServiceBackend": true, "BackendSecurityPolicy": true}}, metav1.ConditionTrue, true, false},
		{"an accepted backend alone is not enough", liveOptions{accepted: map[string]bool{"AIServiceBackend": true}}, metav1.ConditionUnknown, false, false},
		{"a NotAccepted policy makes the provider not accepted", liveOptions{
			accepted: map[string]bool{"AIServiceBackend": true, "BackendSecurityPolicy": false}, message: "secret not found",
		}, metav1.ConditionFalse, false, false},
		{"an invalid Backend makes the provider not accepted", liveOptions{
			accepted: map[string]bool{"AIServiceBackend": true, "BackendSecurityPolicy": true, "Backend": false}, message: "bad address",
		}, metav1.ConditionFalse, false, false},
		{"a BackendTLSPolicy refused by a gateway makes the provider not accepted", liveOptions{
			accepted: map[string]bool{"AIServiceBackend": true, "BackendSecurityPolicy": true, "BackendTLSPolicy": false},
		}, metav1.ConditionFalse, false, false},
		{"a deletionTimestamp marks the provider deleting", liveOptions{accepted: allAccepted(), deleting: "AIServiceBackend"}, metav1.ConditionTrue, false, true},
		{"a deletionTimestamp on the Secret counts too", liveOptions{accepted: allAccepted(), deleting: "Secret"}, metav1.ConditionTrue, false, true},
		{"a Secret without the needed key is not ready", liveOptions{accepted: allAccepted(), dropKeys: true}, metav1.ConditionTrue, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustView(t, "openai", live(rendered, tt.opts))
			got := []any{p.Status.Accepted, p.Status.Ready, p.Status.Deleting}
			if diff := cmp.Diff([]any{tt.accepted, tt.ready, tt.deleting}, got); diff != "" {
				t.Errorf("accepted, ready, deleting (-want +got):\n%s", diff)
			}
			if tt.opts.message != "" && !slices.ContainsFunc(p.Status.Conditions, func(c Condition) bool { return c.Message == tt.opts.message }) {
				t.Errorf("the failing condition's message is missing: %+v", p.Status.Conditions)
			}
		})
	}
}

func TestFromObjectsCredential(t *testing.T) {
	t.Run("a Secret without the needed key is reported", func(t *testing.T) {
		p := mustView(t, "openai", live(mustRender(t, openAISpec()).Objects, liveOptions{dropKeys: true}))
		want := &CredentialView{SecretName: "openai-credentials", Managed: true, Exists: true, RequiredKey: "apiKey", Keys: []string{}}
		if diff := cmp.Diff(want, p.Auth.Credential); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
	})
	t.Run("a missing managed Secret is reported and the provider is not ready", func(t *testing.T) {
		objs := live(mustRender(t, openAISpec()).Objects, liveOptions{accepted: allAccepted()})[1:]
		p := mustView(t, "openai", objs)
		want := &CredentialView{SecretName: "openai-credentials", Managed: true, RequiredKey: "apiKey", Keys: []string{}}
		if diff := cmp.Diff(want, p.Auth.Credential); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if p.Status.Ready || p.Auth.SecretRef != nil {
			t.Errorf("ready %v, secretRef %v", p.Status.Ready, p.Auth.SecretRef)
		}
	})
	t.Run("a user's Secret shows as secretRef and is not one of the provider's objects", func(t *testing.T) {
		s := with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "shared-openai"} })
		user := obj("v1", "Secret", "shared-openai", nil, nil)
		user.Object["keys"] = map[string]any{"apiKey": "sha256:0badcafe", "other": "sha256:01234567"}
		p := mustView(t, "openai", append(live(mustRender(t, s).Objects, liveOptions{accepted: allAccepted()}), user))
		want := &CredentialView{SecretName: "shared-openai", Exists: true, RequiredKey: "apiKey", HasRequiredKey: true, Keys: []string{"apiKey", "other"}, Fingerprint: "sha256:0badcafe"}
		if diff := cmp.Diff(want, p.Auth.Credential); diff != "" {
			t.Errorf("(-want +got):\n%s", diff)
		}
		if diff := cmp.Diff(&SecretRef{Name: "shared-openai"}, p.Auth.SecretRef); diff != "" {
			t.Errorf("secretRef (-want +got):\n%s", diff)
		}
		for _, o := range p.Objects {
			if o.Kind == "Secret" {
				t.Errorf("the user's Secret is listed: %+v", o)
			}
		}
		if !p.Status.Ready {
			t.Error("not ready")
		}
	})
	t.Run("a full Secret is fingerprinted and its value not shown", func(t *testing.T) {
		s := with(openAISpec(), func(s *Spec) { s.Auth.APIKey = canary })
		objs := live(mustRender(t, s).Objects, liveOptions{keepFull: true})
		sec := objs[0]
		sec.Object["stringData"] = map[string]any{"note": canary}
		p := mustView(t, "openai", objs)
		if diff := cmp.Diff([]string{"apiKey", "note"}, p.Auth.Credential.Keys); diff != "" {
			t.Errorf("keys (-want +got):\n%s", diff)
		}
		b, _ := json.Marshal(p)
		if strings.Contains(string(b), "CANARY") || !p.Auth.Credential.HasRequiredKey {
			t.Errorf("view leaks the value or misses the key: %s", b)
		}
	})
}

func TestFromObjectsOfHandMadeObjects(t *testing.T) {
	t.Run("an unlabeled backend pointing at a differently named Backend", func(t *testing.T) {
		asb := obj("aigateway.envoyproxy.io/v1beta1", "AIServiceBackend", "llama", map[string]any{
			"schema":     map[string]any{"name": "OpenAI", "prefix": "/v1"},
			"backendRef": map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "llama-be"},
		}, nil)
		be := obj("gateway.envoyproxy.io/v1alpha1", "Backend", "llama-be", map[string]any{
			"endpoints": []any{map[string]any{"ip": map[string]any{"address": "10.0.0.7", "port": int64(8000)}}},
		}, nil)
		decoy := obj("gateway.envoyproxy.io/v1alpha1", "Backend", "other", nil, nil)
		p := mustView(t, "llama", []*unstructured.Unstructured{decoy, be, asb})
		if diff := cmp.Diff(Endpoint{IP: "10.0.0.7", Port: 8000, TLS: ptr(false)}, p.Endpoint); diff != "" {
			t.Errorf("endpoint (-want +got):\n%s", diff)
		}
		if p.Auth.Type != AuthNone || p.Auth.Credential != nil {
			t.Errorf("auth %+v", p.Auth)
		}
		if diff := cmp.Diff([]string{"Backend/llama-be", "AIServiceBackend/llama"}, refNames(p.Objects)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
		if p.Objects[0].Managed {
			t.Error("a hand-made object reported as managed")
		}
	})
	t.Run("policies found through their targetRefs, a v1alpha3 TLS policy and Backend TLS settings", func(t *testing.T) {
		asb := obj("aigateway.envoyproxy.io/v1beta1", "AIServiceBackend", "aws", map[string]any{
			"schema":     map[string]any{"name": "AWSBedrock"},
			"backendRef": map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "aws"},
		}, nil)
		be := obj("gateway.envoyproxy.io/v1alpha1", "Backend", "aws", map[string]any{
			"endpoints": []any{map[string]any{"fqdn": map[string]any{"hostname": "bedrock-runtime.us-east-1.amazonaws.com", "port": float64(443)}}},
		}, nil)
		bsp := obj("aigateway.envoyproxy.io/v1beta1", "BackendSecurityPolicy", "aws-irsa", map[string]any{
			"type":           "AWSCredentials",
			"targetRefs":     []any{map[string]any{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": "aws"}},
			"awsCredentials": map[string]any{"region": "us-east-1", "oidcExchangeToken": map[string]any{"awsRoleArn": "arn:aws:iam::1:role/x"}},
		}, nil)
		btls := obj("gateway.networking.k8s.io/v1alpha3", "BackendTLSPolicy", "aws-tls", map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "aws"}},
		}, nil)
		p := mustView(t, "aws", []*unstructured.Unstructured{btls, bsp, be, asb})
		if diff := cmp.Diff(AuthView{Type: AuthAWSCredentials, AWS: &AWSView{Region: "us-east-1", OIDC: true}}, p.Auth); diff != "" {
			t.Errorf("auth (-want +got):\n%s", diff)
		}
		if p.Endpoint.Port != 443 || !*p.Endpoint.TLS {
			t.Errorf("endpoint %+v", p.Endpoint)
		}
		if diff := cmp.Diff([]string{"Backend/aws", "BackendTLSPolicy/aws-tls", "AIServiceBackend/aws", "BackendSecurityPolicy/aws-irsa"}, refNames(p.Objects)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}

		be.Object["spec"].(map[string]any)["tls"] = map[string]any{"wellKnownCACertificates": "System"}
		p = mustView(t, "aws", []*unstructured.Unstructured{be, asb})
		if !*p.Endpoint.TLS {
			t.Error("a Backend with its own TLS settings is not shown with TLS")
		}
	})
	t.Run("an Azure OIDC policy and a GCP federation policy have no credential", func(t *testing.T) {
		az := obj("aigateway.envoyproxy.io/v1beta1", "BackendSecurityPolicy", "az", map[string]any{
			"type":             "AzureCredentials",
			"azureCredentials": map[string]any{"clientID": "c", "tenantID": "t", "oidcExchangeToken": map[string]any{}},
		}, nil)
		p := mustView(t, "az", []*unstructured.Unstructured{az})
		if diff := cmp.Diff(AuthView{Type: AuthAzureCredentials, Azure: &AzureView{ClientID: "c", TenantID: "t", OIDC: true}}, p.Auth); diff != "" {
			t.Errorf("azure (-want +got):\n%s", diff)
		}
		gcp := obj("aigateway.envoyproxy.io/v1beta1", "BackendSecurityPolicy", "g", map[string]any{
			"type":           "GCPCredentials",
			"gcpCredentials": map[string]any{"projectName": "p", "region": "r", "workloadIdentityFederationConfig": map[string]any{}},
		}, nil)
		p = mustView(t, "g", []*unstructured.Unstructured{gcp})
		if diff := cmp.Diff(AuthView{Type: AuthGCPCredentials, GCP: &GCPView{ProjectName: "p", Region: "r", WorkloadIdentityFederation: true}}, p.Auth); diff != "" {
			t.Errorf("gcp (-want +got):\n%s", diff)
		}
		if p.Status.Ready || p.Status.Accepted != metav1.ConditionUnknown {
			t.Errorf("a lone policy: %+v", p.Status)
		}
	})
	t.Run("a Secret in another namespace named by the policy", func(t *testing.T) {
		bsp := obj("aigateway.envoyproxy.io/v1beta1", "BackendSecurityPolicy", "x", map[string]any{
			"type":   "APIKey",
			"apiKey": map[string]any{"secretRef": map[string]any{"name": "x-credentials", "namespace": "shared"}},
		}, nil)
		p := mustView(t, "x", []*unstructured.Unstructured{bsp})
		if p.Auth.Credential.Managed || p.Auth.Credential.Exists || p.Auth.SecretRef == nil {
			t.Errorf("credential %+v secretRef %+v", p.Auth.Credential, p.Auth.SecretRef)
		}
	})
	t.Run("objects labeled with the provider but differently named are found", func(t *testing.T) {
		l := map[string]string{LabelProvider: "lab", LabelManagedBy: ManagedBy, LabelTemplate: "self-hosted"}
		asb := obj("aigateway.envoyproxy.io/v1beta1", "AIServiceBackend", "lab-asb", map[string]any{"schema": map[string]any{"name": "OpenAI"}}, l)
		be := obj("gateway.envoyproxy.io/v1alpha1", "Backend", "lab-be", map[string]any{"endpoints": []any{}}, l)
		stale := obj("v1", "Secret", "lab-credentials", nil, l)
		p := mustView(t, "lab", []*unstructured.Unstructured{asb, be, stale})
		if diff := cmp.Diff([]string{"Secret/lab-credentials", "Backend/lab-be", "AIServiceBackend/lab-asb"}, refNames(p.Objects)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
		if p.Template != "self-hosted" || p.Schema.Name != aigv1b1.APISchemaOpenAI {
			t.Errorf("template %q schema %q", p.Template, p.Schema.Name)
		}
	})
	t.Run("two policies on one backend are both listed and the choice does not depend on order", func(t *testing.T) {
		objs := live(mustRender(t, openAISpec()).Objects, liveOptions{})
		extra := obj("aigateway.envoyproxy.io/v1beta1", "BackendSecurityPolicy", "a-second", map[string]any{
			"type":       "APIKey",
			"targetRefs": []any{map[string]any{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": "openai"}},
			"apiKey":     map[string]any{"secretRef": map[string]any{"name": "other"}},
		}, nil)
		extraTLS := obj("gateway.networking.k8s.io/v1", "BackendTLSPolicy", "a-tls", map[string]any{
			"targetRefs": []any{map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "openai"}},
		}, nil)
		forward := mustView(t, "openai", append(slices.Clone(objs), extra, extraTLS))
		backward := append([]*unstructured.Unstructured{extraTLS, extra}, objs...)
		slices.Reverse(backward)
		if diff := cmp.Diff(forward, mustView(t, "openai", backward)); diff != "" {
			t.Errorf("input order changed the view (-forward +backward):\n%s", diff)
		}
		if forward.Auth.Credential.SecretName != "openai-credentials" {
			t.Errorf("the policy named after the provider was not chosen: %+v", forward.Auth.Credential)
		}
		want := []string{"Secret/openai-credentials", "Backend/openai", "BackendTLSPolicy/a-tls", "BackendTLSPolicy/openai",
			"AIServiceBackend/openai", "BackendSecurityPolicy/a-second", "BackendSecurityPolicy/openai"}
		if diff := cmp.Diff(want, refNames(forward.Objects)); diff != "" {
			t.Errorf("objects (-want +got):\n%s", diff)
		}
		hand := obj("aigateway.envoyproxy.io/v1beta1", "AIServiceBackend", "solo", map[string]any{"schema": map[string]any{"name": "OpenAI"}}, nil)
		bspB := obj("aigateway.envoyproxy.io/v1beta1", "BackendSecurityPolicy", "b", map[string]any{
			"type": "APIKey", "targetRefs": []any{map[string]any{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": "solo"}},
		}, nil)
		bspA := obj("aigateway.envoyproxy.io/v1beta1", "BackendSecurityPolicy", "a", map[string]any{
			"type": "AnthropicAPIKey", "targetRefs": []any{map[string]any{"group": "aigateway.envoyproxy.io", "kind": "AIServiceBackend", "name": "solo"}},
		}, nil)
		if got := mustView(t, "solo", []*unstructured.Unstructured{hand, bspB, bspA}).Auth.Type; got != AuthAnthropicAPIKey {
			t.Errorf("without a policy named after the provider the smallest name wins; got type %s", got)
		}
	})
	t.Run("no object of the provider is ErrNotFound", func(t *testing.T) {
		other := obj("gateway.envoyproxy.io/v1alpha1", "Backend", "other", nil, nil)
		cm := obj("v1", "ConfigMap", "missing", nil, nil)
		for _, objs := range [][]*unstructured.Unstructured{nil, {other, cm, nil}} {
			if _, err := FromObjects("missing", objs); !errors.Is(err, ErrNotFound) {
				t.Errorf("got %v, want ErrNotFound", err)
			}
		}
	})
}

func refNames(refs []ObjectRef) []string {
	out := make([]string, len(refs))
	for i, r := range refs {
		out[i] = r.Kind + "/" + r.Name
	}
	return out
}

func TestResourceVersionIsAStableDigest(t *testing.T) {
	objs := live(mustRender(t, openAISpec()).Objects, liveOptions{})
	base := mustView(t, "openai", objs).ResourceVersion

	reversed := slices.Clone(objs)
	slices.Reverse(reversed)
	if got := mustView(t, "openai", reversed).ResourceVersion; got != base {
		t.Errorf("input order changed the digest: %s vs %s", got, base)
	}
	for i := range objs {
		changed := live(mustRender(t, openAISpec()).Objects, liveOptions{})
		changed[i].SetResourceVersion("999")
		if got := mustView(t, "openai", changed).ResourceVersion; got == base {
			t.Errorf("a new resourceVersion of %s left the digest unchanged", objs[i].GetKind())
		}
	}
}

func TestCanKeepSecret(t *testing.T) {
	userRef := with(openAISpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "mine"} })
	tests := []struct {
		name string
		spec Spec
		opts liveOptions
		to   AuthType
		want bool
	}{
		{"a managed Secret with the key can be kept", openAISpec(), liveOptions{}, AuthAPIKey, true},
		{"it can be kept for another API key type", openAISpec(), liveOptions{}, AuthAnthropicAPIKey, true},
		{"it cannot be kept for a type that needs another key", openAISpec(), liveOptions{}, AuthAWSCredentials, false},
		{"a Secret without the key cannot be kept", openAISpec(), liveOptions{dropKeys: true}, AuthAPIKey, false},
		{"a user's Secret is not the console's to keep", userRef, liveOptions{}, AuthAPIKey, false},
		{"a provider without a Secret has nothing to keep", selfHostedSpec(), liveOptions{}, AuthAPIKey, false},
		{"nothing is kept for auth None", openAISpec(), liveOptions{}, AuthNone, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustView(t, tt.spec.Name, live(mustRender(t, tt.spec).Objects, tt.opts))
			if got := p.CanKeepSecret(tt.to); got != tt.want {
				t.Errorf("CanKeepSecret(%s) = %v, want %v", tt.to, got, tt.want)
			}
		})
	}
}

func TestListFromObjects(t *testing.T) {
	var all []*unstructured.Unstructured
	add := func(ns string, s Spec, o liveOptions) {
		for _, u := range live(mustRender(t, s).Objects, o) {
			u.SetNamespace(ns)
			all = append(all, u)
		}
	}
	add("team-b", openAISpec(), liveOptions{accepted: allAccepted()})
	add("team-a", openAISpec(), liveOptions{})
	add("team-a", awsSpec(), liveOptions{accepted: allAccepted()})
	userRef := with(anthropicSpec(), func(s *Spec) { s.Auth.APIKey = ""; s.Auth.SecretRef = &SecretRef{Name: "shared"} })
	add("team-a", userRef, liveOptions{})
	user := obj("v1", "Secret", "shared", nil, nil)
	user.Object["keys"] = map[string]any{"apiKey": "sha256:00000000"}
	unrelated := obj("aigateway.envoyproxy.io/v1beta1", "AIServiceBackend", "hand-made", nil, nil)
	all = append(all, user, unrelated, obj("v1", "ConfigMap", "x", nil, map[string]string{LabelProvider: "cm"}))

	got := ListFromObjects(all)
	var ids []string
	for _, p := range got {
		ids = append(ids, fmt.Sprintf("%s/%s ready=%v", p.Namespace, p.Name, p.Status.Ready))
	}
	want := []string{"team-a/anthropic ready=false", "team-a/bedrock ready=true", "team-a/openai ready=false", "team-b/openai ready=true"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("providers (-want +got):\n%s", diff)
	}
	if c := got[0].Auth.Credential; c == nil || !c.Exists || !c.HasRequiredKey {
		t.Errorf("the user's Secret of team-a/anthropic was not found: %+v", c)
	}
	for _, p := range got {
		single := mustView(t, p.Name, sameNamespace(all, p.Namespace))
		if diff := cmp.Diff(single, p); diff != "" {
			t.Errorf("%s/%s: ListFromObjects and FromObjects disagree (-single +list):\n%s", p.Namespace, p.Name, diff)
		}
	}
	if got := ListFromObjects(nil); len(got) != 0 {
		t.Errorf("ListFromObjects(nil) = %v", got)
	}
}

func sameNamespace(all []*unstructured.Unstructured, ns string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, u := range all {
		if u.GetNamespace() == ns {
			out = append(out, u)
		}
	}
	return out
}

// manyProviders returns the cached objects of n providers.
func manyProviders(tb testing.TB, n int) []*unstructured.Unstructured {
	tb.Helper()
	all := make([]*unstructured.Unstructured, 0, 5*n)
	for i := range n {
		s := openAISpec()
		s.Name = fmt.Sprintf("provider-%04d", i)
		r, err := Render(testNS, s)
		if err != nil {
			tb.Fatal(err)
		}
		all = append(all, live(r.Objects, liveOptions{rv: 5 * i, accepted: allAccepted()})...)
	}
	return all
}

func TestListFromObjectsHandlesAThousandProviders(t *testing.T) {
	all := manyProviders(t, 1000)
	got := ListFromObjects(all)
	if len(got) != 1000 {
		t.Fatalf("got %d providers, want 1000", len(got))
	}
	for _, p := range got {
		if !p.Status.Ready || len(p.Objects) != 5 {
			t.Fatalf("%s: ready %v with %d objects", p.Name, p.Status.Ready, len(p.Objects))
		}
	}
}

func BenchmarkListFromObjects(b *testing.B) {
	all := manyProviders(b, 1000)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if got := ListFromObjects(all); len(got) != 1000 {
			b.Fatalf("got %d providers", len(got))
		}
	}
}
