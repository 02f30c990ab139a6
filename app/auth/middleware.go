package auth

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/aigw-console/aigw-console/app/clientip"
)

// Problem codes of the middleware's answers.
const (
	// CodeUnauthenticated: the request carried no credentials.
	CodeUnauthenticated = "Unauthenticated"
	// CodeInvalidCredentials: the credentials were refused.
	CodeInvalidCredentials = "InvalidCredentials"
	// CodeAuthenticationUnavailable: an authenticator could not decide.
	CodeAuthenticationUnavailable = "AuthenticationUnavailable"
	// CodeTooManyAuthenticationFailures: the client presented too many
	// refused credentials (Throttled); it may try again after Retry-After.
	CodeTooManyAuthenticationFailures = "TooManyAuthenticationFailures"
)

// Options configure Middleware. The zero value refuses every request.
type Options struct {
	// Tokens checks bearer tokens (Authorization: Bearer ...). Default:
	// none, every token is refused.
	Tokens TokenAuthenticator
	// Proxy trusts an authenticating proxy's headers from its addresses.
	// Default: no proxy is trusted.
	Proxy Proxy
	// AllowAnonymous lets a request without credentials through as
	// Anonymous() (system:anonymous, group system:unauthenticated). A
	// request with refused credentials is still 401. Default: false, 401.
	AllowAnonymous bool
	// Deferred reports a request that may come without credentials because
	// it authenticates later (a WebSocket upgrade that sends its token as
	// the first message). It passes through, marked Pending; when
	// AllowAnonymous is set it also carries Anonymous(). Default: none.
	Deferred func(c *fiber.Ctx) bool
	// Realm is the realm of WWW-Authenticate. Default: "aigw-console".
	Realm string
	// Logger receives refusals (never a token). Default: slog.Default().
	Logger *slog.Logger
}

const localPending = "aigw.auth.pending"

// Pending reports whether the middleware let c through without
// credentials because it authenticates later (Options.Deferred).
func Pending(c *fiber.Ctx) bool {
	p, _ := c.Locals(localPending).(bool)
	return p
}

// Middleware authenticates every request it sees: a trusted proxy's
// headers, else a bearer token, else anonymous when allowed. The user goes
// into c.UserContext() (FromContext). Requests that cannot be
// authenticated get 401 problem+json with WWW-Authenticate, or 503 when an
// authenticator could not decide. Register the routes that stay open
// (/healthz, /readyz, /metrics) before it.
func Middleware(opts Options) fiber.Handler {
	if opts.Realm == "" {
		opts.Realm = "aigw-console"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	challenge := `Bearer realm="` + opts.Realm + `"`
	return func(c *fiber.Ctx) error {
		if u, ok := opts.Proxy.user(c); ok {
			c.SetUserContext(NewContext(c.UserContext(), u))
			return c.Next()
		}
		token, present, err := bearerToken(c.Get(fiber.HeaderAuthorization))
		if err != nil {
			return refuse(c, http.StatusUnauthorized, CodeInvalidCredentials, err.Error(), challenge+`, error="invalid_request"`)
		}
		if !present {
			if opts.Deferred != nil && opts.Deferred(c) {
				c.Locals(localPending, true)
				if opts.AllowAnonymous {
					c.SetUserContext(NewContext(c.UserContext(), Anonymous()))
				}
				return c.Next()
			}
			if opts.AllowAnonymous {
				c.SetUserContext(NewContext(c.UserContext(), Anonymous()))
				return c.Next()
			}
			return refuse(c, http.StatusUnauthorized, CodeUnauthenticated,
				"authentication required: send Authorization: Bearer <token> (a Kubernetes or OIDC token)", challenge)
		}
		u, err := authenticate(c, opts.Tokens, token)
		if err != nil {
			var unavailable *UnavailableError
			var throttled *ThrottledError
			if errors.As(err, &throttled) {
				opts.Logger.Info("authentication throttled", "remote", clientip.Of(c), "path", c.Path())
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(throttled.RetryAfterSeconds().Seconds())))
				return refuse(c, http.StatusTooManyRequests, CodeTooManyAuthenticationFailures, throttled.Error(), "")
			}
			if errors.As(err, &unavailable) {
				opts.Logger.Error("authentication unavailable", "remote", clientip.Of(c), "path", c.Path(), "error", err)
				c.Set(fiber.HeaderRetryAfter, "5")
				return refuse(c, http.StatusServiceUnavailable, CodeAuthenticationUnavailable, "the console cannot check credentials right now; try again", "")
			}
			opts.Logger.Info("authentication refused", "remote", clientip.Of(c), "path", c.Path(), "reason", err.Error())
			return refuse(c, http.StatusUnauthorized, CodeInvalidCredentials, "the bearer token was refused: "+err.Error(), challenge+`, error="invalid_token"`)
		}
		c.SetUserContext(NewContext(c.UserContext(), u))
		return c.Next()
	}
}

func authenticate(c *fiber.Ctx, tokens TokenAuthenticator, token string) (User, error) {
	if tokens == nil {
		return User{}, errors.New("no token authenticator is configured")
	}
	u, err := tokens.AuthenticateToken(WithClient(c.UserContext(), clientip.Of(c)), token)
	if errors.Is(err, ErrUnrecognized) {
		return User{}, errors.New("no authenticator recognized the token")
	}
	return u, err
}

// bearerToken parses an Authorization header: present is false when there
// is none.
func bearerToken(header string) (token string, present bool, err error) {
	header = strings.TrimSpace(header)
	if header == "" {
		return "", false, nil
	}
	scheme, rest, _ := strings.Cut(header, " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", true, errors.New("unsupported Authorization scheme: use Bearer")
	}
	token = strings.TrimSpace(rest)
	if token == "" {
		return "", true, errors.New("empty bearer token")
	}
	return token, true, nil
}

// problem is the body of an error answer, in the shape of every other
// error of the API (app/api Problem): RFC 9457 with a code.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	Code   string `json:"code"`
}

func refuse(c *fiber.Ctx, status int, code, detail, challenge string) error {
	if challenge != "" {
		c.Set(fiber.HeaderWWWAuthenticate, challenge)
	}
	return c.Status(status).JSON(problem{
		Type: "about:blank", Title: http.StatusText(status), Status: status, Detail: detail, Code: code,
	}, "application/problem+json")
}
