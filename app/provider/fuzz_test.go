package provider

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	sigsjson "sigs.k8s.io/json"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/gitops"
)

// FuzzProviderSpec runs a fuzzed request body through the write path of a
// provider as the handlers do (strict decode → ExpandTemplate → Validate →
// Render) and checks that nothing panics; that Render accepts exactly what
// Validate accepts; that what it renders is deterministic, decodes strictly
// into each object's Go type, has valid names and labels, and can be stored
// by the GitOps sink; and that no credential of the body appears in an
// error, a print of the spec, a redacted rendering, a non-Secret object or
// the provider's view. Seeds: testdata/fuzz/FuzzProviderSpec.
func FuzzProviderSpec(f *testing.F) {
	scheme := cluster.NewScheme()
	f.Fuzz(func(t *testing.T, body []byte, ns string, keep bool) {
		var s Spec
		if strict, err := sigsjson.UnmarshalStrict(body, &s, sigsjson.DisallowDuplicateFields, sigsjson.DisallowUnknownFields); err != nil || len(strict) > 0 {
			return
		}
		creds := distinctCredentials(s, ns)
		spec, errs := ExpandTemplate(s)
		noCredential(t, creds, "ExpandTemplate errors", errs.ToAggregate())
		if len(errs) > 0 {
			return
		}
		spec.KeepSecret = keep
		creds = append(creds, distinctCredentials(spec, ns)...)
		for _, format := range []string{"%v", "%+v", "%#v", "%s"} {
			noCredential(t, creds, "fmt "+format+" of the spec", fmt.Sprintf(format, spec))
		}
		var log bytes.Buffer
		slog.New(slog.NewJSONHandler(&log, nil)).Info("spec", "spec", spec, "auth", spec.Auth)
		noCredential(t, creds, "a log line of the spec", log.String())
		redacted, err := json.Marshal(spec.Redacted())
		if err != nil {
			t.Fatalf("marshal the redacted spec: %v", err)
		}
		noCredential(t, creds, "the redacted spec", string(redacted))

		errs = Validate(ns, spec)
		noCredential(t, creds, "Validate errors", errs.ToAggregate())
		r, err := Render(ns, spec)
		if (err != nil) != (len(errs) > 0) {
			t.Fatalf("Validate found %d errors (%v) but Render returned %v", len(errs), errs.ToAggregate(), err)
		}
		if err != nil {
			noCredential(t, creds, "the Render error", err)
			return
		}
		again, err := Render(ns, spec)
		if err != nil || !reflect.DeepEqual(r, again) {
			t.Fatalf("Render is not deterministic: %v", err)
		}
		checkRendered(t, scheme, ns, spec, r)
		redactedObjects, err := json.Marshal(r.Redacted().Objects)
		if err != nil {
			t.Fatalf("marshal the redacted objects: %v", err)
		}
		noCredential(t, creds, "the redacted objects", string(redactedObjects))

		// The view of what was rendered, as the cache holds it (Secrets
		// reduced to key fingerprints).
		cached := make([]*unstructured.Unstructured, 0, len(r.Objects))
		for _, u := range r.Objects {
			if u.GetKind() == "Secret" {
				u = reduceSecret(u, false)
			} else {
				noCredential(t, creds, u.GetKind(), u.Object)
			}
			cached = append(cached, u)
		}
		view, err := FromObjects(spec.Name, cached)
		if err != nil {
			t.Fatalf("FromObjects of the rendered provider: %v", err)
		}
		if view.Name != spec.Name || view.Namespace != ns {
			t.Fatalf("view of %s/%s is named %s/%s", ns, spec.Name, view.Namespace, view.Name)
		}
		raw, err := json.Marshal(view)
		if err != nil {
			t.Fatalf("marshal the view: %v", err)
		}
		noCredential(t, creds, "the provider view", string(raw))
	})
}

// checkRendered checks the objects of a rendered provider with the Go checks
// the API server and the GitOps sink would apply.
func checkRendered(t *testing.T, scheme *runtime.Scheme, ns string, s Spec, r Rendered) {
	t.Helper()
	if len(r.Objects) == 0 {
		t.Fatal("Render returned no objects")
	}
	for _, u := range r.Objects {
		ref := sink.RefOf(u)
		if u.GetAPIVersion() == "" || u.GetKind() == "" || u.GetNamespace() != ns {
			t.Fatalf("%s: apiVersion %q, kind %q, namespace %q", ref, u.GetAPIVersion(), u.GetKind(), u.GetNamespace())
		}
		if msgs := validation.IsDNS1123Subdomain(u.GetName()); len(msgs) > 0 {
			t.Fatalf("%s: invalid name: %v", ref, msgs)
		}
		if errs := metav1validation.ValidateLabels(u.GetLabels(), field.NewPath("metadata", "labels")); len(errs) > 0 {
			t.Fatalf("%s: invalid labels: %v", ref, errs.ToAggregate())
		}
		if u.GetLabels()[LabelProvider] != s.Name {
			t.Fatalf("%s: label %s is %q, want %q", ref, LabelProvider, u.GetLabels()[LabelProvider], s.Name)
		}
		if _, ok := u.Object["status"]; ok {
			t.Fatalf("%s has a status", ref)
		}
		typed, err := scheme.New(u.GroupVersionKind())
		if err != nil {
			t.Fatalf("%s: not a kind of the console's scheme: %v", ref, err)
		}
		if err := runtime.DefaultUnstructuredConverter.FromUnstructuredWithValidation(u.Object, typed, true); err != nil {
			t.Fatalf("%s does not decode strictly into %T: %v", ref, typed, err)
		}
		if _, err := gitops.ObjectPath("clusters/default", ref); err != nil {
			t.Fatalf("%s: the GitOps sink cannot store it: %v", ref, err)
		}
		if _, err := gitops.Render(u); err != nil {
			t.Fatalf("%s: the GitOps sink cannot render it: %v", ref, err)
		}
	}
	if r.SecretName != "" {
		if msgs := validation.IsDNS1123Subdomain(r.SecretName); len(msgs) > 0 {
			t.Fatalf("the policy references the Secret %q, an invalid name: %v", r.SecretName, msgs)
		}
	}
}

// distinctCredentials returns the write-only values of s that a leak check
// can look for: at least 8 bytes, and not part of any non-secret input (a
// credential equal to the hostname shows up legitimately).
func distinctCredentials(s Spec, ns string) []string {
	public, _ := json.Marshal(s.Redacted())
	var out []string
	for _, c := range credentialValues(s) {
		if len(c) >= 8 && !strings.Contains(string(public), c) && !strings.Contains(ns, c) {
			out = append(out, c)
		}
	}
	return out
}

// noCredential fails when any credential, plain, quoted or base64-encoded,
// appears in v: a string, an error, or a JSON-like value whose strings are
// searched one by one.
func noCredential(t *testing.T, creds []string, what string, v any) {
	t.Helper()
	if len(creds) == 0 || v == nil {
		return
	}
	var texts []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			texts = append(texts, x)
		case error:
			if x != nil && !reflect.ValueOf(x).IsZero() {
				texts = append(texts, x.Error())
			}
		case map[string]any:
			for k, e := range x {
				texts = append(texts, k)
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	for _, text := range texts {
		for _, c := range creds {
			quoted := strings.Trim(fmt.Sprintf("%q", c), `"`)
			if strings.Contains(text, c) || strings.Contains(text, quoted) || strings.Contains(text, base64.StdEncoding.EncodeToString([]byte(c))) {
				t.Fatalf("a credential appears in %s:\n%s", what, text)
			}
		}
	}
}
