package main

import (
	"flag"

	"github.com/aigw-console/aigw-console/app/auth"
)

// registerAuth registers authentication: Kubernetes bearer tokens
// (TokenReview) always, OIDC and an authenticating proxy when configured.
func (o *options) registerAuth(fs *flag.FlagSet) {
	fs.BoolVar(&o.auth.Disabled, "auth-disabled", false, "DEVELOPMENT ONLY: serve every request with the console's own identity; refused unless --listen-address is a loopback address")
	fs.BoolVar(&o.auth.AllowAnonymous, "allow-anonymous", false, "serve requests without credentials as system:anonymous (group system:unauthenticated); refused credentials are still 401")
	fs.StringVar(&o.authProxies, "auth-proxy-cidrs", "", "comma-separated CIDRs of authenticating proxies whose X-Remote-User / X-Remote-Group / X-Remote-Extra-* headers are trusted; empty: none")
	fs.DurationVar(&o.auth.TokenReviewTTL, "token-review-cache-ttl", auth.DefaultTokenReviewTTL, "how long an accepted Kubernetes bearer token is cached (under its SHA-256)")
	fs.IntVar(&o.auth.FailuresPerMinute, "auth-failures-per-minute", auth.DefaultFailuresPerMinute, "refused bearer tokens one client address may present per minute (all at once, then evenly) before new tokens from it are not checked and it gets 429 (tokens accepted within the hour still are); 0: no limit")
	fs.StringVar(&o.auth.OIDC.IssuerURL, "oidc-issuer-url", "", "OpenID Connect issuer (https); empty: OIDC tokens are not accepted")
	fs.StringVar(&o.auth.OIDC.ClientID, "oidc-client-id", "", "audience OIDC tokens must carry; required with --oidc-issuer-url")
	fs.StringVar(&o.auth.OIDC.UsernameClaim, "oidc-username-claim", "sub", "OIDC claim that names the user")
	fs.StringVar(&o.auth.OIDC.UsernamePrefix, "oidc-username-prefix", "", `prefix of OIDC user names; empty: "<issuer>#" unless the claim is email; "-": none`)
	fs.StringVar(&o.auth.OIDC.GroupsClaim, "oidc-groups-claim", "", "OIDC claim holding the groups; empty: no groups")
	fs.StringVar(&o.auth.OIDC.GroupsPrefix, "oidc-groups-prefix", "", "prefix of OIDC group names")
	fs.StringVar(&o.auth.OIDC.CAFile, "oidc-ca-file", "", "PEM bundle that signs the OIDC issuer's certificate; empty: system roots")
}
