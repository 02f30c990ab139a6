package provider

import (
	"fmt"
	"strings"

	egv1a1 "github.com/envoyproxy/gateway/api/v1alpha1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	gwapiv1 "sigs.k8s.io/gateway-api/apis/v1"
	gwapiv1a2 "sigs.k8s.io/gateway-api/apis/v1alpha2"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// Rendered is the set of objects one provider consists of.
type Rendered struct {
	// Objects are the objects to apply, in apply order: Secret, Backend,
	// BackendTLSPolicy, AIServiceBackend, BackendSecurityPolicy (each only
	// when the spec calls for it). Each has apiVersion, kind, namespace,
	// name and the provider labels; none has status or a creationTimestamp.
	Objects []*unstructured.Unstructured
	// SecretName is the Secret the BackendSecurityPolicy references: the
	// managed SecretName(provider), the spec's secretRef, or "" when there
	// is none (auth None, or AWS/GCP default credentials).
	SecretName string
	// SecretKey is the key of SecretName the auth type needs ("" when
	// SecretName is "").
	SecretKey string
	// ManagedSecret reports that the Secret is among Objects. It is false
	// for a secretRef and for Spec.KeepSecret, where the Secret exists and is
	// left alone.
	ManagedSecret bool
}

// InvalidSpecError is returned by Render for a spec that fails Validate. Its
// message never contains a write-only value.
type InvalidSpecError struct {
	// Errors are the field errors Validate found.
	Errors field.ErrorList
}

// Error joins the field errors.
func (e *InvalidSpecError) Error() string {
	return "invalid provider spec: " + e.Errors.ToAggregate().Error()
}

// Render validates s (see Validate) and renders the objects of the provider
// in namespace. It is deterministic: the same input gives the same objects.
//
// The Secret SecretName(s.Name) is rendered only when the request carries a
// credential. With Auth.SecretRef the policy references that Secret; with
// Spec.KeepSecret (an update that omits the credential) it references the
// existing managed Secret, which is not rendered and so keeps its data.
func Render(namespace string, s Spec) (Rendered, error) {
	if errs := Validate(namespace, s); len(errs) > 0 {
		return Rendered{}, &InvalidSpecError{Errors: errs}
	}
	r := Rendered{}
	labels := objectLabels(s)
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: namespace, Labels: copyLabels(labels)}
	}

	var typed []runtime.Object
	r.SecretName, r.ManagedSecret = secretFor(s)
	if r.SecretName != "" {
		r.SecretKey = SecretKeyFor(s.Auth.Type)
	}
	if r.ManagedSecret {
		typed = append(typed, &corev1.Secret{
			ObjectMeta: meta(r.SecretName),
			Type:       corev1.SecretTypeOpaque,
			Data:       map[string][]byte{r.SecretKey: []byte(secretValue(s.Auth))},
		})
	}

	ep := egv1a1.BackendEndpoint{}
	if s.Endpoint.Hostname != "" {
		ep.FQDN = &egv1a1.FQDNEndpoint{Hostname: s.Endpoint.Hostname, Port: int32(s.Endpoint.Port)} // #nosec G115 -- Validate bounds the port.
	} else {
		ep.IP = &egv1a1.IPEndpoint{Address: s.Endpoint.IP, Port: int32(s.Endpoint.Port)} // #nosec G115 -- Validate bounds the port.
	}
	typed = append(typed, &egv1a1.Backend{
		ObjectMeta: meta(s.Name),
		Spec:       egv1a1.BackendSpec{Endpoints: []egv1a1.BackendEndpoint{ep}},
	})

	if s.Endpoint.TLSEnabled() {
		system := gwapiv1.WellKnownCACertificatesSystem
		typed = append(typed, &gwapiv1.BackendTLSPolicy{
			ObjectMeta: meta(s.Name),
			Spec: gwapiv1.BackendTLSPolicySpec{
				TargetRefs: []gwapiv1.LocalPolicyTargetReferenceWithSectionName{{
					LocalPolicyTargetReference: gwapiv1.LocalPolicyTargetReference{
						Group: gwapiv1.Group(cluster.Backend.GVK.Group),
						Kind:  gwapiv1.Kind(cluster.Backend.GVK.Kind),
						Name:  gwapiv1.ObjectName(s.Name),
					},
				}},
				Validation: gwapiv1.BackendTLSPolicyValidation{
					Hostname:                gwapiv1.PreciseHostname(s.Endpoint.Hostname),
					WellKnownCACertificates: &system,
				},
			},
		})
	}

	backendGroup := gwapiv1.Group(cluster.Backend.GVK.Group)
	backendKind := gwapiv1.Kind(cluster.Backend.GVK.Kind)
	typed = append(typed, &aigv1b1.AIServiceBackend{
		ObjectMeta: meta(s.Name),
		Spec: aigv1b1.AIServiceBackendSpec{
			APISchema: aigv1b1.VersionedAPISchema{
				Name:    s.Schema.Name,
				Version: optional(s.Schema.Version),
				Prefix:  optional(s.Schema.Prefix),
			},
			BackendRef: gwapiv1.BackendObjectReference{Group: &backendGroup, Kind: &backendKind, Name: gwapiv1.ObjectName(s.Name)},
		},
	})

	if s.Auth.Type != AuthNone {
		typed = append(typed, &aigv1b1.BackendSecurityPolicy{
			ObjectMeta: meta(s.Name),
			Spec:       policySpec(s, r.SecretName),
		})
	}

	for _, obj := range typed {
		u, err := toUnstructured(obj)
		if err != nil {
			return Rendered{}, err
		}
		r.Objects = append(r.Objects, u)
	}
	return r, nil
}

// secretFor returns the Secret the policy references and whether it is
// rendered.
func secretFor(s Spec) (name string, managed bool) {
	a := s.Auth
	switch {
	case a.Type == AuthNone || a.UseDefaultCredentials:
		return "", false
	case a.SecretRef != nil:
		return a.SecretRef.Name, false
	case a.hasInlineCredential():
		return SecretName(s.Name), true
	case s.KeepSecret:
		return SecretName(s.Name), false
	}
	// AWS and GCP without any credential: the platform's default credentials.
	return "", false
}

// secretValue is the Secret value for the spec's inline credential.
func secretValue(a Auth) string {
	switch a.Type {
	case AuthAWSCredentials:
		if a.AWS.Credentials.IsSet() {
			return a.AWS.Credentials.Value()
		}
		return fmt.Sprintf("[%s]\naws_access_key_id = %s\naws_secret_access_key = %s\n",
			profileOrDefault(a.AWS.Profile), a.AWS.AccessKeyID.Value(), a.AWS.SecretAccessKey.Value())
	case AuthAzureCredentials:
		return a.Azure.ClientSecret.Value()
	case AuthGCPCredentials:
		return a.GCP.ServiceAccountJSON.Value()
	}
	return a.APIKey.Value()
}

// policySpec builds the BackendSecurityPolicy spec: the target, the type and
// exactly the block of that type.
func policySpec(s Spec, secretName string) aigv1b1.BackendSecurityPolicySpec {
	a := s.Auth
	spec := aigv1b1.BackendSecurityPolicySpec{
		TargetRefs: []gwapiv1a2.LocalPolicyTargetReference{{
			Group: gwapiv1.Group(cluster.AIServiceBackend.GVK.Group),
			Kind:  gwapiv1.Kind(cluster.AIServiceBackend.GVK.Kind),
			Name:  gwapiv1.ObjectName(s.Name),
		}},
		Type: aigv1b1.BackendSecurityPolicyType(a.Type),
	}
	var ref *gwapiv1.SecretObjectReference
	if secretName != "" {
		ref = &gwapiv1.SecretObjectReference{Name: gwapiv1.ObjectName(secretName)}
	}
	switch a.Type {
	case AuthAPIKey:
		spec.APIKey = &aigv1b1.BackendSecurityPolicyAPIKey{SecretRef: ref}
	case AuthAzureAPIKey:
		spec.AzureAPIKey = &aigv1b1.BackendSecurityPolicyAzureAPIKey{SecretRef: ref}
	case AuthAnthropicAPIKey:
		spec.AnthropicAPIKey = &aigv1b1.BackendSecurityPolicyAnthropicAPIKey{SecretRef: ref}
	case AuthAWSCredentials:
		aws := &aigv1b1.BackendSecurityPolicyAWSCredentials{Region: a.AWS.Region}
		if ref != nil {
			aws.CredentialsFile = &aigv1b1.AWSCredentialsFile{SecretRef: ref, Profile: a.AWS.Profile}
		}
		spec.AWSCredentials = aws
	case AuthAzureCredentials:
		spec.AzureCredentials = &aigv1b1.BackendSecurityPolicyAzureCredentials{
			ClientID: a.Azure.ClientID, TenantID: a.Azure.TenantID, ClientSecretRef: ref,
		}
	case AuthGCPCredentials:
		gcp := &aigv1b1.BackendSecurityPolicyGCPCredentials{ProjectName: a.GCP.ProjectName, Region: a.GCP.Region}
		if ref != nil {
			gcp.CredentialsFile = &aigv1b1.GCPCredentialsFile{SecretRef: ref}
		}
		spec.GCPCredentials = gcp
	}
	return spec
}

// objectLabels are the labels of every object of s.
func objectLabels(s Spec) map[string]string {
	l := map[string]string{LabelManagedBy: ManagedBy, LabelProvider: s.Name}
	if s.Template != "" {
		l[LabelTemplate] = s.Template
	}
	return l
}

func copyLabels(l map[string]string) map[string]string {
	out := make(map[string]string, len(l))
	for k, v := range l {
		out[k] = v
	}
	return out
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// gvkOf maps the typed objects Render builds to their GVKs, taken from the
// cluster's kind table so reads and writes agree.
func gvkOf(obj runtime.Object) (schema.GroupVersionKind, error) {
	switch obj.(type) {
	case *corev1.Secret:
		return cluster.Secret.GVK, nil
	case *egv1a1.Backend:
		return cluster.Backend.GVK, nil
	case *gwapiv1.BackendTLSPolicy:
		return cluster.BackendTLSPolicy.GVK, nil
	case *aigv1b1.AIServiceBackend:
		return cluster.AIServiceBackend.GVK, nil
	case *aigv1b1.BackendSecurityPolicy:
		return cluster.BackendSecurityPolicy.GVK, nil
	}
	return schema.GroupVersionKind{}, fmt.Errorf("render: unexpected object type %T", obj)
}

// toUnstructured converts a typed object, sets its apiVersion and kind, and
// drops what the server owns or what typed structs add as noise (status,
// metadata.creationTimestamp: null).
func toUnstructured(obj runtime.Object) (*unstructured.Unstructured, error) {
	gvk, err := gvkOf(obj)
	if err != nil {
		return nil, err
	}
	m, err := runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	if err != nil {
		return nil, fmt.Errorf("%s: convert to unstructured: %w", gvk.Kind, err)
	}
	u := &unstructured.Unstructured{Object: m}
	u.SetGroupVersionKind(gvk)
	delete(u.Object, "status")
	unstructured.RemoveNestedField(u.Object, "metadata", "creationTimestamp")
	return u, nil
}

// Redact returns a copy of u in which, for a Secret, every data and
// stringData value is RedactedValue. Other objects are copied unchanged.
// Use it for dry-run answers, previews and golden files.
func Redact(u *unstructured.Unstructured) *unstructured.Unstructured {
	if u == nil {
		return nil
	}
	out := u.DeepCopy()
	if out.GroupVersionKind().GroupKind() != cluster.Secret.GVK.GroupKind() {
		return out
	}
	for _, f := range []string{"data", "stringData"} {
		if m, ok := out.Object[f].(map[string]any); ok {
			for k := range m {
				m[k] = RedactedValue
			}
		}
	}
	// Client-side apply keeps the whole object, values included, here.
	if ann := out.GetAnnotations(); ann != nil {
		if _, ok := ann[corev1.LastAppliedConfigAnnotation]; ok {
			ann[corev1.LastAppliedConfigAnnotation] = RedactedValue
			out.SetAnnotations(ann)
		}
	}
	return out
}

// Redacted returns a copy of r whose Secret is redacted (see Redact).
func (r Rendered) Redacted() Rendered {
	out := r
	out.Objects = make([]*unstructured.Unstructured, len(r.Objects))
	for i, u := range r.Objects {
		out.Objects[i] = Redact(u)
	}
	return out
}

// Prune returns the objects of the live provider cur that r no longer
// contains and that should be deleted after r is applied: a BackendTLSPolicy
// when TLS was turned off, the BackendSecurityPolicy when auth became None,
// the managed Secret when the provider switched to a secretRef or default
// credentials, and leftovers labeled with the provider. The Secret r
// references (SecretName) is never pruned, so a kept Secret survives.
//
// Objects the console does not manage (ObjectRef.Managed false) are pruned
// only when they are policies (BackendSecurityPolicy, BackendTLSPolicy),
// which would otherwise attach a second policy to the same target once a
// hand-made provider is taken over; hand-made Backends and
// AIServiceBackends, which other backends may share, are left alone. A
// user's Secret is never in cur.Objects.
func (r Rendered) Prune(cur Provider) []ObjectRef {
	keep := make(map[string]bool, len(r.Objects)+1)
	for _, u := range r.Objects {
		keep[refKey(u.GroupVersionKind().GroupKind(), u.GetName())] = true
	}
	if r.SecretName != "" {
		keep[refKey(cluster.Secret.GVK.GroupKind(), r.SecretName)] = true
	}
	var out []ObjectRef
	for _, o := range cur.Objects {
		gk := o.GVK().GroupKind()
		if keep[refKey(gk, o.Name)] {
			continue
		}
		if o.Managed || gk == cluster.BackendSecurityPolicy.GVK.GroupKind() || gk == cluster.BackendTLSPolicy.GVK.GroupKind() {
			out = append(out, o)
		}
	}
	return out
}

func refKey(gk schema.GroupKind, name string) string {
	return strings.Join([]string{gk.Group, gk.Kind, name}, "/")
}
