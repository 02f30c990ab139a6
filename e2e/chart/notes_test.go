package chart

import (
	"context"
	"strings"
	"testing"
)

// TestNotesSayHowToReachTheConsole renders NOTES.txt (helm install
// --dry-run=client against the test's API server) for value sets that
// change what it says, and checks that it is true to the chart: callers
// need a bearer token and act with their own RBAC, and an Ingress without
// trusted proxies is called out.
func TestNotesSayHowToReachTheConsole(t *testing.T) {
	t.Parallel()
	tok, err := env.AdminToken(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	kubeconfig, _ := tokenKubeconfig(t, tok)
	notes := func(t *testing.T, set ...string) string {
		t.Helper()
		args := []string{"install", "notes", chartDir(t), "--dry-run=client", "--kubeconfig", kubeconfig, "--namespace", "aigw"}
		for _, s := range set {
			args = append(args, "--set-json", s)
		}
		out, stderr, err := helm(t, args...)
		if err != nil {
			t.Fatalf("helm %v: %v\n%s", args, err, stderr)
		}
		_, n, ok := strings.Cut(out, "\nNOTES:\n")
		if !ok {
			t.Fatalf("no NOTES in:\n%s", out)
		}
		return n
	}
	for _, tc := range []struct {
		name        string
		set         []string
		want, never []string
	}{
		{"defaults", nil,
			[]string{"needs a bearer token", "checked with TokenReview", "their own RBAC", "GET /api/v1/me", "Authorization: Bearer"},
			[]string{"no authentication", "acts with its\nServiceAccount", "OIDC", "trustedProxies"}},
		{"OIDC, a proxy and anonymous access",
			[]string{`auth.oidc={"issuerURL":"https://login.example.com","clientID":"c"}`, `auth.proxy.cidrs=["10.8.0.0/24"]`, `auth.allowAnonymous=true`},
			[]string{"an OIDC token from https://login.example.com", "headers from 10.8.0.0/24", "act as system:anonymous"}, nil},
		{"an Ingress without trusted proxies", []string{`ingress.enabled=true`, `ingress.hosts=[{"host":"c.example.com","paths":[{"path":"/"}]}]`},
			[]string{"exposed through an Ingress", "set console.trustedProxies.cidrs"}, nil},
		{"an Ingress with trusted proxies", []string{`ingress.enabled=true`, `ingress.hosts=[{"host":"c.example.com","paths":[{"path":"/"}]}]`, `console.trustedProxies.cidrs=["10.0.0.0/8"]`},
			[]string{"X-Forwarded-For set by 10.0.0.0/8"}, []string{"set console.trustedProxies.cidrs"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := notes(t, tc.set...)
			for _, w := range tc.want {
				if !strings.Contains(n, w) {
					t.Errorf("NOTES lack %q:\n%s", w, n)
				}
			}
			for _, w := range tc.never {
				if strings.Contains(n, w) {
					t.Errorf("NOTES say %q:\n%s", w, n)
				}
			}
		})
	}
}
