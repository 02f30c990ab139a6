package app

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/hardening"
)

// AuthConfig configures authentication (package auth). The zero value
// authenticates Kubernetes bearer tokens with TokenReview and refuses
// everything else.
type AuthConfig struct {
	// Disabled turns authentication off: every request is served with the
	// console's own identity. For development only: Run refuses it unless
	// ListenAddress is a loopback address, and logs a warning.
	Disabled bool
	// AllowAnonymous serves requests without credentials as
	// system:anonymous (group system:unauthenticated).
	AllowAnonymous bool
	// ProxyCIDRs are the addresses of authenticating proxies whose
	// X-Remote-User / X-Remote-Group / X-Remote-Extra-* headers are
	// trusted ("10.0.0.0/8", "192.0.2.7/32"). Default: none.
	ProxyCIDRs []string
	// TokenReviewTTL is how long an accepted Kubernetes token is cached
	// [10s].
	TokenReviewTTL time.Duration
	// FailuresPerMinute is how many refused bearer tokens one client
	// address may present per minute (all at once, then one every
	// 60/FailuresPerMinute seconds) before new tokens from it are no
	// longer checked and it gets 429 with Retry-After (tokens accepted
	// within the hour still are). 0 turns the throttle off.
	FailuresPerMinute int
	// OIDC configures OpenID Connect tokens; off without an IssuerURL.
	OIDC OIDCConfig
}

// OIDCConfig configures OpenID Connect tokens, as the API server's
// --oidc-* flags.
type OIDCConfig struct {
	// IssuerURL is the issuer; empty turns OIDC off.
	IssuerURL string
	// ClientID is the audience tokens must carry. Required with IssuerURL.
	ClientID string
	// UsernameClaim names the user [sub].
	UsernameClaim string
	// UsernamePrefix goes before the user name [IssuerURL# unless the
	// claim is email; "-": none].
	UsernamePrefix string
	// GroupsClaim holds the groups [none].
	GroupsClaim string
	// GroupsPrefix goes before every group [none].
	GroupsPrefix string
	// CAFile verifies the issuer's certificate [system roots].
	CAFile string
}

// authentication is what Run builds from AuthConfig.
type authentication struct {
	// middleware authenticates REST requests and WebSocket upgrades; nil
	// when authentication is disabled.
	middleware fiber.Handler
	// tokens checks the token of a WebSocket authenticate message.
	tokens auth.TokenAuthenticator
}

func (c *AuthConfig) validate(listen string) error {
	if c.Disabled {
		host, _, err := net.SplitHostPort(listen)
		if err != nil {
			return fmt.Errorf("config: listen address %q: %w", listen, err)
		}
		if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return fmt.Errorf("config: --auth-disabled refuses to listen on %q: authentication may be off only on a loopback address (127.0.0.1, ::1, localhost)", listen)
		}
	}
	if _, err := c.proxySources(); err != nil {
		return err
	}
	if c.FailuresPerMinute < 0 {
		return fmt.Errorf("config: --auth-failures-per-minute %d: give 0 (off) or more", c.FailuresPerMinute)
	}
	if (c.OIDC.IssuerURL == "") != (c.OIDC.ClientID == "") {
		return fmt.Errorf("config: --oidc-issuer-url and --oidc-client-id go together")
	}
	if c.OIDC.IssuerURL != "" && !strings.HasPrefix(c.OIDC.IssuerURL, "https://") && !isLoopbackURL(c.OIDC.IssuerURL) {
		return fmt.Errorf("config: --oidc-issuer-url %q must be https (plain http only on loopback)", c.OIDC.IssuerURL)
	}
	return nil
}

func isLoopbackURL(u string) bool {
	rest, ok := strings.CutPrefix(u, "http://")
	if !ok {
		return false
	}
	host, _, _ := strings.Cut(rest, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return host == "localhost" || ip != nil && ip.IsLoopback()
}

func (c *AuthConfig) proxySources() ([]netip.Prefix, error) {
	return parseCIDRs("--auth-proxy-cidrs", c.ProxyCIDRs)
}

// parseCIDRs parses the CIDRs (or single addresses) of flag.
func parseCIDRs(flag string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := netip.ParsePrefix(strings.TrimSpace(s))
		if err != nil {
			if a, aerr := netip.ParseAddr(strings.TrimSpace(s)); aerr == nil {
				p = netip.PrefixFrom(a, a.BitLen())
			} else {
				return nil, fmt.Errorf("config: %s: %q is not a CIDR or address", flag, s)
			}
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// newAuthentication builds the authenticators: OIDC first (it claims
// only its issuer's tokens, checked locally), then TokenReview.
func newAuthentication(cfg Config, wsPath string) (*authentication, error) {
	log := cfg.Logger
	if cfg.Auth.Disabled {
		log.Warn("AUTHENTICATION IS DISABLED: every request acts with the console's own identity. Development only; never expose this listener.",
			"listen", cfg.ListenAddress)
		return &authentication{}, nil
	}
	kc, err := kubernetes.NewForConfig(rest.CopyConfig(cfg.RestConfig))
	if err != nil {
		return nil, fmt.Errorf("tokenreview client: %w", err)
	}
	var tokens auth.Union
	if o := cfg.Auth.OIDC; o.IssuerURL != "" {
		a, err := auth.NewOIDC(auth.OIDCOptions{
			IssuerURL: o.IssuerURL, ClientID: o.ClientID,
			UsernameClaim: o.UsernameClaim, UsernamePrefix: o.UsernamePrefix,
			GroupsClaim: o.GroupsClaim, GroupsPrefix: o.GroupsPrefix, CAFile: o.CAFile,
		})
		if err != nil {
			return nil, fmt.Errorf("config: %w", err)
		}
		tokens = append(tokens, a)
	}
	tokens = append(tokens, auth.NewTokenReview(kc.AuthenticationV1().TokenReviews(), auth.TokenReviewOptions{TTL: cfg.Auth.TokenReviewTTL}))
	var checked auth.TokenAuthenticator = tokens
	if n := cfg.Auth.FailuresPerMinute; n > 0 {
		checked = auth.Throttled(tokens, hardening.NewLimiter(hardening.RateLimitOptions{QPS: float64(n) / 60, Burst: n}))
	}
	sources, err := cfg.Auth.proxySources()
	if err != nil {
		return nil, err
	}
	mw := auth.Middleware(auth.Options{
		Tokens:         checked,
		Proxy:          auth.Proxy{Sources: sources},
		AllowAnonymous: cfg.Auth.AllowAnonymous,
		Deferred:       func(c *fiber.Ctx) bool { return c.Path() == wsPath },
		Logger:         log,
	})
	log.Info("authentication", "oidc", cfg.Auth.OIDC.IssuerURL != "", "authProxies", len(sources), "anonymous", cfg.Auth.AllowAnonymous,
		"failuresPerMinute", cfg.Auth.FailuresPerMinute)
	return &authentication{middleware: mw, tokens: checked}, nil
}

// streamAuthenticate checks the token of a WebSocket authenticate message;
// nil when authentication is disabled.
func (a *authentication) streamAuthenticate() func(ctx context.Context, token string) (auth.User, error) {
	if a.tokens == nil {
		return nil
	}
	return a.tokens.AuthenticateToken
}
