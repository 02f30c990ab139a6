// Package hardening holds the console's HTTP safeguards: security headers
// on every answer, a CORS allowlist, a per-user token-bucket rate limit, a
// request timeout and TLS serving with certificates reloaded from disk.
// Each is a Fiber middleware (or, for TLS, a tls.Config) that app.Run puts
// into the chain; none keeps state beyond bounded in-memory buckets.
package hardening
