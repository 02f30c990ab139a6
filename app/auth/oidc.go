package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
)

// OIDCOptions configure NewOIDC, with the meaning of the Kubernetes API
// server's --oidc-* flags.
type OIDCOptions struct {
	// IssuerURL is the issuer (https://...); tokens whose iss differs are
	// left to the next authenticator. Required.
	IssuerURL string
	// ClientID is the audience a token must carry. Required.
	ClientID string
	// UsernameClaim is the claim that names the user. Default: "sub".
	UsernameClaim string
	// UsernamePrefix is put before the user name. Default: IssuerURL + "#"
	// unless UsernameClaim is "email"; "-" means no prefix.
	UsernamePrefix string
	// GroupsClaim is the claim holding the groups (a string or a list of
	// strings). Default: none, no groups.
	GroupsClaim string
	// GroupsPrefix is put before every group. Default: none.
	GroupsPrefix string
	// CAFile is a PEM bundle that signs the issuer's certificate. Default:
	// the system's roots.
	CAFile string
	// Now is the clock tokens are checked against. Default: time.Now.
	Now func() time.Time
}

// OIDC checks OpenID Connect ID tokens (and JWT access tokens) signed by
// one issuer for one audience. Discovery happens at the first token, and
// again after a failure, so that the console starts while the issuer is
// down.
type OIDC struct {
	opts   OIDCOptions
	client *http.Client

	mu       sync.Mutex
	verifier *oidc.IDTokenVerifier
}

var _ TokenAuthenticator = (*OIDC)(nil)

// NewOIDC returns an OIDC authenticator; it fails on a missing issuer or
// client ID or an unreadable CA file.
func NewOIDC(opts OIDCOptions) (*OIDC, error) {
	if opts.IssuerURL == "" {
		return nil, errors.New("oidc: issuer URL is required")
	}
	if opts.ClientID == "" {
		return nil, errors.New("oidc: client ID is required")
	}
	if opts.UsernameClaim == "" {
		opts.UsernameClaim = "sub"
	}
	switch {
	case opts.UsernamePrefix == "-":
		opts.UsernamePrefix = ""
	case opts.UsernamePrefix == "" && opts.UsernameClaim != "email":
		opts.UsernamePrefix = opts.IssuerURL + "#"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	client := &http.Client{Timeout: 10 * time.Second}
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("oidc: CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("oidc: CA file %s holds no PEM certificate", opts.CAFile)
		}
		client.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	return &OIDC{opts: opts, client: client}, nil
}

// AuthenticateToken implements TokenAuthenticator.
func (o *OIDC) AuthenticateToken(ctx context.Context, token string) (User, error) {
	if iss, ok := unverifiedIssuer(token); !ok || iss != o.opts.IssuerURL {
		return User{}, ErrUnrecognized
	}
	v, err := o.verifierFor(ctx)
	if err != nil {
		return User{}, &UnavailableError{Authenticator: "oidc", Err: err}
	}
	idt, err := v.Verify(ctx, token)
	if err != nil {
		return User{}, err
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return User{}, fmt.Errorf("oidc: claims: %w", err)
	}
	u, err := o.user(claims)
	if err != nil {
		return User{}, err
	}
	u.ExpiresAt = idt.Expiry
	return u, nil
}

// user maps verified claims to a User the way the API server does.
func (o *OIDC) user(claims map[string]any) (User, error) {
	name, ok := claims[o.opts.UsernameClaim].(string)
	if !ok || name == "" {
		return User{}, fmt.Errorf("oidc: claim %q is missing or not a string", o.opts.UsernameClaim)
	}
	if o.opts.UsernameClaim == "email" {
		if verified, present := claims["email_verified"]; present {
			if b, _ := verified.(bool); !b {
				return User{}, errors.New("oidc: email_verified is false")
			}
		}
	}
	u := User{Name: o.opts.UsernamePrefix + name}
	if sub, _ := claims["sub"].(string); sub != "" {
		u.UID = sub
	}
	if o.opts.GroupsClaim != "" {
		switch g := claims[o.opts.GroupsClaim].(type) {
		case nil:
		case string:
			u.Groups = append(u.Groups, o.opts.GroupsPrefix+g)
		case []any:
			for _, v := range g {
				s, ok := v.(string)
				if !ok {
					return User{}, fmt.Errorf("oidc: claim %q holds a non-string", o.opts.GroupsClaim)
				}
				u.Groups = append(u.Groups, o.opts.GroupsPrefix+s)
			}
		default:
			return User{}, fmt.Errorf("oidc: claim %q is neither a string nor a list of strings", o.opts.GroupsClaim)
		}
	}
	u.Groups = withAuthenticated(u.Groups)
	return u, nil
}

// verifierFor discovers the issuer once; a failed discovery is tried again
// at the next token.
func (o *OIDC) verifierFor(ctx context.Context) (*oidc.IDTokenVerifier, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.verifier != nil {
		return o.verifier, nil
	}
	dctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, o.client), 10*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(dctx, o.opts.IssuerURL)
	if err != nil {
		return nil, fmt.Errorf("discovery of %s: %w", o.opts.IssuerURL, err)
	}
	// The key set outlives this request: it fetches keys with a context of
	// its own that carries the client.
	var meta struct {
		JWKSURL string `json:"jwks_uri"`
	}
	if err := p.Claims(&meta); err != nil || meta.JWKSURL == "" {
		return nil, fmt.Errorf("discovery of %s: no jwks_uri", o.opts.IssuerURL)
	}
	keys := oidc.NewRemoteKeySet(oidc.ClientContext(context.Background(), o.client), meta.JWKSURL)
	o.verifier = oidc.NewVerifier(o.opts.IssuerURL, keys, &oidc.Config{ClientID: o.opts.ClientID, Now: o.opts.Now})
	return o.verifier, nil
}

// unverifiedIssuer reads the iss claim of a JWT without checking it, to
// tell whether the token is this issuer's at all.
func unverifiedIssuer(token string) (string, bool) {
	c, ok := unverifiedClaims(token)
	return c.Issuer, ok
}

// jwtClaims are the claims read from a token before (or without) checking
// its signature.
type jwtClaims struct {
	Issuer string `json:"iss"`
	// Expiry is exp, seconds since the epoch (0: absent).
	Expiry float64 `json:"exp"`
}

// unverifiedClaims decodes a JWT's payload without checking anything: for
// routing a token to its authenticator, and for the exp of a token the
// API server has just accepted.
func unverifiedClaims(token string) (jwtClaims, bool) {
	var c jwtClaims
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return c, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return c, false
	}
	if json.Unmarshal(payload, &c) != nil {
		return jwtClaims{}, false
	}
	return c, true
}
