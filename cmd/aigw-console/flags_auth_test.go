package main

import (
	"bytes"
	"context"
	"flag"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestAuthFlagsAndEnvironment(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o options
	o.register(fs)
	if err := fs.Parse([]string{"--oidc-issuer-url=https://login.example.com", "--allow-anonymous"}); err != nil {
		t.Fatal(err)
	}
	err := applyEnv(fs, env(map[string]string{
		"AIGW_OIDC_ISSUER_URL":          "https://ignored.example.com",
		"AIGW_OIDC_CLIENT_ID":           "console",
		"AIGW_OIDC_USERNAME_PREFIX":     "oidc:",
		"AIGW_OIDC_GROUPS_CLAIM":        "groups",
		"AIGW_AUTH_PROXY_CIDRS":         "10.0.0.0/8, 192.0.2.7/32",
		"AIGW_TOKEN_REVIEW_CACHE_TTL":   "5s",
		"AIGW_AUTH_FAILURES_PER_MINUTE": "12",
	}))
	if err != nil {
		t.Fatal(err)
	}
	a := o.auth
	if a.OIDC.IssuerURL != "https://login.example.com" || a.OIDC.ClientID != "console" || a.OIDC.UsernamePrefix != "oidc:" ||
		a.OIDC.GroupsClaim != "groups" || a.OIDC.UsernameClaim != "sub" || !a.AllowAnonymous || a.Disabled || a.TokenReviewTTL != 5*time.Second || a.FailuresPerMinute != 12 {
		t.Errorf("auth config: %+v", a)
	}
	if got := splitList(o.authProxies); !slices.Equal(got, []string{"10.0.0.0/8", "192.0.2.7/32"}) {
		t.Errorf("proxy CIDRs: %v", got)
	}
}

func TestAuthDisabledIsRefusedOffLoopback(t *testing.T) {
	kc := unreachableKubeconfig(t, t.TempDir())
	var out bytes.Buffer
	err := run(context.Background(), []string{"--kubeconfig=" + kc, "--auth-disabled", "--listen-address=0.0.0.0:0"}, &out, &out, env(nil))
	if err == nil || !strings.Contains(err.Error(), "--auth-disabled refuses to listen") {
		t.Fatalf("got %v, want the refusal", err)
	}
}
