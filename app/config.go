package app

import (
	"fmt"
	"log/slog"
	"time"

	"k8s.io/client-go/rest"
)

// Mode selects where writes go.
type Mode string

// The write modes.
const (
	// ModeDirect server-side-applies changes to the cluster.
	ModeDirect Mode = "direct"
	// ModeGitOps commits rendered manifests to a Git repository for Flux or
	// Argo CD to apply.
	ModeGitOps Mode = "gitops"
)

// Config is everything Run needs. main fills it from flags and the
// environment; nothing below cmd/ reads either.
type Config struct {
	// RestConfig reaches the API server with the console's own identity.
	// Required.
	RestConfig *rest.Config
	// ListenAddress is the host:port of the HTTP API. Default:
	// 127.0.0.1:8080.
	ListenAddress string
	// Mode is where writes go. Default: direct.
	Mode Mode
	// Namespaces limits what the console watches and manages. Default: all.
	Namespaces []string
	// PolicyDir is a folder of extra .rego files (a mounted ConfigMap),
	// evaluated with the built-in policies and reloaded when it changes.
	// Default: none, built-in policies only.
	PolicyDir string
	// Logger is the structured logger. Default: slog.Default().
	Logger *slog.Logger
	// Version is reported by --version and GET /api/v1/version.
	Version string
	// ShutdownTimeout bounds the graceful shutdown. Default: 15s.
	ShutdownTimeout time.Duration
	// WebSocket configures the live stream. Default: see WebSocketConfig.
	WebSocket WebSocketConfig
	// GitOps configures the repository of --mode gitops.
	GitOps GitOpsConfig
	// Sync configures the sync status of GitOps mode. Default: see
	// SyncConfig.
	Sync SyncConfig
	// Authz configures authorization. Default: see AuthzConfig.
	Authz AuthzConfig
	// Auth configures authentication. Default: Kubernetes bearer tokens
	// (TokenReview), no anonymous access; see AuthConfig.
	Auth AuthConfig
	// Audit configures the audit trail. Default: see AuditConfig.
	Audit AuditConfig
	// Hardening configures rate limits, timeouts, CORS and TLS. Default:
	// see HardeningConfig.
	Hardening HardeningConfig
}

// DefaultListenAddress is where the console listens unless told otherwise.
const DefaultListenAddress = "127.0.0.1:8080"

func (c *Config) defaults() error {
	if c.RestConfig == nil {
		return fmt.Errorf("config: no Kubernetes client configuration")
	}
	if c.ListenAddress == "" {
		c.ListenAddress = DefaultListenAddress
	}
	if c.Mode == "" {
		c.Mode = ModeDirect
	}
	switch c.Mode {
	case ModeDirect:
	case ModeGitOps:
		if err := c.GitOps.validate(); err != nil {
			return fmt.Errorf("config: %w", err)
		}
	default:
		return fmt.Errorf("config: unknown mode %q (want %q or %q)", c.Mode, ModeDirect, ModeGitOps)
	}
	if err := c.Sync.validate(); err != nil {
		return err
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if err := c.Auth.validate(c.ListenAddress); err != nil {
		return err
	}
	if _, err := parseCIDRs("--trusted-proxy-cidrs", c.Hardening.TrustedProxyCIDRs); err != nil {
		return err
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = 15 * time.Second
	}
	return nil
}
