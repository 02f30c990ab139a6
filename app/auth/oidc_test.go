package auth

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

func TestOIDCClaimsMapLikeTheAPIServer(t *testing.T) {
	claims := map[string]any{"sub": "1234", "email": "jane@example.com", "email_verified": true, "groups": []any{"eng", "ops"}, "team": "a"}
	cases := []struct {
		name       string
		opts       OIDCOptions
		user       string
		groups     string
		err        string
		claimsEdit func(map[string]any)
	}{
		{name: "sub gets the issuer prefix by default", opts: OIDCOptions{}, user: "https://idp.example.com#1234", groups: "system:authenticated"},
		{name: "email gets no prefix by default", opts: OIDCOptions{UsernameClaim: "email"}, user: "jane@example.com", groups: "system:authenticated"},
		{name: "configured prefixes", opts: OIDCOptions{UsernameClaim: "email", UsernamePrefix: "oidc:", GroupsClaim: "groups", GroupsPrefix: "oidc:"},
			user: "oidc:jane@example.com", groups: "oidc:eng,oidc:ops,system:authenticated"},
		{name: "- means no prefix", opts: OIDCOptions{UsernamePrefix: "-", GroupsClaim: "team"}, user: "1234", groups: "a,system:authenticated"},
		{name: "a missing username claim", opts: OIDCOptions{UsernameClaim: "preferred_username"}, err: `claim "preferred_username" is missing`},
		{name: "an unverified email", opts: OIDCOptions{UsernameClaim: "email"}, err: "email_verified is false",
			claimsEdit: func(c map[string]any) { c["email_verified"] = false }},
		{name: "groups of the wrong type", opts: OIDCOptions{GroupsClaim: "groups"}, err: "neither a string nor a list",
			claimsEdit: func(c map[string]any) { c["groups"] = 7.0 }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.opts.IssuerURL, tc.opts.ClientID = "https://idp.example.com", "console"
			o, err := NewOIDC(tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			c := map[string]any{}
			for k, v := range claims {
				c[k] = v
			}
			if tc.claimsEdit != nil {
				tc.claimsEdit(c)
			}
			u, err := o.user(c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("want %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil || u.Name != tc.user || strings.Join(u.Groups, ",") != tc.groups || u.UID != "1234" {
				t.Errorf("got %+v %v, want %s %s", u, err, tc.user, tc.groups)
			}
		})
	}
}

func TestOIDCVerifiesAgainstARealProvider(t *testing.T) {
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	o, err := NewOIDC(OIDCOptions{IssuerURL: m.Issuer(), ClientID: m.ClientID, UsernamePrefix: "-"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	sign := func(iss, aud string, exp time.Time) string {
		t.Helper()
		tok, err := m.Keypair.SignJWT(jwt.RegisteredClaims{Issuer: iss, Audience: jwt.ClaimStrings{aud}, Subject: "u1",
			IssuedAt: jwt.NewNumericDate(time.Now()), ExpiresAt: jwt.NewNumericDate(exp)})
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	exp := time.Now().Add(time.Minute).Truncate(time.Second)
	if u, err := o.AuthenticateToken(ctx, sign(m.Issuer(), m.ClientID, exp)); err != nil || u.Name != "u1" || !u.ExpiresAt.Equal(exp) {
		t.Errorf("valid token: %+v %v; want u1 expiring at %s", u, err, exp)
	}
	for name, tok := range map[string]string{
		"another issuer": sign("https://other.example.com", m.ClientID, time.Now().Add(time.Minute)),
		"not a JWT":      "abc.def",
		"garbage":        "a.b.c",
	} {
		if _, err := o.AuthenticateToken(ctx, tok); !errors.Is(err, ErrUnrecognized) {
			t.Errorf("%s: want ErrUnrecognized, got %v", name, err)
		}
	}
	if _, err := o.AuthenticateToken(ctx, sign(m.Issuer(), "someone-else", time.Now().Add(time.Minute))); err == nil || !strings.Contains(err.Error(), "audience") {
		t.Errorf("wrong audience: %v", err)
	}
	if _, err := o.AuthenticateToken(ctx, sign(m.Issuer(), m.ClientID, time.Now().Add(-time.Minute))); err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("expired: %v", err)
	}
}

func TestOIDCIssuerDownIsUnavailableAndRetried(t *testing.T) {
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	// An issuer URL on a port nothing listens on yet.
	o, err := NewOIDC(OIDCOptions{IssuerURL: "http://127.0.0.1:1/oidc", ClientID: m.ClientID})
	if err != nil {
		t.Fatal(err)
	}
	tok, err := m.Keypair.SignJWT(jwt.RegisteredClaims{Issuer: "http://127.0.0.1:1/oidc", Audience: jwt.ClaimStrings{m.ClientID}, Subject: "u1",
		ExpiresAt: jwt.NewNumericDate(time.Now().Add(time.Minute))})
	if err != nil {
		t.Fatal(err)
	}
	var ue *UnavailableError
	if _, err := o.AuthenticateToken(context.Background(), tok); !errors.As(err, &ue) {
		t.Fatalf("want UnavailableError, got %v", err)
	}
	if o.verifier != nil {
		t.Error("a failed discovery was kept")
	}
}
