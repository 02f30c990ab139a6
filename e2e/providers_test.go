package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1a2 "sigs.k8s.io/gateway-api/apis/v1alpha2"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/app/route"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/policy"
)

// writeAnswer is the body of every console write (providers, routes).
type writeAnswer struct {
	DryRun   bool               `json:"dryRun"`
	Changes  []sink.Entry       `json:"changes"`
	Warnings []policy.Violation `json:"warnings"`
	Objects  []map[string]any   `json:"objects"`
	Provider *provider.Provider `json:"provider"`
	Route    *route.Route       `json:"route"`
}

// newCanary returns a marker unique to one test, to hide in credentials:
// finding it in any answer of the console means a credential leaked.
func newCanary(t *testing.T) string {
	t.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return registerCanary("CANARY-" + hex.EncodeToString(b))
}

// callNoLeak is call that also fails the test when the answer carries the
// canary.
func callNoLeak(t *testing.T, canary, method, url string, body any, headers ...string) response {
	t.Helper()
	r := call(t, method, url, body, headers...)
	if canary == "" {
		return r
	}
	if strings.Contains(string(r.Body), canary) || strings.Contains(strings.Join(headerValues(r), "\n"), canary) {
		t.Fatalf("%s %s: the answer leaks the credential (%s): %s", method, url, canary, r.Body)
	}
	return r
}

func headerValues(r response) []string {
	var out []string
	for _, vs := range r.Header {
		out = append(out, vs...)
	}
	return out
}

// step runs one subtest and stops the parent when it fails, so later steps
// that build on it do not pile up follow-on failures.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// get reads one object straight from the API server (not the console's
// cache) into obj.
func get(t *testing.T, c client.Client, ns, name string, obj client.Object) {
	t.Helper()
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj); err != nil {
		t.Fatalf("get %T %s/%s from the API server: %v", obj, ns, name, err)
	}
}

// exists reports whether the API server has the object.
func exists(t *testing.T, c client.Client, ns, name string, obj client.Object) bool {
	t.Helper()
	err := c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, obj)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("get %T %s/%s: %v", obj, ns, name, err)
	}
	return err == nil
}

// snapshot lists every object of the six managed kinds in ns from the API
// server, as "Kind/name" → resourceVersion.
func snapshot(t *testing.T, c client.Client, ns string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, k := range cluster.Kinds() {
		list := &unstructured.UnstructuredList{}
		list.SetGroupVersionKind(k.GVK.GroupVersion().WithKind(k.GVK.Kind + "List"))
		if err := c.List(context.Background(), list, client.InNamespace(ns)); err != nil {
			t.Fatalf("list %s in %s: %v", k.Name, ns, err)
		}
		for _, u := range list.Items {
			out[k.GVK.Kind+"/"+u.GetName()] = u.GetResourceVersion()
		}
	}
	return out
}

// providerURL is the console URL of one provider.
func providerURL(con *console, ns, name string) string {
	return con.URL + "/api/v1/providers/" + name + "?namespace=" + ns
}

// waitProvider polls GET until the cache shows the provider and ok holds,
// and returns that view and its ETag.
func waitProvider(t *testing.T, con *console, canary, ns, name string, ok func(provider.Provider) bool) (provider.Provider, string) {
	t.Helper()
	var p provider.Provider
	var etag string
	waitFor(t, 10*time.Second, "the console to show provider "+name, func() bool {
		r := callNoLeak(t, canary, "GET", providerURL(con, ns, name), nil)
		if r.Status != 200 {
			return false
		}
		p = provider.Provider{}
		r.decode(t, &p)
		etag = r.Header.Get("ETag")
		return ok(p)
	})
	return p, etag
}

func ptrTo[T any](v T) *T { return &v }

// secretRef is a Secret reference as the API server stores it (CRD defaults
// for group and kind filled in).
func secretRef(name string) *gwapiv1.SecretObjectReference {
	return &gwapiv1.SecretObjectReference{Group: ptrTo(gwapiv1.Group("")), Kind: ptrTo(gwapiv1.Kind("Secret")), Name: gwapiv1.ObjectName(name)}
}

// templateCase is one provider made from a template, then moved to another
// endpoint.
type templateCase struct {
	template string
	// params and auth are the POST's parameters and auth (auth gets the
	// canary as its credential).
	params map[string]any
	auth   func(canary string) map[string]any
	// schema is the AIServiceBackend's expected spec.schema.
	schema aigv1b1.VersionedAPISchema
	// host and port are the Backend's fqdn; tls says whether a
	// BackendTLSPolicy is expected.
	host string
	port int32
	tls  bool
	// secretKey is the key of the managed Secret ("" for no Secret).
	secretKey string
	// policy is the expected BackendSecurityPolicy spec (nil for none);
	// updated selects the spec after the PUT.
	policy func(name string, updated bool) *aigv1b1.BackendSecurityPolicySpec
	// newParams, newEndpoint and newAuth make the PUT body (with no
	// credential); newHost and newPort are the expected endpoint after it.
	newParams   map[string]any
	newEndpoint map[string]any
	newAuth     map[string]any
	newHost     string
	newPort     int32
}

func targetsASB(name string) []gwapiv1a2.LocalPolicyTargetReference {
	return []gwapiv1a2.LocalPolicyTargetReference{{Group: "aigateway.envoyproxy.io", Kind: "AIServiceBackend", Name: gwapiv1.ObjectName(name)}}
}

func templateCases() []templateCase {
	apiKeyAuth := func(c string) map[string]any { return map[string]any{"apiKey": "sk-" + c} }
	awsPolicy := func(before, after string) func(string, bool) *aigv1b1.BackendSecurityPolicySpec {
		return func(name string, updated bool) *aigv1b1.BackendSecurityPolicySpec {
			region := before
			if updated {
				region = after
			}
			return &aigv1b1.BackendSecurityPolicySpec{
				TargetRefs: targetsASB(name), Type: aigv1b1.BackendSecurityPolicyTypeAWSCredentials,
				AWSCredentials: &aigv1b1.BackendSecurityPolicyAWSCredentials{
					Region:          region,
					CredentialsFile: &aigv1b1.AWSCredentialsFile{SecretRef: secretRef(provider.SecretName(name)), Profile: "default"},
				},
			}
		}
	}
	gcpPolicy := func(project, before, after string) func(string, bool) *aigv1b1.BackendSecurityPolicySpec {
		return func(name string, updated bool) *aigv1b1.BackendSecurityPolicySpec {
			region := before
			if updated {
				region = after
			}
			return &aigv1b1.BackendSecurityPolicySpec{
				TargetRefs: targetsASB(name), Type: aigv1b1.BackendSecurityPolicyTypeGCPCredentials,
				GCPCredentials: &aigv1b1.BackendSecurityPolicyGCPCredentials{
					ProjectName: project, Region: region,
					CredentialsFile: &aigv1b1.GCPCredentialsFile{SecretRef: secretRef(provider.SecretName(name))},
				},
			}
		}
	}
	serviceAccount := func(c string) map[string]any {
		key := `{"type":"service_account","client_email":"e2e@e2e-project-1.iam.gserviceaccount.com","private_key":"` + c + `"}`
		return map[string]any{"gcp": map[string]any{"serviceAccountJSON": key}}
	}
	const clientID, tenantID = "11111111-2222-3333-4444-555555555555", "66666666-7777-8888-9999-000000000000"
	return []templateCase{
		{
			template: "openai", auth: apiKeyAuth,
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaOpenAI},
			host:   "api.openai.com", port: 443, tls: true, secretKey: "apiKey",
			policy: func(name string, _ bool) *aigv1b1.BackendSecurityPolicySpec {
				return &aigv1b1.BackendSecurityPolicySpec{TargetRefs: targetsASB(name), Type: aigv1b1.BackendSecurityPolicyTypeAPIKey,
					APIKey: &aigv1b1.BackendSecurityPolicyAPIKey{SecretRef: secretRef(provider.SecretName(name))}}
			},
			newEndpoint: map[string]any{"hostname": "us.api.openai.com"}, newHost: "us.api.openai.com", newPort: 443,
		},
		{
			template: "aws-bedrock", params: map[string]any{"region": "us-east-1"},
			auth: func(c string) map[string]any {
				return map[string]any{"aws": map[string]any{"accessKeyID": "AKIAE2ETESTKEY000001", "secretAccessKey": c}}
			},
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaAWSBedrock},
			host:   "bedrock-runtime.us-east-1.amazonaws.com", port: 443, tls: true, secretKey: "credentials",
			policy:    awsPolicy("us-east-1", "eu-central-1"),
			newParams: map[string]any{"region": "eu-central-1"}, newHost: "bedrock-runtime.eu-central-1.amazonaws.com", newPort: 443,
		},
		{
			template: "aws-anthropic", params: map[string]any{"region": "us-west-2"},
			auth: func(c string) map[string]any {
				ini := "[default]\naws_access_key_id = AKIAE2ETESTKEY000002\naws_secret_access_key = " + c + "\n"
				return map[string]any{"aws": map[string]any{"credentials": ini}}
			},
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaAWSAnthropic, Version: ptrTo("bedrock-2023-05-31")},
			host:   "bedrock-runtime.us-west-2.amazonaws.com", port: 443, tls: true, secretKey: "credentials",
			policy:    awsPolicy("us-west-2", "ap-northeast-1"),
			newParams: map[string]any{"region": "ap-northeast-1"}, newHost: "bedrock-runtime.ap-northeast-1.amazonaws.com", newPort: 443,
		},
		{
			template: "gcp-vertex-ai", params: map[string]any{"project": "e2e-project-1"}, auth: serviceAccount,
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaGCPVertexAI},
			host:   "us-central1-aiplatform.googleapis.com", port: 443, tls: true, secretKey: "service_account.json",
			policy:    gcpPolicy("e2e-project-1", "us-central1", "europe-west4"),
			newParams: map[string]any{"project": "e2e-project-1", "region": "europe-west4"}, newHost: "europe-west4-aiplatform.googleapis.com", newPort: 443,
		},
		{
			template: "gcp-anthropic", params: map[string]any{"project": "e2e-project-2"}, auth: serviceAccount,
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaGCPAnthropic, Version: ptrTo("vertex-2023-10-16")},
			host:   "us-east5-aiplatform.googleapis.com", port: 443, tls: true, secretKey: "service_account.json",
			policy:    gcpPolicy("e2e-project-2", "us-east5", "global"),
			newParams: map[string]any{"project": "e2e-project-2", "region": "global"}, newHost: "aiplatform.googleapis.com", newPort: 443,
		},
		{
			template: "azure-openai", params: map[string]any{"account": "contoso-e2e"}, auth: apiKeyAuth,
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaAzureOpenAI, Version: ptrTo("2025-01-01-preview")},
			host:   "contoso-e2e.openai.azure.com", port: 443, tls: true, secretKey: "apiKey",
			policy: func(name string, _ bool) *aigv1b1.BackendSecurityPolicySpec {
				return &aigv1b1.BackendSecurityPolicySpec{TargetRefs: targetsASB(name), Type: aigv1b1.BackendSecurityPolicyTypeAzureAPIKey,
					AzureAPIKey: &aigv1b1.BackendSecurityPolicyAzureAPIKey{SecretRef: secretRef(provider.SecretName(name))}}
			},
			newParams: map[string]any{"account": "fabrikam-e2e"}, newHost: "fabrikam-e2e.openai.azure.com", newPort: 443,
		},
		{
			template: "azure-openai", params: map[string]any{"account": "entra-e2e"},
			auth: func(c string) map[string]any {
				return map[string]any{"type": "AzureCredentials", "azure": map[string]any{"clientID": clientID, "tenantID": tenantID, "clientSecret": c}}
			},
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaAzureOpenAI, Version: ptrTo("2025-01-01-preview")},
			host:   "entra-e2e.openai.azure.com", port: 443, tls: true, secretKey: "client-secret",
			policy: func(name string, _ bool) *aigv1b1.BackendSecurityPolicySpec {
				return &aigv1b1.BackendSecurityPolicySpec{TargetRefs: targetsASB(name), Type: aigv1b1.BackendSecurityPolicyTypeAzureCredentials,
					AzureCredentials: &aigv1b1.BackendSecurityPolicyAzureCredentials{ClientID: clientID, TenantID: tenantID, ClientSecretRef: secretRef(provider.SecretName(name))}}
			},
			newParams: map[string]any{"account": "entra2-e2e", "apiVersion": "2024-10-21"},
			newAuth:   map[string]any{"type": "AzureCredentials", "azure": map[string]any{"clientID": clientID, "tenantID": tenantID}},
			newHost:   "entra2-e2e.openai.azure.com", newPort: 443,
		},
		{
			template: "anthropic", auth: apiKeyAuth,
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaAnthropic},
			host:   "api.anthropic.com", port: 443, tls: true, secretKey: "apiKey",
			policy: func(name string, _ bool) *aigv1b1.BackendSecurityPolicySpec {
				return &aigv1b1.BackendSecurityPolicySpec{TargetRefs: targetsASB(name), Type: aigv1b1.BackendSecurityPolicyTypeAnthropicAPIKey,
					AnthropicAPIKey: &aigv1b1.BackendSecurityPolicyAnthropicAPIKey{SecretRef: secretRef(provider.SecretName(name))}}
			},
			newEndpoint: map[string]any{"hostname": "api.eu.anthropic.com"}, newHost: "api.eu.anthropic.com", newPort: 443,
		},
		{
			template: "cohere", auth: apiKeyAuth,
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaCohere, Version: ptrTo("v2")},
			host:   "api.cohere.com", port: 443, tls: true, secretKey: "apiKey",
			policy: func(name string, _ bool) *aigv1b1.BackendSecurityPolicySpec {
				return &aigv1b1.BackendSecurityPolicySpec{TargetRefs: targetsASB(name), Type: aigv1b1.BackendSecurityPolicyTypeAPIKey,
					APIKey: &aigv1b1.BackendSecurityPolicyAPIKey{SecretRef: secretRef(provider.SecretName(name))}}
			},
			newEndpoint: map[string]any{"hostname": "api.eu.cohere.com"}, newHost: "api.eu.cohere.com", newPort: 443,
		},
		{
			template: "self-hosted", params: map[string]any{"host": "vllm.models.svc.cluster.local", "port": 8000},
			auth:   func(c string) map[string]any { return map[string]any{"type": "APIKey", "apiKey": c} },
			schema: aigv1b1.VersionedAPISchema{Name: aigv1b1.APISchemaOpenAI, Prefix: ptrTo("v1")},
			host:   "vllm.models.svc.cluster.local", port: 8000, tls: false, secretKey: "apiKey",
			policy: func(name string, _ bool) *aigv1b1.BackendSecurityPolicySpec {
				return &aigv1b1.BackendSecurityPolicySpec{TargetRefs: targetsASB(name), Type: aigv1b1.BackendSecurityPolicyTypeAPIKey,
					APIKey: &aigv1b1.BackendSecurityPolicyAPIKey{SecretRef: secretRef(provider.SecretName(name))}}
			},
			newParams: map[string]any{"host": "ollama.models.svc.cluster.local", "port": 11434},
			newAuth:   map[string]any{"type": "APIKey"},
			newHost:   "ollama.models.svc.cluster.local", newPort: 11434,
		},
	}
}

func TestProvidersFromTemplates(t *testing.T) {
	ns := newNamespace(t)
	con := startConsole(t)
	c := adminClient(t)

	for i, tc := range templateCases() {
		name := tc.template + "-" + string(rune('a'+i))
		t.Run("a provider made from the "+tc.template+" template lives through create, read, update and delete", func(t *testing.T) {
			t.Parallel()
			testTemplateProvider(t, con, c, ns, name, tc)
		})
	}
}

func testTemplateProvider(t *testing.T, con *console, c client.Client, ns, name string, tc templateCase) {
	canary := newCanary(t)
	secretName := provider.SecretName(name)
	var secretRV string
	var secretData []byte

	step(t, "POST answers 201 and writes the objects the AI Gateway controller expects", func(t *testing.T) {
		auth := tc.auth(canary)
		body := map[string]any{"name": name, "template": tc.template, "parameters": tc.params, "auth": auth}
		r := callNoLeak(t, canary, "POST", con.URL+"/api/v1/providers?namespace="+ns, body)
		if r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var a writeAnswer
		r.decode(t, &a)
		if a.DryRun || a.Provider == nil || a.Provider.Name != name {
			t.Fatalf("answer: %s", r.Body)
		}
		for _, e := range a.Changes {
			if e.Action != sink.Created {
				t.Errorf("%s/%s: action %q, want created", e.Kind, e.Name, e.Action)
			}
		}

		asb := &aigv1b1.AIServiceBackend{}
		get(t, c, ns, name, asb)
		wantASB := aigv1b1.AIServiceBackendSpec{
			APISchema:  tc.schema,
			BackendRef: gwapiv1.BackendObjectReference{Group: ptrTo(gwapiv1.Group("gateway.envoyproxy.io")), Kind: ptrTo(gwapiv1.Kind("Backend")), Name: gwapiv1.ObjectName(name)},
		}
		if d := cmp.Diff(wantASB, asb.Spec); d != "" {
			t.Errorf("AIServiceBackend spec (-want +got):\n%s", d)
		}
		checkBackend(t, c, ns, name, tc.host, tc.port, tc.tls)

		bsp := &aigv1b1.BackendSecurityPolicy{}
		if tc.policy == nil {
			if exists(t, c, ns, name, bsp) {
				t.Errorf("a BackendSecurityPolicy exists for a provider without auth")
			}
		} else {
			get(t, c, ns, name, bsp)
			if d := cmp.Diff(tc.policy(name, false), &bsp.Spec); d != "" {
				t.Errorf("BackendSecurityPolicy spec (-want +got):\n%s", d)
			}
		}

		secret := &corev1.Secret{}
		if tc.secretKey == "" {
			if exists(t, c, ns, secretName, secret) {
				t.Errorf("a Secret exists for a provider without a credential")
			}
		} else {
			get(t, c, ns, secretName, secret)
			if secret.Type != corev1.SecretTypeOpaque || len(secret.Data) != 1 {
				t.Errorf("Secret: type %q with keys %v, want Opaque with only %q", secret.Type, keys(secret.Data), tc.secretKey)
			}
			if !strings.Contains(string(secret.Data[tc.secretKey]), canary) {
				t.Errorf("Secret key %q does not hold the credential; keys %v", tc.secretKey, keys(secret.Data))
			}
			secretRV, secretData = secret.ResourceVersion, secret.Data[tc.secretKey]
		}

		for _, obj := range []client.Object{asb, bsp, secret, &egv1a1.Backend{}, &gwapiv1.BackendTLSPolicy{}} {
			objName := name
			if _, ok := obj.(*corev1.Secret); ok {
				objName = secretName
			}
			if !exists(t, c, ns, objName, obj) {
				continue
			}
			l := obj.GetLabels()
			if l[provider.LabelProvider] != name || l[provider.LabelTemplate] != tc.template || l[provider.LabelManagedBy] != provider.ManagedBy {
				t.Errorf("%T %s labels: %v", obj, objName, l)
			}
		}
	})

	var etag string
	step(t, "GET shows the provider with its status and the credential as present, never its value", func(t *testing.T) {
		wantObjects := 2 // the Backend and the AIServiceBackend
		for _, has := range []bool{tc.tls, tc.policy != nil, tc.secretKey != ""} {
			if has {
				wantObjects++
			}
		}
		var p provider.Provider
		p, etag = waitProvider(t, con, canary, ns, name, func(p provider.Provider) bool { return len(p.Objects) == wantObjects })
		if etag != `"`+p.ResourceVersion+`"` || !strings.HasPrefix(p.ResourceVersion, "p") {
			t.Errorf("ETag %q, resourceVersion %q", etag, p.ResourceVersion)
		}
		if p.Template != tc.template || p.Schema.Name != tc.schema.Name || p.Endpoint.Hostname != tc.host || p.Endpoint.Port != int(tc.port) ||
			p.Endpoint.TLS == nil || *p.Endpoint.TLS != tc.tls {
			t.Errorf("view: template %q schema %q endpoint %+v", p.Template, p.Schema.Name, p.Endpoint)
		}
		// No controller runs here, so nothing is accepted yet.
		if p.Status.Accepted != "Unknown" || p.Status.Ready || p.Status.Deleting {
			t.Errorf("status: %+v", p.Status)
		}
		if tc.secretKey == "" {
			if p.Auth.Credential != nil {
				t.Errorf("credential shown for a provider without one: %+v", p.Auth.Credential)
			}
			return
		}
		want := &provider.CredentialView{
			SecretName: secretName, Managed: true, Exists: true, RequiredKey: tc.secretKey, HasRequiredKey: true,
			Keys: []string{tc.secretKey}, Fingerprint: cluster.Fingerprint(secretData),
		}
		if d := cmp.Diff(want, p.Auth.Credential); d != "" {
			t.Errorf("credential view (-want +got):\n%s", d)
		}
	})

	step(t, "PUT with the ETag moves the endpoint in the API server and keeps the stored Secret", func(t *testing.T) {
		body := map[string]any{"name": name, "template": tc.template, "parameters": tc.newParams}
		if tc.newEndpoint != nil {
			body["endpoint"] = tc.newEndpoint
		}
		if tc.newAuth != nil {
			body["auth"] = tc.newAuth
		}
		r := callNoLeak(t, canary, "PUT", providerURL(con, ns, name), body, "If-Match", etag)
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		checkBackend(t, c, ns, name, tc.newHost, tc.newPort, tc.tls)
		if tc.policy != nil {
			bsp := &aigv1b1.BackendSecurityPolicy{}
			get(t, c, ns, name, bsp)
			if d := cmp.Diff(tc.policy(name, true), &bsp.Spec); d != "" {
				t.Errorf("BackendSecurityPolicy spec after the PUT (-want +got):\n%s", d)
			}
		}
		if tc.secretKey != "" {
			secret := &corev1.Secret{}
			get(t, c, ns, secretName, secret)
			if secret.ResourceVersion != secretRV || string(secret.Data[tc.secretKey]) != string(secretData) {
				t.Errorf("the PUT without a credential touched the Secret: resourceVersion %s -> %s", secretRV, secret.ResourceVersion)
			}
		}
	})

	step(t, "DELETE removes every object of the provider", func(t *testing.T) {
		_, etag := waitProvider(t, con, canary, ns, name, func(p provider.Provider) bool { return p.Endpoint.Hostname == tc.newHost })
		r := callNoLeak(t, canary, "DELETE", providerURL(con, ns, name), nil, "If-Match", etag)
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		for _, o := range []struct {
			name string
			obj  client.Object
		}{
			{name, &aigv1b1.AIServiceBackend{}}, {name, &aigv1b1.BackendSecurityPolicy{}}, {name, &egv1a1.Backend{}},
			{name, &gwapiv1.BackendTLSPolicy{}}, {secretName, &corev1.Secret{}},
		} {
			if exists(t, c, ns, o.name, o.obj) {
				t.Errorf("%T %s still exists after DELETE", o.obj, o.name)
			}
		}
		waitFor(t, 10*time.Second, "GET to answer 404", func() bool {
			return callNoLeak(t, canary, "GET", providerURL(con, ns, name), nil).Status == 404
		})
	})
}

// checkBackend asserts the Backend's single fqdn endpoint and, with tls,
// the BackendTLSPolicy that verifies its host name (without tls, that there
// is none).
func checkBackend(t *testing.T, c client.Client, ns, name, host string, port int32, tls bool) {
	t.Helper()
	be := &egv1a1.Backend{}
	get(t, c, ns, name, be)
	want := []egv1a1.BackendEndpoint{{FQDN: &egv1a1.FQDNEndpoint{Hostname: host, Port: port}}}
	if d := cmp.Diff(want, be.Spec.Endpoints); d != "" {
		t.Errorf("Backend endpoints (-want +got):\n%s", d)
	}
	btls := &gwapiv1.BackendTLSPolicy{}
	if !tls {
		if exists(t, c, ns, name, btls) {
			t.Errorf("a BackendTLSPolicy exists for a plain-HTTP provider: %+v", btls.Spec)
		}
		return
	}
	get(t, c, ns, name, btls)
	system := gwapiv1.WellKnownCACertificatesSystem
	wantTLS := gwapiv1.BackendTLSPolicySpec{
		TargetRefs: []gwapiv1.LocalPolicyTargetReferenceWithSectionName{{LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
			Group: "gateway.envoyproxy.io", Kind: "Backend", Name: gwapiv1.ObjectName(name),
		}}},
		Validation: gwapiv1.BackendTLSPolicyValidation{Hostname: gwapiv1.PreciseHostname(host), WellKnownCACertificates: &system},
	}
	if d := cmp.Diff(wantTLS, btls.Spec); d != "" {
		t.Errorf("BackendTLSPolicy spec (-want +got):\n%s", d)
	}
}

func keys(m map[string][]byte) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestProviderTLSCanBeTurnedOff(t *testing.T) {
	ns := newNamespace(t)
	con := startConsole(t)
	c := adminClient(t)
	const host = "vllm.models.svc.cluster.local"
	body := func(tls bool) map[string]any {
		return map[string]any{
			"name": "internal", "schema": map[string]any{"name": "OpenAI"},
			"endpoint": map[string]any{"hostname": host, "port": 8443, "tls": tls},
			"auth":     map[string]any{"type": "None"},
		}
	}

	step(t, "a provider on an in-cluster host with tls true gets a BackendTLSPolicy", func(t *testing.T) {
		r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, body(true))
		if r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		checkBackend(t, c, ns, "internal", host, 8443, true)
		for _, obj := range []client.Object{&aigv1b1.BackendSecurityPolicy{}, &corev1.Secret{}} {
			if exists(t, c, ns, "internal", obj) || exists(t, c, ns, provider.SecretName("internal"), obj) {
				t.Errorf("auth None rendered a %T", obj)
			}
		}
	})

	step(t, "a PUT with tls false deletes the BackendTLSPolicy and keeps the Backend", func(t *testing.T) {
		_, etag := waitProvider(t, con, "", ns, "internal", func(p provider.Provider) bool { return len(p.Objects) == 3 })
		r := call(t, "PUT", providerURL(con, ns, "internal"), body(false), "If-Match", etag)
		if r.Status != 200 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		var a writeAnswer
		r.decode(t, &a)
		deleted := false
		for _, e := range a.Changes {
			deleted = deleted || (e.Kind == "BackendTLSPolicy" && e.Name == "internal" && e.Action == sink.Deleted)
		}
		if !deleted {
			t.Errorf("the answer does not report the BackendTLSPolicy as deleted: %+v", a.Changes)
		}
		checkBackend(t, c, ns, "internal", host, 8443, false)
		p, _ := waitProvider(t, con, "", ns, "internal", func(p provider.Provider) bool { return len(p.Objects) == 2 })
		if p.Endpoint.TLS == nil || *p.Endpoint.TLS {
			t.Errorf("GET still shows TLS on: %+v", p.Endpoint)
		}
	})
}

func TestDryRunsChangeNothing(t *testing.T) {
	ns := newNamespace(t)
	con := startConsole(t)
	c := adminClient(t)
	canary := newCanary(t)
	openai := func(name, host, key string) map[string]any {
		b := map[string]any{"name": name, "template": "openai", "endpoint": map[string]any{"hostname": host}}
		if key != "" {
			b["auth"] = map[string]any{"apiKey": key}
		}
		return b
	}
	routeBody := map[string]any{
		"name": "chat", "gateways": []any{map[string]any{"name": "ai-gateway"}},
		"rules": []any{map[string]any{"models": []any{"gpt-4o"}, "backends": []any{map[string]any{"provider": "live"}}, "timeouts": map[string]any{"request": "120s"}}},
	}
	dry := func(t *testing.T, method, url string, body any) writeAnswer {
		t.Helper()
		before := snapshot(t, c, ns)
		r := callNoLeak(t, canary, method, url, body)
		if r.Status != 200 {
			t.Fatalf("%s %s: status %d: %s", method, url, r.Status, r.Body)
		}
		var a writeAnswer
		r.decode(t, &a)
		if !a.DryRun {
			t.Errorf("the answer does not say dryRun: %s", r.Body)
		}
		if d := cmp.Diff(before, snapshot(t, c, ns)); d != "" {
			t.Errorf("a dry run changed the cluster (-before +after):\n%s", d)
		}
		return a
	}

	step(t, "a dry-run create answers with the rendered objects, Secret redacted, and creates nothing", func(t *testing.T) {
		a := dry(t, "POST", con.URL+"/api/v1/providers?namespace="+ns+"&dryRun=true", openai("planned", "api.openai.com", "sk-"+canary))
		kinds := map[string]bool{}
		for _, o := range a.Objects {
			u := unstructured.Unstructured{Object: o}
			kinds[u.GetKind()] = true
			if u.GetKind() == "Secret" {
				if v, _, _ := unstructured.NestedString(o, "data", "apiKey"); v != provider.RedactedValue {
					t.Errorf("Secret data in the answer: %q, want %q", v, provider.RedactedValue)
				}
			}
		}
		want := map[string]bool{"Secret": true, "Backend": true, "BackendTLSPolicy": true, "AIServiceBackend": true, "BackendSecurityPolicy": true}
		if d := cmp.Diff(want, kinds); d != "" {
			t.Errorf("rendered kinds (-want +got):\n%s", d)
		}
		if len(a.Changes) != 5 {
			t.Errorf("changes: %+v", a.Changes)
		}
		for _, e := range a.Changes {
			if e.Action != sink.Created {
				t.Errorf("%s: action %q, want created", e.Kind, e.Action)
			}
		}
	})

	step(t, "a dry-run update answers with the diff as JSON Patch operations and changes nothing", func(t *testing.T) {
		r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, openai("live", "api.openai.com", "sk-old-key"))
		if r.Status != 201 {
			t.Fatalf("create: status %d: %s", r.Status, r.Body)
		}
		waitProvider(t, con, canary, ns, "live", func(p provider.Provider) bool { return len(p.Objects) == 5 })
		a := dry(t, "PUT", providerURL(con, ns, "live")+"&dryRun=true", openai("live", "eu.api.openai.com", "sk-"+canary))
		ops := map[string]string{}
		for _, e := range a.Changes {
			if e.Action != sink.Configured {
				continue
			}
			b, _ := json.Marshal(e.Changes)
			ops[e.Kind] = string(b)
		}
		for _, kind := range []string{"Backend", "BackendTLSPolicy"} {
			if !strings.Contains(ops[kind], "eu.api.openai.com") {
				t.Errorf("%s diff does not carry the new host: %q (all: %+v)", kind, ops[kind], a.Changes)
			}
		}
		if !strings.Contains(ops["Backend"], `"path":"/spec/endpoints`) || !strings.Contains(ops["Backend"], `"op":"replace"`) {
			t.Errorf("Backend diff is not a JSON Patch replace of /spec/endpoints: %s", ops["Backend"])
		}
		if _, ok := ops["Secret"]; !ok {
			t.Errorf("the new credential shows no (masked) Secret change: %+v", a.Changes)
		}
	})

	step(t, "a dry-run route create renders the AIGatewayRoute and creates nothing", func(t *testing.T) {
		waitFor(t, 10*time.Second, "the cache to see AIServiceBackend live", func() bool {
			return call(t, "GET", con.URL+"/api/v1/resources/aiservicebackends/live?namespace="+ns, nil).Status == 200
		})
		a := dry(t, "POST", con.URL+"/api/v1/routes?namespace="+ns+"&dryRun=true", routeBody)
		if len(a.Objects) != 1 || a.Objects[0]["kind"] != "AIGatewayRoute" || len(a.Changes) != 1 || a.Changes[0].Action != sink.Created {
			t.Errorf("answer: objects %v changes %+v", a.Objects, a.Changes)
		}
		if exists(t, c, ns, "chat", &aigv1b1.AIGatewayRoute{}) {
			t.Error("the route exists after a dry run")
		}
	})

	step(t, "a dry-run route delete and provider delete report the deletions and delete nothing", func(t *testing.T) {
		r := call(t, "POST", con.URL+"/api/v1/routes?namespace="+ns, routeBody)
		if r.Status != 201 {
			t.Fatalf("create route: status %d: %s", r.Status, r.Body)
		}
		waitFor(t, 10*time.Second, "the cache to see the route", func() bool {
			return call(t, "GET", con.URL+"/api/v1/routes/chat?namespace="+ns, nil).Status == 200
		})
		a := dry(t, "DELETE", con.URL+"/api/v1/routes/chat?namespace="+ns+"&dryRun=true", nil)
		if len(a.Changes) != 1 || a.Changes[0].Kind != "AIGatewayRoute" || a.Changes[0].Action != sink.Deleted {
			t.Errorf("route delete changes: %+v", a.Changes)
		}
		a = dry(t, "DELETE", providerURL(con, ns, "live")+"&dryRun=true", nil)
		if len(a.Changes) != 5 {
			t.Errorf("provider delete changes: %+v", a.Changes)
		}
		for _, e := range a.Changes {
			if e.Action != sink.Deleted {
				t.Errorf("%s: action %q, want deleted", e.Kind, e.Action)
			}
		}
		if !exists(t, c, ns, "chat", &aigv1b1.AIGatewayRoute{}) || !exists(t, c, ns, "live", &aigv1b1.AIServiceBackend{}) {
			t.Error("a dry-run delete deleted")
		}
	})
}
