{{/*
The chart name, shortened to fit a label value.
*/}}
{{- define "aigw-console.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's objects: the release name, followed by the
chart name unless it already contains it.
*/}}
{{- define "aigw-console.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The name of cluster-scoped objects (ClusterRole, ClusterRoleBinding): the full
name with the release namespace, so releases of the same name in two
namespaces do not collide.
*/}}
{{- define "aigw-console.clusterName" -}}
{{- printf "%s-%s" .Release.Namespace (include "aigw-console.fullname" .) }}
{{- end }}

{{/*
chart label value.
*/}}
{{- define "aigw-console.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels of every object.
*/}}
{{- define "aigw-console.labels" -}}
helm.sh/chart: {{ include "aigw-console.chart" . }}
{{ include "aigw-console.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{/*
Labels that select the console Pods. They never change over upgrades.
*/}}
{{- define "aigw-console.selectorLabels" -}}
app.kubernetes.io/name: {{ include "aigw-console.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/*
The ServiceAccount the console runs as.
*/}}
{{- define "aigw-console.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "aigw-console.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/*
The image reference: repository:tag, or repository@digest when a digest is
set.
*/}}
{{- define "aigw-console.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/*
Whether a policy folder is mounted (--policy-dir).
*/}}
{{- define "aigw-console.hasPolicies" -}}
{{- if or .Values.policies.files .Values.policies.existingConfigMap }}true{{ end }}
{{- end }}

{{/*
The folder the policy ConfigMaps are mounted at.
*/}}
{{- define "aigw-console.policyDir" -}}
/etc/aigw-console/policies
{{- end }}

{{/*
The RBAC rules of the console, shared by the ClusterRole and the per-namespace
Roles. Each verb is used by the code (see README.md, "RBAC"):

- list, watch: the shared informers (app/cluster) that serve every read and
  turn /readyz ready once synced (client-go streams the initial list with a
  watch and falls back to list where the API server cannot);
- get: live reads of the write path (If-Match preconditions, dry-run diffs,
  server-side apply's read of the current object);
- create, patch: server-side apply (PATCH; creating an object through apply
  is also authorized as create), dry-run included;
- delete: deleting a provider's or route's objects.

No update, deletecollection, or wildcard. The security issue (authentication
and per-user authorization) will add, as separate cluster-scoped rules:
impersonate on users, groups and serviceaccounts; create on
authentication.k8s.io tokenreviews and authorization.k8s.io
subjectaccessreviews.
*/}}
{{- define "aigw-console.rules" -}}
- apiGroups: ["aigateway.envoyproxy.io"]
  resources: ["aigatewayroutes", "aiservicebackends", "backendsecuritypolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["gateway.envoyproxy.io"]
  resources: ["backends"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
- apiGroups: ["gateway.networking.k8s.io"]
  resources: ["backendtlspolicies"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
# Secrets: the provider credentials the console writes, and the key names and
# fingerprints it shows (the informer drops every value on arrival). RBAC
# cannot narrow list/watch to some Secrets: use rbac.namespaced to bound it.
- apiGroups: [""]
  resources: ["secrets"]
  verbs: ["get", "list", "watch", "create", "patch", "delete"]
{{- if .Values.console.audit.events }}
# Audit: one Event per audit record, on the object it is about.
- apiGroups: [""]
  resources: ["events"]
  verbs: ["create"]
{{- end }}
{{- end }}

{{/*
The WebSocket flags of the values set in console.websocket; a null value is
left out so the console's default applies. Integers go through int64: Helm
reads numbers as float64 and would print 1000000 as 1e+06.
*/}}
{{- define "aigw-console.websocketArgs" -}}
{{- $ws := .Values.console.websocket }}
{{- $ints := list (list "history" "ws-history") (list "queueLength" "ws-queue-length") (list "maxConnections" "ws-max-connections") (list "maxConnectionsPerClient" "ws-max-connections-per-client") (list "maxSubscriptions" "ws-max-subscriptions") (list "maxMessageBytes" "ws-max-message-bytes") }}
{{- range $ints }}
{{- $v := index $ws (index . 0) }}
{{- if not (kindIs "invalid" $v) }}
- --{{ index . 1 }}={{ int64 $v }}
{{- end }}
{{- end }}
{{- with $ws.allowedOrigins }}
- --ws-allowed-origins={{ join "," . }}
{{- end }}
{{- $durations := list (list "pingInterval" "ws-ping-interval") (list "pongTimeout" "ws-pong-timeout") (list "writeTimeout" "ws-write-timeout") (list "idleTimeout" "ws-idle-timeout") (list "recheckInterval" "ws-recheck-interval") }}
{{- range $durations }}
{{- $v := index $ws (index . 0) }}
{{- if not (kindIs "invalid" $v) }}
- --{{ index . 1 }}={{ $v }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The flags of GitOps mode. Credentials are files of the mounted Secrets
(under /etc/aigw-console/gitops), never flag values.
*/}}
{{- define "aigw-console.gitopsArgs" -}}
{{- if eq .Values.console.mode "gitops" }}
{{- $g := .Values.console.gitops }}
- --gitops-url={{ $g.url }}
- --gitops-branch={{ $g.branch }}
- --gitops-path={{ $g.path }}
- --gitops-cache-dir=/var/cache/aigw-console/gitops
{{- if eq $g.auth "basic" }}
{{- with $g.username }}
- --gitops-username={{ . }}
{{- end }}
- --gitops-password-file=/etc/aigw-console/gitops/git/password
{{- else if eq $g.auth "bearer" }}
- --gitops-bearer-token-file=/etc/aigw-console/gitops/git/bearerToken
{{- else if eq $g.auth "ssh" }}
- --gitops-ssh-key-file=/etc/aigw-console/gitops/git/identity
- --gitops-known-hosts-file=/etc/aigw-console/gitops/git/known_hosts
{{- end }}
{{- range $g.ageRecipients }}
- --gitops-age-recipient={{ . }}
{{- end }}
{{- if $g.ageIdentitySecret }}
- --gitops-age-identity-file=/etc/aigw-console/gitops/age/age.agekey
{{- end }}
- {{ printf "--gitops-author-name=%s" $g.author.name | quote }}
- {{ printf "--gitops-author-email=%s" $g.author.email | quote }}
- --gitops-flow={{ $g.flow }}
{{- if $g.allowFlowOverride }}
- --gitops-allow-flow-override
{{- end }}
{{- with $g.forge.kind }}
- --gitops-forge={{ . }}
{{- with $g.forge.url }}
- --gitops-forge-url={{ . }}
{{- end }}
- --gitops-forge-repo={{ $g.forge.repo }}
- --gitops-forge-token-file=/etc/aigw-console/gitops/forge/token
{{- end }}
{{- with $g.sync }}
{{- with .fluxKustomization }}
- --sync-flux-kustomization={{ . }}
{{- end }}
{{- if not (kindIs "invalid" .grace) }}
- --sync-grace={{ .grace }}
{{- end }}
{{- if not (kindIs "invalid" .interval) }}
- --sync-interval={{ .interval }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The authorization flags of the values set in console.authorization; a null
value is left out so the console's default applies.
*/}}
{{- define "aigw-console.authorizationArgs" -}}
{{- $a := .Values.console.authorization }}
{{- range (list (list "cacheSize" "authz-cache-size") (list "impersonationCacheSize" "impersonation-cache-size")) }}
{{- $v := index $a (index . 0) }}
{{- if not (kindIs "invalid" $v) }}
- --{{ index . 1 }}={{ int64 $v }}
{{- end }}
{{- end }}
{{- range (list (list "cacheTTL" "authz-cache-ttl") (list "impersonationCacheTTL" "impersonation-cache-ttl")) }}
{{- $v := index $a (index . 0) }}
{{- if not (kindIs "invalid" $v) }}
- --{{ index . 1 }}={{ $v }}
{{- end }}
{{- end }}
{{- end }}

{{/*
The cluster-scoped rules of authorization through the cluster's RBAC:
impersonating the caller for writes, and SubjectAccessReviews (and the
TokenReviews of authentication). Impersonation and reviews are not
namespaced, so these are in a ClusterRole even with rbac.namespaced.
*/}}
{{- define "aigw-console.authRules" -}}
- apiGroups: [""]
  resources: ["users", "groups", "serviceaccounts"]
  verbs: ["impersonate"]
- apiGroups: ["authentication.k8s.io"]
  resources:
    - uids
    {{- range .Values.rbac.impersonateUserExtras }}
    - userextras/{{ . }}
    {{- end }}
  verbs: ["impersonate"]
- apiGroups: ["authorization.k8s.io"]
  resources: ["subjectaccessreviews"]
  verbs: ["create"]
- apiGroups: ["authentication.k8s.io"]
  resources: ["tokenreviews"]
  verbs: ["create"]
{{- end }}
