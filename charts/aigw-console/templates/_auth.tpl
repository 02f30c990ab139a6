{{/*
The authentication flags of the values set in auth. A null or empty value is
left out so the console's default applies.
*/}}
{{- define "aigw-console.authArgs" -}}
{{- $a := .Values.auth }}
{{- if $a.allowAnonymous }}
- --allow-anonymous
{{- end }}
{{- if not (kindIs "invalid" $a.tokenReviewCacheTTL) }}
- --token-review-cache-ttl={{ $a.tokenReviewCacheTTL }}
{{- end }}
{{- if not (kindIs "invalid" $a.failuresPerMinute) }}
- --auth-failures-per-minute={{ $a.failuresPerMinute }}
{{- end }}
{{- with $a.proxy.cidrs }}
- --auth-proxy-cidrs={{ join "," . }}
{{- end }}
{{- with $a.oidc }}
{{- if .issuerURL }}
- {{ printf "--oidc-issuer-url=%s" .issuerURL | quote }}
- {{ printf "--oidc-client-id=%s" .clientID | quote }}
{{- with .usernameClaim }}
- {{ printf "--oidc-username-claim=%s" . | quote }}
{{- end }}
{{- with .usernamePrefix }}
- {{ printf "--oidc-username-prefix=%s" . | quote }}
{{- end }}
{{- with .groupsClaim }}
- {{ printf "--oidc-groups-claim=%s" . | quote }}
{{- end }}
{{- with .groupsPrefix }}
- {{ printf "--oidc-groups-prefix=%s" . | quote }}
{{- end }}
{{- if .caConfigMap }}
- --oidc-ca-file=/etc/aigw-console/oidc-ca/ca.crt
{{- end }}
{{- end }}
{{- end }}
{{- end }}
