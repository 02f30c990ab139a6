package main

import (
	"flag"
	"strings"
	"testing"
	"time"
)

func TestAuditAndHardeningFlagsFromTheEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o options
	o.register(fs)
	if err := fs.Parse([]string{"--rate-limit-burst=7"}); err != nil {
		t.Fatal(err)
	}
	if o.audit.LogPath != "-" || o.hardening.RateLimitQPS != 20 || o.hardening.RequestTimeout != time.Minute {
		t.Errorf("defaults: %+v %+v", o.audit, o.hardening)
	}
	err := applyEnv(fs, env(map[string]string{
		"AIGW_AUDIT_LOG_PATH":           "/var/log/audit.jsonl",
		"AIGW_RATE_LIMIT_QPS":           "2.5",
		"AIGW_RATE_LIMIT_BURST":         "99",
		"AIGW_REQUEST_TIMEOUT":          "5s",
		"AIGW_CORS_ALLOWED_ORIGINS":     "https://a.example, https://b.example",
		"AIGW_TLS_CERT_FILE":            "/tls/tls.crt",
		"AIGW_TLS_KEY_FILE":             "/tls/tls.key",
		"AIGW_AUDIT_DISABLE_EVENTS":     "true",
		"AIGW_AUDIT_EVENT_QUEUE_LENGTH": "5",
		"AIGW_TRUSTED_PROXY_CIDRS":      "10.0.0.0/8,fd00::/8",
	}))
	if err != nil {
		t.Fatal(err)
	}
	h := o.hardening
	if o.audit.LogPath != "/var/log/audit.jsonl" || !o.audit.DisableEvents || o.audit.EventQueueLength != 5 ||
		h.RateLimitQPS != 2.5 || h.RateLimitBurst != 7 || h.RequestTimeout != 5*time.Second ||
		h.TLSCertFile != "/tls/tls.crt" || h.TLSKeyFile != "/tls/tls.key" {
		t.Errorf("from the environment: %+v %+v", o.audit, h)
	}
	if got := strings.Join(splitList(o.corsOrigins), "|"); got != "https://a.example|https://b.example" {
		t.Errorf("CORS origins %q", got)
	}
	if got := strings.Join(splitList(o.proxyCIDRs), "|"); got != "10.0.0.0/8|fd00::/8" {
		t.Errorf("trusted proxies %q", got)
	}
}
