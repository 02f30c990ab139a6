// Package provider turns the console's notion of a provider (one upstream
// LLM service) into the Kubernetes objects Envoy AI Gateway expects, and
// back. It is pure domain code: no client, no I/O; the HTTP handlers feed it
// request bodies and cached objects and hand its output to a sink.Sink.
//
// # Objects
//
// A provider named P in namespace N is up to five objects in N, rendered in
// this apply order:
//
//   - Secret P-credentials (type Opaque), only when the request carries a
//     credential. Its key is the one the upstream controller reads for the
//     auth type (SecretKeyFor): apiKey, credentials (AWS INI),
//     client-secret (Azure) or service_account.json (GCP).
//   - Backend P (gateway.envoyproxy.io/v1alpha1) with one fqdn or ip
//     endpoint.
//   - BackendTLSPolicy P (gateway.networking.k8s.io/v1), only with TLS:
//     targetRefs the Backend, validation.hostname is the endpoint's host
//     name and wellKnownCACertificates is System.
//   - AIServiceBackend P (aigateway.envoyproxy.io/v1beta1) with the schema
//     and an explicit backendRef {group: gateway.envoyproxy.io, kind:
//     Backend, name: P}.
//   - BackendSecurityPolicy P, absent for auth None: targetRefs the
//     AIServiceBackend with explicit group and kind, the type and exactly
//     its credential block, referencing the Secret.
//
// Every object carries LabelManagedBy=ManagedBy and LabelProvider=P, and
// LabelTemplate when the provider was made from a template.
//
// # Write path
//
// POST and PUT decode the body into a Spec, then:
//
//	s, errs := provider.ExpandTemplate(s)   // template + parameters, if any
//	errs = provider.Validate(ns, s)          // 400 with field paths
//	r, err := provider.Render(ns, s)        // validates again; *InvalidSpecError
//	sink.Apply(ctx, sink.ChangeSet{Apply: r.Objects, ...})
//
// A dry run answers with r.Redacted() (Secret values replaced by
// RedactedValue) and Spec.Redacted().
//
// # Updates and the stored credential
//
// Credentials are write-only, so a client editing a provider sends no
// credential when it wants to keep the stored one. The handler looks up the
// live provider (FromObjects) and sets Spec.KeepSecret when
// cur.CanKeepSecret(s.Auth.Type): Validate then accepts the missing
// credential and Render references the existing P-credentials Secret
// without rendering it, so SSA leaves its data alone. A request with a
// credential replaces the Secret; one with auth.secretRef switches to the
// user's Secret; auth.useDefaultCredentials (AWS, GCP) drops it. After the
// apply, delete r.Prune(cur): the objects the new render no longer has (a
// BackendTLSPolicy when TLS went off, the policy when auth became None, the
// managed Secret when it is no longer referenced).
//
// # Read path
//
// FromObjects and ListFromObjects rebuild Providers from cached objects.
// Secrets come reduced from the cache (cluster.SecretKeysField: key name →
// fingerprint), so a view never holds a credential. Provider.ResourceVersion
// is a digest of every object's resourceVersion and serves as the ETag;
// Provider.Objects carries each object's own resourceVersion for
// sink.Precondition.
//
// # Secrets never leak
//
// Write-only fields have type Credential, which prints, logs (slog) and
// marshals to JSON as RedactedValue; the types that hold them implement
// String, GoString and LogValue the same way. Validation errors about a
// credential use field.OmitValueType and messages that never quote it.
package provider
