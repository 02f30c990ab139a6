package app

import (
	"strings"
	"testing"
)

func TestAuthConfigValidate(t *testing.T) {
	cases := []struct {
		name   string
		cfg    AuthConfig
		listen string
		want   string // "" = valid
	}{
		{"the default", AuthConfig{}, "0.0.0.0:8080", ""},
		{"disabled on loopback", AuthConfig{Disabled: true}, "127.0.0.1:8080", ""},
		{"disabled on ::1", AuthConfig{Disabled: true}, "[::1]:0", ""},
		{"disabled on localhost", AuthConfig{Disabled: true}, "localhost:8080", ""},
		{"disabled on every address", AuthConfig{Disabled: true}, ":8080", "--auth-disabled refuses to listen"},
		{"disabled on a public address", AuthConfig{Disabled: true}, "0.0.0.0:8080", "--auth-disabled refuses to listen"},
		{"proxy CIDRs and addresses", AuthConfig{ProxyCIDRs: []string{"10.0.0.0/8", "192.0.2.7", "fd00::/64"}}, ":8080", ""},
		{"a bad proxy CIDR", AuthConfig{ProxyCIDRs: []string{"10.0.0.0/33"}}, ":8080", "--auth-proxy-cidrs"},
		{"an issuer without a client ID", AuthConfig{OIDC: OIDCConfig{IssuerURL: "https://login.example.com"}}, ":8080", "go together"},
		{"a client ID without an issuer", AuthConfig{OIDC: OIDCConfig{ClientID: "c"}}, ":8080", "go together"},
		{"a plain-http issuer", AuthConfig{OIDC: OIDCConfig{IssuerURL: "http://login.example.com", ClientID: "c"}}, ":8080", "must be https"},
		{"a plain-http issuer on loopback", AuthConfig{OIDC: OIDCConfig{IssuerURL: "http://127.0.0.1:5556/oidc", ClientID: "c"}}, ":8080", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.validate(tc.listen)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("want valid, got %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("want an error containing %q, got %v", tc.want, err)
			}
		})
	}
}
