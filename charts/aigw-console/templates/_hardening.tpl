{{/*
Flags of the audit trail and the HTTP safeguards (console.audit,
console.rateLimit, console.requestTimeout, console.cors,
console.trustedProxies, tls). A null value is
left out so the console's default applies.
*/}}
{{- define "aigw-console.hardeningArgs" -}}
{{- $c := .Values.console }}
{{- if not $c.audit.events }}
- --audit-disable-events
{{- end }}
{{- if not (kindIs "invalid" $c.audit.eventQueueLength) }}
- --audit-event-queue-length={{ int64 $c.audit.eventQueueLength }}
{{- end }}
{{- if not (kindIs "invalid" $c.rateLimit.qps) }}
- --rate-limit-qps={{ $c.rateLimit.qps }}
{{- end }}
{{- if not (kindIs "invalid" $c.rateLimit.burst) }}
- --rate-limit-burst={{ int64 $c.rateLimit.burst }}
{{- end }}
{{- if not (kindIs "invalid" $c.requestTimeout) }}
- --request-timeout={{ $c.requestTimeout }}
{{- end }}
{{- with $c.cors.allowedOrigins }}
- --cors-allowed-origins={{ join "," . }}
{{- end }}
{{- with $c.trustedProxies.cidrs }}
- --trusted-proxy-cidrs={{ join "," . }}
{{- end }}
{{- if .Values.tls.enabled }}
- --tls-cert-file={{ include "aigw-console.tlsDir" . }}/tls.crt
- --tls-key-file={{ include "aigw-console.tlsDir" . }}/tls.key
{{- end }}
{{- end }}

{{/* Where the TLS Secret is mounted. */}}
{{- define "aigw-console.tlsDir" -}}
/etc/aigw-console/tls
{{- end }}
