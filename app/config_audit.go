package app

import (
	"io"
	"time"
)

// AuditConfig configures the audit trail (package audit).
type AuditConfig struct {
	// LogPath is the file the JSON-lines records are appended to; "-" is
	// standard output (the logs go to standard error). Default: "-".
	LogPath string
	// Log, when set, receives the records instead of LogPath (tests).
	Log io.Writer
	// DisableEvents turns off the Kubernetes Event per record. Default:
	// Events on.
	DisableEvents bool
	// EventQueueLength bounds the Events waiting to be created; past it
	// Events are dropped, logged and counted. Default: 1,000.
	EventQueueLength int
}

// HardeningConfig configures the HTTP safeguards (package hardening). A
// zero field turns its safeguard off, except where a default is given.
type HardeningConfig struct {
	// RateLimitQPS is each user's sustained requests per second under
	// /api/v1; 0 turns the rate limit off.
	RateLimitQPS float64
	// RateLimitBurst is how many requests a user may send at once.
	// Default: 2×RateLimitQPS.
	RateLimitBurst int
	// RequestTimeout bounds one request (504 past it); the WebSocket stream
	// is exempt. 0: no bound.
	RequestTimeout time.Duration
	// CORSAllowedOrigins are the browser origins allowed to call the API
	// cross-origin ("*": any). Default: none, same origin only. The
	// WebSocket Origin check follows it unless WebSocket.AllowedOrigins is
	// set.
	CORSAllowedOrigins []string
	// TrustedProxyCIDRs are the reverse proxies (an ingress controller, a
	// load balancer) whose X-Forwarded-For names the client: the audit
	// source IP, the limits of unauthenticated clients and the refused-token
	// throttle then use the client's address, not the proxy's (package
	// clientip). Default: none, the TCP peer is the client.
	TrustedProxyCIDRs []string
	// TLSCertFile and TLSKeyFile, both or neither, make the console serve
	// HTTPS; the pair is reloaded at the next handshake after it changes.
	TLSCertFile string
	TLSKeyFile  string
}
