package provider

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"sort"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// ErrNotFound is returned by FromObjects when no object belongs to the
// provider.
var ErrNotFound = errors.New("provider not found")

// Provider is the API view of one provider (GET /api/v1/providers/{name}),
// rebuilt from its live objects. It never carries a credential: Secrets are
// seen reduced to key names and fingerprints.
type Provider struct {
	// Name is the provider name.
	Name string `json:"name"`
	// Namespace is the provider's namespace.
	Namespace string `json:"namespace"`
	// Template is the template the provider was made from (LabelTemplate).
	Template string `json:"template,omitempty"`
	// Schema is the AIServiceBackend's schema (empty without one).
	Schema Schema `json:"schema"`
	// Endpoint is the Backend's first endpoint; TLS is always set: true when
	// a BackendTLSPolicy targets the Backend or the Backend has its own TLS
	// settings.
	Endpoint Endpoint `json:"endpoint"`
	// Auth is the BackendSecurityPolicy in provider terms (type None without
	// one).
	Auth AuthView `json:"auth"`
	// Objects are the provider's objects in apply order (Secret, Backend,
	// BackendTLSPolicy, AIServiceBackend, BackendSecurityPolicy, then any
	// leftover object labeled with the provider). A Secret is listed only
	// when the console manages it, so a user's Secret is never among them.
	// Hand-made parts are listed with Managed false; a hand-made Backend may
	// be shared with other AIServiceBackends, so a DELETE should think
	// twice before removing unmanaged objects.
	Objects []ObjectRef `json:"objects"`
	// Status sums up the objects' conditions.
	Status Status `json:"status"`
	// ResourceVersion identifies this state of the provider, for ETag and
	// If-Match: "p" followed by 16 hex digits of the SHA-256 of each object's
	// group, kind, name and resourceVersion, in Objects order. Any change to
	// any listed object (the managed Secret included) changes it.
	ResourceVersion string `json:"resourceVersion"`
}

// AuthView is the auth of a live provider. It has the JSON shape of Auth
// without the write-only fields, plus the state of the Secret.
type AuthView struct {
	// Type is the BackendSecurityPolicy type, or None.
	Type AuthType `json:"type"`
	// SecretRef names the Secret the policy references when it is not the
	// one the console manages for the provider (a Secret the user brought).
	SecretRef *SecretRef `json:"secretRef,omitempty"`
	// UseDefaultCredentials reports an AWS or GCP policy without a
	// credential file: the platform's default credentials are used.
	UseDefaultCredentials bool `json:"useDefaultCredentials,omitempty"`
	// AWS holds the AWSCredentials settings.
	AWS *AWSView `json:"aws,omitempty"`
	// Azure holds the AzureCredentials settings.
	Azure *AzureView `json:"azure,omitempty"`
	// GCP holds the GCPCredentials settings.
	GCP *GCPView `json:"gcp,omitempty"`
	// Credential is the state of the referenced Secret; nil when the policy
	// references none.
	Credential *CredentialView `json:"credential,omitempty"`
}

// AWSView is the non-secret part of AWSAuth.
type AWSView struct {
	// Region is the SigV4 region.
	Region string `json:"region"`
	// Profile is the INI profile ("" means DefaultAWSProfile).
	Profile string `json:"profile,omitempty"`
	// OIDC reports an OIDC token exchange the console does not edit.
	OIDC bool `json:"oidc,omitempty"`
}

// AzureView is the non-secret part of AzureAuth.
type AzureView struct {
	// ClientID is the Entra application ID.
	ClientID string `json:"clientID"`
	// TenantID is the Entra tenant.
	TenantID string `json:"tenantID"`
	// OIDC reports an OIDC token exchange the console does not edit.
	OIDC bool `json:"oidc,omitempty"`
}

// GCPView is the non-secret part of GCPAuth.
type GCPView struct {
	// ProjectName is the GCP project.
	ProjectName string `json:"projectName"`
	// Region is the Vertex AI region.
	Region string `json:"region"`
	// WorkloadIdentityFederation reports a federation config the console
	// does not edit.
	WorkloadIdentityFederation bool `json:"workloadIdentityFederation,omitempty"`
}

// CredentialView is the state of the Secret a policy references, from the
// reduced Secret of the cache: key names and fingerprints, never values.
type CredentialView struct {
	// SecretName is the referenced Secret.
	SecretName string `json:"secretName"`
	// Managed reports that the Secret is the console's own
	// (SecretName(provider)), rendered from a credential in a request.
	Managed bool `json:"managed"`
	// Exists reports that the Secret is in the cache.
	Exists bool `json:"exists"`
	// RequiredKey is the key the auth type needs (SecretKeyFor).
	RequiredKey string `json:"requiredKey"`
	// HasRequiredKey reports that the Secret has RequiredKey.
	HasRequiredKey bool `json:"hasRequiredKey"`
	// Keys are the Secret's key names, sorted.
	Keys []string `json:"keys"`
	// Fingerprint identifies the value of RequiredKey ("sha256:" and 8 hex
	// digits), so a client can tell that a credential changed.
	Fingerprint string `json:"fingerprint,omitempty"`
}

// ObjectRef names one object of a provider.
type ObjectRef struct {
	// Kind is the object's kind.
	Kind string `json:"kind"`
	// APIVersion is the object's group/version.
	APIVersion string `json:"apiVersion"`
	// Name is the object's name.
	Name string `json:"name"`
	// ResourceVersion is the object's resourceVersion, for preconditions.
	ResourceVersion string `json:"resourceVersion"`
	// Managed reports the LabelManagedBy label: the console rendered the
	// object (objects made by hand lack it).
	Managed bool `json:"managed"`
}

// GVK returns the object's group, version and kind.
func (o ObjectRef) GVK() schema.GroupVersionKind {
	return schema.FromAPIVersionAndKind(o.APIVersion, o.Kind)
}

// Status sums up a provider's health.
type Status struct {
	// Accepted is "False" when any object has a NotAccepted condition or an
	// Accepted condition that is False; "True" when the AIServiceBackend and
	// the BackendSecurityPolicy (if any) are Accepted; "Unknown" otherwise,
	// e.g. before the controller reconciled.
	Accepted metav1.ConditionStatus `json:"accepted"`
	// Conditions are the objects' conditions (for a BackendTLSPolicy, those
	// of each ancestor), in Objects order.
	Conditions []Condition `json:"conditions"`
	// Deleting reports that an object has a deletionTimestamp.
	Deleting bool `json:"deleting"`
	// Ready reports a usable provider: Accepted True, not deleting, an
	// AIServiceBackend and a Backend, a policy unless auth is None, and the
	// needed Secret key when a Secret is referenced.
	Ready bool `json:"ready"`
}

// Condition is one condition of one object.
type Condition struct {
	// Kind and Name name the object.
	Kind string `json:"kind"`
	// Name is the object's name.
	Name string `json:"name"`
	// Type is the condition type, e.g. Accepted or NotAccepted.
	Type string `json:"type"`
	// Status is True, False or Unknown.
	Status string `json:"status"`
	// Reason is the machine-readable reason.
	Reason string `json:"reason,omitempty"`
	// Message is the controller's message.
	Message string `json:"message,omitempty"`
}

// CanKeepSecret reports whether an update of p to auth type t may keep the
// provider's managed Secret (Spec.KeepSecret): the Secret exists, is the
// console's own and holds the key t needs.
func (p Provider) CanKeepSecret(t AuthType) bool {
	c := p.Auth.Credential
	key := SecretKeyFor(t)
	return c != nil && c.Managed && c.Exists && key != "" && slices.Contains(c.Keys, key)
}

// Object kinds, compared without version so that, for example, a
// BackendTLSPolicy read as v1alpha3 is recognised.
var (
	gkASB    = cluster.AIServiceBackend.GVK.GroupKind()
	gkBSP    = cluster.BackendSecurityPolicy.GVK.GroupKind()
	gkBE     = cluster.Backend.GVK.GroupKind()
	gkBTLS   = cluster.BackendTLSPolicy.GVK.GroupKind()
	gkSecret = cluster.Secret.GVK.GroupKind()
)

// kindRank orders the kinds as Render applies them.
func kindRank(gk schema.GroupKind) int {
	switch gk {
	case gkSecret:
		return 0
	case gkBE:
		return 1
	case gkBTLS:
		return 2
	case gkASB:
		return 3
	case gkBSP:
		return 4
	}
	return -1
}

type objKey struct {
	ns   string
	kind schema.GroupKind
	name string
}

type groupKey struct{ ns, name string }

// item is one object with the facts the view needs, read once.
type item struct {
	u        *unstructured.Unstructured
	gk       schema.GroupKind
	ns, name string
	provider string // LabelProvider
	template string // LabelTemplate
	managed  bool   // LabelManagedBy is ManagedBy
}

func newItem(u *unstructured.Unstructured) *item {
	if u == nil {
		return nil
	}
	gk := schema.FromAPIVersionAndKind(str(u.Object, "apiVersion"), str(u.Object, "kind")).GroupKind()
	if kindRank(gk) < 0 {
		return nil
	}
	// Read labels in place: Unstructured.GetLabels copies the map.
	labels, _ := nested(u.Object, "metadata", "labels").(map[string]any)
	label := func(k string) string { s, _ := labels[k].(string); return s }
	return &item{
		u: u, gk: gk,
		ns: str(u.Object, "metadata", "namespace"), name: str(u.Object, "metadata", "name"),
		provider: label(LabelProvider), template: label(LabelTemplate), managed: label(LabelManagedBy) == ManagedBy,
	}
}

func (it *item) key() objKey { return objKey{it.ns, it.gk, it.name} }

// index holds objects by key, by policy target and by provider label, so a
// provider is resolved with map lookups only.
type index struct {
	byKey        map[objKey]*item
	bspByTarget  map[objKey][]*item // key: the targeted AIServiceBackend
	btlsByTarget map[objKey][]*item // key: the targeted Backend
	groups       map[groupKey][]*item
	order        []groupKey
}

func newIndex(objs []*unstructured.Unstructured) *index {
	idx := &index{
		byKey:        make(map[objKey]*item, len(objs)),
		bspByTarget:  map[objKey][]*item{},
		btlsByTarget: map[objKey][]*item{},
		groups:       map[groupKey][]*item{},
	}
	for _, u := range objs {
		it := newItem(u)
		if it == nil {
			continue
		}
		idx.byKey[it.key()] = it
		switch it.gk {
		case gkBSP:
			for _, t := range targetRefs(u) {
				if t.kind == gkASB {
					k := objKey{it.ns, gkASB, t.name}
					idx.bspByTarget[k] = append(idx.bspByTarget[k], it)
				}
			}
		case gkBTLS:
			for _, t := range targetRefs(u) {
				if t.kind == gkBE {
					k := objKey{it.ns, gkBE, t.name}
					idx.btlsByTarget[k] = append(idx.btlsByTarget[k], it)
				}
			}
		}
		if it.provider != "" {
			g := groupKey{it.ns, it.provider}
			if _, ok := idx.groups[g]; !ok {
				idx.order = append(idx.order, g)
			}
			idx.groups[g] = append(idx.groups[g], it)
		}
	}
	return idx
}

// FromObjects builds the view of the provider named name from its live
// objects, all in one namespace: those labeled with it, and hand-made ones.
// The parts are found by name and by reference (the AIServiceBackend's
// backendRef, the policies' targetRefs, the policy's Secret), so a partial
// or hand-made set works. Secrets may be reduced (cluster.SecretKeysField)
// or full; values are never read beyond a fingerprint. It returns
// ErrNotFound when no object belongs to the provider.
func FromObjects(name string, objs []*unstructured.Unstructured) (Provider, error) {
	idx := newIndex(objs)
	ns, ok := "", false
	for _, u := range objs {
		if it := newItem(u); it != nil && (it.name == name || it.provider == name) {
			ns, ok = it.ns, true
			break
		}
	}
	if !ok {
		return Provider{}, fmt.Errorf("provider %q: %w", name, ErrNotFound)
	}
	p, found := idx.provider(ns, name)
	if !found {
		return Provider{}, fmt.Errorf("provider %s/%s: %w", ns, name, ErrNotFound)
	}
	return p, nil
}

// ListFromObjects builds the views of every provider among all, grouping
// objects by LabelProvider per namespace; unlabeled objects are used only
// as the parts those providers reference (a Secret brought by the user,
// say), so pass every cached object of the managed kinds. The result is
// sorted by namespace and name. It runs in time linear in len(all) (plus
// the sort).
func ListFromObjects(all []*unstructured.Unstructured) []Provider {
	idx := newIndex(all)
	keys := slices.Clone(idx.order)
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].ns != keys[j].ns {
			return keys[i].ns < keys[j].ns
		}
		return keys[i].name < keys[j].name
	})
	out := make([]Provider, 0, len(keys))
	for _, k := range keys {
		if p, ok := idx.provider(k.ns, k.name); ok {
			out = append(out, p)
		}
	}
	return out
}

// provider resolves and summarises one provider.
func (idx *index) provider(ns, name string) (Provider, bool) {
	group := idx.groups[groupKey{ns, name}]
	pick := func(gk schema.GroupKind, n string) *item {
		if it := idx.byKey[objKey{ns, gk, n}]; it != nil {
			return it
		}
		for _, it := range group {
			if it.gk == gk {
				return it
			}
		}
		return nil
	}

	asb := pick(gkASB, name)
	asbName := name
	if asb != nil {
		asbName = asb.name
	}
	var be *item
	if asb != nil {
		if ref := backendRefName(asb.u); ref != "" {
			be = idx.byKey[objKey{ns, gkBE, ref}]
		}
	}
	if be == nil {
		be = pick(gkBE, name)
	}
	// Policies are found through their targets first. More than one policy
	// on a target is an upstream conflict: show one, deterministically, and
	// list them all as the provider's objects.
	attached := idx.bspByTarget[objKey{ns, gkASB, asbName}]
	bsp := choose(attached, name)
	if bsp == nil {
		bsp = pick(gkBSP, name)
	}
	var btls *item
	if be != nil {
		l := idx.btlsByTarget[objKey{ns, gkBE, be.name}]
		attached = append(slices.Clip(attached), l...)
		btls = choose(l, name)
	}
	if btls == nil {
		btls = pick(gkBTLS, name)
	}
	if asb == nil && be == nil && bsp == nil && btls == nil && len(group) == 0 {
		return Provider{}, false
	}
	parts := []*item{be, btls, asb, bsp} // apply order

	p := Provider{Name: name, Namespace: ns}
	for _, it := range parts {
		if it != nil && p.Template == "" {
			p.Template = it.template
		}
	}
	if asb != nil {
		p.Schema = Schema{
			Name:    aigv1b1.APISchema(str(asb.u.Object, "spec", "schema", "name")),
			Version: str(asb.u.Object, "spec", "schema", "version"),
			Prefix:  str(asb.u.Object, "spec", "schema", "prefix"),
		}
	}
	if be != nil {
		p.Endpoint = endpointOf(be.u)
	}
	tls := btls != nil || (be != nil && nested(be.u.Object, "spec", "tls") != nil)
	p.Endpoint.TLS = &tls

	var secret *item
	p.Auth, secret = idx.authOf(ns, name, bsp)

	// Objects: the resolved parts, the Secret when managed, and leftovers
	// labeled with the provider.
	members := make([]*item, 0, 5)
	seen := make(map[*item]bool, 5)
	addMember := func(it *item) {
		if it != nil && !seen[it] {
			seen[it] = true
			members = append(members, it)
		}
	}
	if secret != nil && p.Auth.Credential.Managed {
		addMember(secret)
	}
	for _, it := range parts {
		addMember(it)
	}
	for _, it := range attached {
		addMember(it)
	}
	for _, it := range group {
		if it.gk != gkSecret || it.managed {
			addMember(it)
		}
	}
	sort.SliceStable(members, func(i, j int) bool {
		ri, rj := kindRank(members[i].gk), kindRank(members[j].gk)
		if ri != rj {
			return ri < rj
		}
		return members[i].name < members[j].name
	})
	p.Objects = make([]ObjectRef, len(members))
	for i, it := range members {
		p.Objects[i] = ObjectRef{
			Kind: str(it.u.Object, "kind"), APIVersion: str(it.u.Object, "apiVersion"), Name: it.name,
			ResourceVersion: str(it.u.Object, "metadata", "resourceVersion"), Managed: it.managed,
		}
	}

	p.Status = statusOf(p, parts, members)
	p.ResourceVersion = etag(members)
	return p, true
}

// choose returns the item named name, else the one with the smallest name,
// so that the choice does not depend on the order of the input.
func choose(l []*item, name string) *item {
	var best *item
	for _, it := range l {
		switch {
		case it.name == name:
			return it
		case best == nil || it.name < best.name:
			best = it
		}
	}
	return best
}

// authOf turns the policy into an AuthView and finds its Secret.
func (idx *index) authOf(ns, provider string, bsp *item) (AuthView, *item) {
	if bsp == nil {
		return AuthView{Type: AuthNone}, nil
	}
	o := bsp.u.Object
	a := AuthView{Type: AuthType(str(o, "spec", "type"))}
	var ref refTarget
	switch a.Type {
	case AuthAPIKey:
		ref = secretRefAt(o, ns, "spec", "apiKey", "secretRef")
	case AuthAzureAPIKey:
		ref = secretRefAt(o, ns, "spec", "azureAPIKey", "secretRef")
	case AuthAnthropicAPIKey:
		ref = secretRefAt(o, ns, "spec", "anthropicAPIKey", "secretRef")
	case AuthAWSCredentials:
		a.AWS = &AWSView{
			Region:  str(o, "spec", "awsCredentials", "region"),
			Profile: str(o, "spec", "awsCredentials", "credentialsFile", "profile"),
			OIDC:    nested(o, "spec", "awsCredentials", "oidcExchangeToken") != nil,
		}
		ref = secretRefAt(o, ns, "spec", "awsCredentials", "credentialsFile", "secretRef")
		a.UseDefaultCredentials = ref.name == "" && !a.AWS.OIDC
	case AuthAzureCredentials:
		a.Azure = &AzureView{
			ClientID: str(o, "spec", "azureCredentials", "clientID"),
			TenantID: str(o, "spec", "azureCredentials", "tenantID"),
			OIDC:     nested(o, "spec", "azureCredentials", "oidcExchangeToken") != nil,
		}
		ref = secretRefAt(o, ns, "spec", "azureCredentials", "clientSecretRef")
	case AuthGCPCredentials:
		a.GCP = &GCPView{
			ProjectName:                str(o, "spec", "gcpCredentials", "projectName"),
			Region:                     str(o, "spec", "gcpCredentials", "region"),
			WorkloadIdentityFederation: nested(o, "spec", "gcpCredentials", "workloadIdentityFederationConfig") != nil,
		}
		ref = secretRefAt(o, ns, "spec", "gcpCredentials", "credentialsFile", "secretRef")
		a.UseDefaultCredentials = ref.name == "" && !a.GCP.WorkloadIdentityFederation
	}
	if ref.name == "" {
		return a, nil
	}
	secret := idx.byKey[objKey{ref.ns, gkSecret, ref.name}]
	c := &CredentialView{SecretName: ref.name, RequiredKey: SecretKeyFor(a.Type), Keys: []string{}}
	// The Secret is the console's own when it has the managed name in the
	// provider's namespace and, if it exists, the managed-by label.
	c.Managed = ref.ns == ns && ref.name == SecretName(provider)
	if secret != nil {
		c.Exists = true
		c.Managed = c.Managed && secret.managed
		keys := secretKeys(secret.u)
		for k := range keys {
			c.Keys = append(c.Keys, k)
		}
		sort.Strings(c.Keys)
		c.Fingerprint, c.HasRequiredKey = keys[c.RequiredKey]
	}
	if !c.Managed {
		a.SecretRef = &SecretRef{Name: ref.name}
	}
	a.Credential = c
	return a, secret
}

// secretKeys returns key name → fingerprint of a Secret: from the reduced
// form's keys map, or computed from data for a full Secret.
func secretKeys(u *unstructured.Unstructured) map[string]string {
	out := map[string]string{}
	if m, ok := u.Object[cluster.SecretKeysField].(map[string]any); ok {
		for k, v := range m {
			s, _ := v.(string)
			out[k] = s
		}
		return out
	}
	if m, ok := u.Object["data"].(map[string]any); ok {
		for k, v := range m {
			s, _ := v.(string)
			raw, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				raw = []byte(s)
			}
			out[k] = cluster.Fingerprint(raw)
		}
	}
	if m, ok := u.Object["stringData"].(map[string]any); ok {
		for k, v := range m {
			s, _ := v.(string)
			out[k] = cluster.Fingerprint([]byte(s))
		}
	}
	return out
}

// statusOf sums up the conditions of the provider's parts (Backend,
// BackendTLSPolicy, AIServiceBackend, BackendSecurityPolicy; nil when
// absent) and the deletion state of all its members.
func statusOf(p Provider, parts, members []*item) Status {
	be, asb, bsp := parts[0], parts[2], parts[3]
	st := Status{Accepted: metav1.ConditionUnknown, Conditions: []Condition{}}
	failed := false
	accepted := func(it *item) bool {
		for _, c := range conditionsOf(it.u) {
			if c.Type == aigv1b1.ConditionTypeAccepted && c.Status == string(metav1.ConditionTrue) {
				return true
			}
		}
		return false
	}
	for _, it := range parts {
		if it == nil {
			continue
		}
		for _, c := range conditionsOf(it.u) {
			st.Conditions = append(st.Conditions, c)
			if c.Type == aigv1b1.ConditionTypeNotAccepted || (c.Type == aigv1b1.ConditionTypeAccepted && c.Status == string(metav1.ConditionFalse)) {
				failed = true
			}
		}
	}
	for _, it := range members {
		if str(it.u.Object, "metadata", "deletionTimestamp") != "" {
			st.Deleting = true
		}
	}
	switch {
	case failed:
		st.Accepted = metav1.ConditionFalse
	case asb != nil && accepted(asb) && (bsp == nil || accepted(bsp)):
		st.Accepted = metav1.ConditionTrue
	}
	credOK := p.Auth.Credential == nil || (p.Auth.Credential.Exists && p.Auth.Credential.HasRequiredKey)
	st.Ready = st.Accepted == metav1.ConditionTrue && !st.Deleting && asb != nil && be != nil &&
		(p.Auth.Type == AuthNone || bsp != nil) && credOK
	return st
}

// conditionsOf reads status.conditions, or for a policy with ancestors
// (BackendTLSPolicy) the conditions of every ancestor.
func conditionsOf(u *unstructured.Unstructured) []Condition {
	var out []Condition
	add := func(list any) {
		items, _ := list.([]any)
		for _, it := range items {
			m, ok := it.(map[string]any)
			if !ok {
				continue
			}
			out = append(out, Condition{
				Kind: u.GetKind(), Name: u.GetName(),
				Type: str(m, "type"), Status: str(m, "status"), Reason: str(m, "reason"), Message: str(m, "message"),
			})
		}
	}
	add(nested(u.Object, "status", "conditions"))
	ancestors, _ := nested(u.Object, "status", "ancestors").([]any)
	for _, a := range ancestors {
		if m, ok := a.(map[string]any); ok {
			add(m["conditions"])
		}
	}
	return out
}

// etag digests the members' identities and resourceVersions, in Objects
// order.
func etag(members []*item) string {
	h := sha256.New()
	for _, it := range members {
		_, _ = fmt.Fprintf(h, "%s/%s/%s=%s\n", it.gk.Group, it.gk.Kind, it.name, str(it.u.Object, "metadata", "resourceVersion"))
	}
	return "p" + hex.EncodeToString(h.Sum(nil)[:8])
}

func endpointOf(be *unstructured.Unstructured) Endpoint {
	eps, _ := nested(be.Object, "spec", "endpoints").([]any)
	if len(eps) == 0 {
		return Endpoint{}
	}
	ep, _ := eps[0].(map[string]any)
	if fq, ok := ep["fqdn"].(map[string]any); ok {
		return Endpoint{Hostname: str(fq, "hostname"), Port: num(fq["port"])}
	}
	if ip, ok := ep["ip"].(map[string]any); ok {
		return Endpoint{IP: str(ip, "address"), Port: num(ip["port"])}
	}
	return Endpoint{}
}

type refTarget struct {
	kind     schema.GroupKind
	ns, name string
}

// targetRefs reads spec.targetRefs of a policy.
func targetRefs(u *unstructured.Unstructured) []refTarget {
	list, _ := nested(u.Object, "spec", "targetRefs").([]any)
	out := make([]refTarget, 0, len(list))
	for _, it := range list {
		m, ok := it.(map[string]any)
		if !ok {
			continue
		}
		out = append(out, refTarget{kind: schema.GroupKind{Group: str(m, "group"), Kind: str(m, "kind")}, name: str(m, "name")})
	}
	return out
}

// backendRefName returns the Backend an AIServiceBackend points at, or "".
func backendRefName(asb *unstructured.Unstructured) string {
	m, ok := nested(asb.Object, "spec", "backendRef").(map[string]any)
	if !ok || str(m, "group") != gkBE.Group || str(m, "kind") != gkBE.Kind {
		return ""
	}
	return str(m, "name")
}

// secretRefAt reads a SecretObjectReference; its namespace defaults to ns.
func secretRefAt(obj map[string]any, ns string, fields ...string) refTarget {
	m, ok := nested(obj, fields...).(map[string]any)
	if !ok {
		return refTarget{}
	}
	r := refTarget{kind: gkSecret, ns: str(m, "namespace"), name: str(m, "name")}
	if r.ns == "" {
		r.ns = ns
	}
	return r
}

// nested returns the value at fields without copying it.
func nested(obj map[string]any, fields ...string) any {
	var cur any = obj
	for _, f := range fields {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[f]
	}
	return cur
}

func str(obj map[string]any, fields ...string) string {
	s, _ := nested(obj, fields...).(string)
	return s
}

// num reads a JSON number as decoded into unstructured objects.
func num(v any) int {
	switch n := v.(type) {
	case int64:
		return int(n)
	case int32:
		return int(n)
	case int:
		return n
	case float64:
		return int(n)
	}
	return 0
}
