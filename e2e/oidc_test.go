package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/oauth2-proxy/mockoidc"
	"golang.org/x/oauth2"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/app/stream"
)

// oidcLogin runs the authorization-code flow against the provider as a
// client would (authorize → redirect with a code → token endpoint) and
// returns the ID token.
func oidcLogin(t *testing.T, m *mockoidc.MockOIDC) string {
	t.Helper()
	cfg := m.Config()
	oc := oauth2.Config{
		ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Endpoint:    oauth2.Endpoint{AuthURL: m.AuthorizationEndpoint(), TokenURL: m.TokenEndpoint(), AuthStyle: oauth2.AuthStyleInParams},
		RedirectURL: "http://127.0.0.1/callback",
		Scopes:      []string{"openid", "email", "groups"},
	}
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(oc.AuthCodeURL("state-1", oauth2.SetAuthURLParam("nonce", "nonce-1")))
	if err != nil {
		t.Fatal(err)
	}
	_ = resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	tok, err := oc.Exchange(context.Background(), loc.Query().Get("code"))
	if err != nil {
		t.Fatalf("token exchange: %v", err)
	}
	id, _ := tok.Extra("id_token").(string)
	if id == "" {
		t.Fatal("the provider returned no id_token")
	}
	return id
}

// tamper changes the email claim of a signed token and keeps its signature.
func tamper(t *testing.T, token, email string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		t.Fatal(err)
	}
	claims["email"] = email
	raw, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

func TestOIDCTokensFromARealProvider(t *testing.T) {
	// A real OpenID provider on loopback: discovery, JWKS, authorize and
	// token endpoints, RS256-signed tokens.
	m, err := mockoidc.Run()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	clientID := m.ClientID
	ns := newNamespace(t)
	con := whoamiConsole(t, func(c *app.Config) {
		c.Auth.OIDC = app.OIDCConfig{
			IssuerURL: m.Issuer(), ClientID: clientID,
			UsernameClaim: "email", UsernamePrefix: "oidc:",
			GroupsClaim: "groups", GroupsPrefix: "oidc:",
		}
	})
	// Real RBAC for the provider's group, so that the user may act once
	// requests are authorized per user.
	crb := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "oidc-engineering-" + ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "cluster-admin"},
		Subjects:   []rbacv1.Subject{{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "oidc:engineering"}},
	}
	if err := adminClient(t).Create(context.Background(), crb); err != nil {
		t.Fatal(err)
	}
	valid := oidcLogin(t, m)
	list := con.URL + "/api/v1/providers?namespace=" + ns

	step(t, "a valid ID token is accepted, with the configured claims and prefixes", func(t *testing.T) {
		if r := call(t, "GET", list, nil, "Authorization", "Bearer "+valid); r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		got := whoami(t, con, ns, "Authorization", "Bearer "+valid)
		if want := "caller oidc:jane.doe@example.com groups oidc:design,oidc:engineering,system:authenticated"; got != want {
			t.Errorf("policy input:\n got %s\nwant %s", got, want)
		}
	})

	step(t, "the same token opens the WebSocket with the authenticate message", func(t *testing.T) {
		c := dialStreamWith(t, con, false, nil)
		c.sendJSON(stream.AuthenticateRequest{Type: stream.TypeAuthenticate, Token: valid})
		var d stream.AuthenticatedData
		if err := json.Unmarshal(c.expect(stream.TypeAuthenticated)[0].env.Data, &d); err != nil || d.User != "oidc:jane.doe@example.com" {
			t.Errorf("authenticated as %+v (%v)", d, err)
		}
	})

	refused := func(t *testing.T, token, why string) {
		t.Helper()
		r := call(t, "GET", list, nil, "Authorization", "Bearer "+token)
		p := r.problem(t)
		if r.Status != 401 || p.Code != "InvalidCredentials" || !strings.Contains(p.Detail, why) {
			t.Errorf("status %d %+v, want 401 mentioning %q", r.Status, p, why)
		}
		if !strings.Contains(r.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
			t.Errorf("WWW-Authenticate %q", r.Header.Get("WWW-Authenticate"))
		}
	}

	step(t, "a token for another audience is 401", func(t *testing.T) {
		m.ClientID = "another-client"
		other := oidcLogin(t, m)
		m.ClientID = clientID
		refused(t, other, "audience")
	})

	step(t, "an expired token is 401", func(t *testing.T) {
		m.FastForward(-2 * time.Hour) // issued two hours ago, valid for ten minutes
		old := oidcLogin(t, m)
		m.FastForward(2 * time.Hour)
		refused(t, old, "expired")
	})

	step(t, "a stream opened with a token ends when the token expires; /me shows when", func(t *testing.T) {
		const left = 4 * time.Second
		m.FastForward(-(10*time.Minute - left)) // valid for ten minutes from then
		short := oidcLogin(t, m)
		m.FastForward(10*time.Minute - left)
		opened := time.Now()
		var me struct {
			User struct {
				ExpiresAt time.Time `json:"expiresAt"`
			} `json:"user"`
		}
		r := call(t, "GET", con.URL+"/api/v1/me?namespace="+ns, nil, "Authorization", "Bearer "+short)
		r.decode(t, &me)
		if exp := me.User.ExpiresAt; exp.Before(opened) || exp.After(opened.Add(left+time.Second)) {
			t.Errorf("/me user.expiresAt %s, want about %s from %s", exp, left, opened)
		}
		c := dialStreamWith(t, con, false, http.Header{"Authorization": {"Bearer " + short}})
		c.send(subscribeReq("s", ns, "providers"))
		c.expect(stream.TypeSubscribed, stream.TypeSnapshot)
		ce := c.closeFrame(left + 10*time.Second)
		closed := time.Now()
		if ce.Code != websocket.ClosePolicyViolation || ce.Text != stream.CloseReasonExpired {
			t.Errorf("close %d %q, want 1008 %q", ce.Code, ce.Text, stream.CloseReasonExpired)
		}
		// exp has whole seconds: the token had between left-1s and left.
		if d := closed.Sub(me.User.ExpiresAt); d < -50*time.Millisecond || d > 5*time.Second {
			t.Errorf("closed %s after the token's exp, want at it", d)
		}
		t.Logf("the stream closed %s after opening, %s after the token's exp", closed.Sub(opened).Round(time.Millisecond), closed.Sub(me.User.ExpiresAt).Round(time.Millisecond))
	})

	step(t, "a tampered token is 401", func(t *testing.T) {
		refused(t, tamper(t, valid, "admin@example.com"), "signature")
	})

	step(t, "the untouched token is still accepted", func(t *testing.T) {
		if r := call(t, "GET", list, nil, "Authorization", "Bearer "+valid); r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
	})
}
