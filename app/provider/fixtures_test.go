package provider

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation/field"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

const testNS = "team-a"

// A service-account key file that passes validation.
const fakeServiceAccount = `{"type":"service_account","project_id":"my-project-123","client_email":"gw@my-project-123.iam.gserviceaccount.com","private_key":"-----BEGIN PRIVATE KEY-----\nfake\n-----END PRIVATE KEY-----\n"}`

// Valid specs, one per schema and auth style; tests mutate copies.

func openAISpec() Spec {
	return Spec{
		Name:     "openai",
		Schema:   Schema{Name: aigv1b1.APISchemaOpenAI},
		Endpoint: Endpoint{Hostname: "api.openai.com", Port: 443},
		Auth:     Auth{Type: AuthAPIKey, APIKey: "sk-test-openai"},
	}
}

func selfHostedSpec() Spec {
	return Spec{
		Name:     "vllm",
		Schema:   Schema{Name: aigv1b1.APISchemaOpenAI, Prefix: "v1"},
		Endpoint: Endpoint{Hostname: "vllm.models.svc.cluster.local", Port: 8000},
		Auth:     Auth{Type: AuthNone},
	}
}

func awsSpec() Spec {
	return Spec{
		Name:     "bedrock",
		Schema:   Schema{Name: aigv1b1.APISchemaAWSBedrock},
		Endpoint: Endpoint{Hostname: "bedrock-runtime.us-east-1.amazonaws.com", Port: 443},
		Auth: Auth{Type: AuthAWSCredentials, AWS: &AWSAuth{
			Region: "us-east-1", AccessKeyID: "AKIAFAKEFAKEFAKE0001", SecretAccessKey: "fake/secret+key",
		}},
	}
}

func awsAnthropicSpec() Spec {
	s := awsSpec()
	s.Name = "claude-bedrock"
	s.Schema = Schema{Name: aigv1b1.APISchemaAWSAnthropic, Version: "bedrock-2023-05-31"}
	return s
}

func azureSpec() Spec {
	return Spec{
		Name:     "azure",
		Schema:   Schema{Name: aigv1b1.APISchemaAzureOpenAI, Version: "2025-01-01-preview"},
		Endpoint: Endpoint{Hostname: "contoso.openai.azure.com", Port: 443},
		Auth:     Auth{Type: AuthAzureAPIKey, APIKey: "azure-key"},
	}
}

func azureCredsSpec() Spec {
	s := azureSpec()
	s.Auth = Auth{Type: AuthAzureCredentials, Azure: &AzureAuth{
		ClientID: "11111111-2222-3333-4444-555555555555", TenantID: "66666666-7777-8888-9999-000000000000", ClientSecret: "azure-client-secret",
	}}
	return s
}

func gcpSpec() Spec {
	return Spec{
		Name:     "gemini",
		Schema:   Schema{Name: aigv1b1.APISchemaGCPVertexAI},
		Endpoint: Endpoint{Hostname: "us-central1-aiplatform.googleapis.com", Port: 443},
		Auth: Auth{Type: AuthGCPCredentials, GCP: &GCPAuth{
			ProjectName: "my-project-123", Region: "us-central1", ServiceAccountJSON: fakeServiceAccount,
		}},
	}
}

func gcpAnthropicSpec() Spec {
	s := gcpSpec()
	s.Name = "claude-vertex"
	s.Schema = Schema{Name: aigv1b1.APISchemaGCPAnthropic, Version: "vertex-2023-10-16"}
	s.Endpoint.Hostname = "us-east5-aiplatform.googleapis.com"
	s.Auth.GCP.Region = "us-east5"
	return s
}

func anthropicSpec() Spec {
	return Spec{
		Name:     "anthropic",
		Schema:   Schema{Name: aigv1b1.APISchemaAnthropic},
		Endpoint: Endpoint{Hostname: "api.anthropic.com", Port: 443},
		Auth:     Auth{Type: AuthAnthropicAPIKey, APIKey: "sk-ant-test"},
	}
}

func cohereSpec() Spec {
	return Spec{
		Name:     "cohere",
		Schema:   Schema{Name: aigv1b1.APISchemaCohere, Version: "v2"},
		Endpoint: Endpoint{Hostname: "api.cohere.com", Port: 443},
		Auth:     Auth{Type: AuthAPIKey, APIKey: "cohere-key"},
	}
}

// with returns s after applying f, for one-line table entries.
func with(s Spec, f func(*Spec)) Spec {
	f(&s)
	return s
}

// expandAndValidate is what a handler does with a request body.
func expandAndValidate(ns string, s Spec) field.ErrorList {
	s, errs := ExpandTemplate(s)
	if len(errs) > 0 {
		return errs
	}
	return Validate(ns, s)
}

// mustRender renders a valid spec.
func mustRender(t testing.TB, s Spec) Rendered {
	t.Helper()
	r, err := Render(testNS, s)
	if err != nil {
		t.Fatalf("Render(%s): %v", s.Name, err)
	}
	return r
}

// objectOf returns the rendered object of kind k, or nil.
func objectOf(objs []*unstructured.Unstructured, k cluster.Kind) *unstructured.Unstructured {
	for _, u := range objs {
		if u.GroupVersionKind() == k.GVK {
			return u
		}
	}
	return nil
}

// kindsOf lists the kinds of objs in order.
func kindsOf(objs []*unstructured.Unstructured) []string {
	out := make([]string, len(objs))
	for i, u := range objs {
		out[i] = u.GetKind()
	}
	return out
}

// secretData decodes the rendered Secret's data.
func secretData(t testing.TB, u *unstructured.Unstructured) map[string]string {
	t.Helper()
	data, _, err := unstructured.NestedStringMap(u.Object, "data")
	if err != nil {
		t.Fatalf("Secret data: %v", err)
	}
	out := map[string]string{}
	for k, v := range data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			t.Fatalf("Secret data %s is not base64: %v", k, err)
		}
		out[k] = string(b)
	}
	return out
}

// liveOptions shape rendered objects like the informer cache serves them.
type liveOptions struct {
	rv       int                       // first resourceVersion; each object gets the next
	accepted map[string]bool           // kind -> Accepted (true) or NotAccepted (false); missing: no status
	message  string                    // NotAccepted message
	deleting string                    // kind with a deletionTimestamp
	dropKeys bool                      // reduced Secret without any key
	keepFull bool                      // keep the Secret's data instead of reducing it
	extra    map[string]map[string]any // kind -> extra top-level fields
}

// live turns rendered objects into cached ones: resourceVersions, status
// conditions, and Secrets reduced to key fingerprints as app/cluster does.
func live(objs []*unstructured.Unstructured, o liveOptions) []*unstructured.Unstructured {
	out := make([]*unstructured.Unstructured, 0, len(objs))
	rv := o.rv
	if rv == 0 {
		rv = 100
	}
	for _, in := range objs {
		u := in.DeepCopy()
		u.SetResourceVersion(strconv.Itoa(rv))
		rv++
		kind := u.GetKind()
		if kind == "Secret" && !o.keepFull {
			u = reduceSecret(u, o.dropKeys)
		}
		if ok, set := o.accepted[kind]; set {
			cond := map[string]any{"type": "Accepted", "status": "True", "reason": "ReconciliationSucceeded", "message": "reconciled successfully"}
			if kind == "Backend" {
				cond["reason"] = "Accepted"
			}
			if !ok {
				cond = map[string]any{"type": "NotAccepted", "status": "False", "reason": "ReconciliationFailed", "message": o.message}
				if kind == "Backend" {
					cond = map[string]any{"type": "Accepted", "status": "False", "reason": "Invalid", "message": o.message}
				}
			}
			if kind == "BackendTLSPolicy" {
				if !ok {
					cond["type"], cond["status"], cond["reason"] = "Accepted", "False", "NoValidCACertificate"
				}
				u.Object["status"] = map[string]any{"ancestors": []any{map[string]any{
					"ancestorRef":    map[string]any{"name": "gw"},
					"controllerName": "gateway.envoyproxy.io/gatewayclass-controller",
					"conditions":     []any{cond},
				}}}
			} else {
				u.Object["status"] = map[string]any{"conditions": []any{cond}}
			}
		}
		if o.deleting == kind {
			_ = unstructured.SetNestedField(u.Object, "2026-09-01T10:00:00Z", "metadata", "deletionTimestamp")
		}
		for k, v := range o.extra[kind] {
			u.Object[k] = v
		}
		out = append(out, u)
	}
	return out
}

// allAccepted marks every kind Accepted.
func allAccepted() map[string]bool {
	return map[string]bool{"Backend": true, "BackendTLSPolicy": true, "AIServiceBackend": true, "BackendSecurityPolicy": true}
}

// reduceSecret mirrors app/cluster's cache transform: metadata, type and
// key fingerprints.
func reduceSecret(u *unstructured.Unstructured, dropKeys bool) *unstructured.Unstructured {
	keys := map[string]any{}
	data, _, _ := unstructured.NestedStringMap(u.Object, "data")
	for k, v := range data {
		raw, _ := base64.StdEncoding.DecodeString(v)
		keys[k] = cluster.Fingerprint(raw)
	}
	if dropKeys {
		keys = map[string]any{}
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": u.GetAPIVersion(), "kind": u.GetKind(), "metadata": u.Object["metadata"],
		"type": u.Object["type"], cluster.SecretKeysField: keys,
	}}
}

// obj builds a hand-made object.
func obj(apiVersion, kind, name string, spec map[string]any, labels map[string]string) *unstructured.Unstructured {
	u := &unstructured.Unstructured{Object: map[string]any{"apiVersion": apiVersion, "kind": kind}}
	u.SetName(name)
	u.SetNamespace(testNS)
	u.SetResourceVersion(fmt.Sprintf("rv-%s-%s", kind, name))
	if labels != nil {
		u.SetLabels(labels)
	}
	if spec != nil {
		u.Object["spec"] = spec
	}
	return u
}
