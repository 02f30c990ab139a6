// Command aigw-console serves the aigw-console REST and WebSocket API for
// Envoy AI Gateway resources.
//
// Flags may also be given as environment variables: --listen-address is
// AIGW_LISTEN_ADDRESS, and so on (upper case, dashes as underscores, prefix
// AIGW_). A flag on the command line wins over the environment.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	ctrllog "sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/app/audit"
	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/app/stream"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.LookupEnv); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "aigw-console:", err)
		os.Exit(1)
	}
}

// options are the command-line settings.
type options struct {
	kubeconfig    string
	listenAddress string
	mode          string
	namespaces    string
	policyDir     string
	logLevel      string
	logFormat     string
	showVersion   bool
	ws            app.WebSocketConfig
	wsOrigins     string
	gitops        app.GitOpsConfig
	sync          app.SyncConfig
	authz         app.AuthzConfig
	auth          app.AuthConfig
	authProxies   string
	audit         app.AuditConfig
	hardening     app.HardeningConfig
	corsOrigins   string
	proxyCIDRs    string
}

func (o *options) register(fs *flag.FlagSet) {
	fs.StringVar(&o.kubeconfig, "kubeconfig", "", "path to a kubeconfig; empty: $KUBECONFIG, then in-cluster config, then ~/.kube/config")
	fs.StringVar(&o.listenAddress, "listen-address", app.DefaultListenAddress, "host:port of the HTTP API")
	fs.StringVar(&o.mode, "mode", string(app.ModeDirect), "where writes go: direct (server-side apply) or gitops")
	fs.StringVar(&o.namespaces, "namespaces", "", "comma-separated namespaces to watch and manage; empty: all")
	fs.StringVar(&o.policyDir, "policy-dir", "", "folder of extra .rego policies (e.g. a mounted ConfigMap), hot-reloaded; empty: built-in policies only")
	fs.StringVar(&o.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&o.logFormat, "log-format", "json", "json or text")
	fs.BoolVar(&o.showVersion, "version", false, "print the version and exit")
	o.registerWebSocket(fs)
	o.registerGitOps(fs)
	fs.StringVar(&o.sync.FluxKustomization, "sync-flux-kustomization", "", "GitOps mode: namespace/name of the Flux Kustomization applying the repository; its lastAppliedRevision decides Pending vs Synced/Drifted (empty: --sync-grace decides)")
	fs.DurationVar(&o.sync.Grace, "sync-grace", app.DefaultSyncGrace, "GitOps mode: how long a committed change may stay unapplied before it counts as drift, without --sync-flux-kustomization")
	fs.DurationVar(&o.sync.Interval, "sync-interval", app.DefaultSyncInterval, "GitOps mode: how often the branch is fetched for other replicas' commits and merged pull requests")
	o.registerAuthz(fs)
	o.registerAuth(fs)
	o.registerAudit(fs)
}

// registerAudit registers the audit trail and the HTTP safeguards.
func (o *options) registerAudit(fs *flag.FlagSet) {
	fs.StringVar(&o.audit.LogPath, "audit-log-path", "-", "file the audit records are appended to as JSON lines; - is standard output (logs go to standard error)")
	fs.BoolVar(&o.audit.DisableEvents, "audit-disable-events", false, "do not create a Kubernetes Event on the object of each audit record")
	fs.IntVar(&o.audit.EventQueueLength, "audit-event-queue-length", audit.DefaultQueueLength, "audit Events waiting to be created; past it Events are dropped, logged and counted")
	fs.Float64Var(&o.hardening.RateLimitQPS, "rate-limit-qps", 20, "requests per second each user may send under /api/v1; 0 turns the limit off")
	fs.IntVar(&o.hardening.RateLimitBurst, "rate-limit-burst", 40, "requests each user may send at once under /api/v1")
	fs.DurationVar(&o.hardening.RequestTimeout, "request-timeout", 60*time.Second, "longest time one request may take (504 past it; the WebSocket stream is exempt); 0: no bound")
	fs.StringVar(&o.corsOrigins, "cors-allowed-origins", "", "comma-separated browser origins allowed to call the API cross-origin (* for any); empty: same origin only")
	fs.StringVar(&o.proxyCIDRs, "trusted-proxy-cidrs", "", "comma-separated CIDRs of reverse proxies (ingress controllers, load balancers) whose X-Forwarded-For names the client, read from the right; empty: the TCP peer is the client")
	fs.StringVar(&o.hardening.TLSCertFile, "tls-cert-file", "", "PEM certificate to serve HTTPS with (reloaded when it changes); with --tls-key-file")
	fs.StringVar(&o.hardening.TLSKeyFile, "tls-key-file", "", "PEM private key of --tls-cert-file")
}

// registerWebSocket registers the limits of the live stream, GET /api/v1/ws.
func (o *options) registerWebSocket(fs *flag.FlagSet) {
	fs.IntVar(&o.ws.History, "ws-history", hub.DefaultHistory, "events kept so that WebSocket clients can resume after a reconnect")
	fs.IntVar(&o.ws.QueueLength, "ws-queue-length", hub.DefaultQueueLength, "undelivered events per WebSocket subscription before it is told to resync")
	fs.IntVar(&o.ws.MaxConnections, "ws-max-connections", stream.DefaultMaxConnections, "open WebSocket connections in total; -1: no limit")
	fs.IntVar(&o.ws.MaxConnectionsPerClient, "ws-max-connections-per-client", stream.DefaultMaxConnectionsPerClient, "open WebSocket connections per user (per client address for an upgrade without a token; see --trusted-proxy-cidrs); -1: no limit")
	fs.IntVar(&o.ws.MaxSubscriptions, "ws-max-subscriptions", stream.DefaultMaxSubscriptions, "subscriptions per WebSocket connection")
	fs.Int64Var(&o.ws.MaxMessageBytes, "ws-max-message-bytes", stream.DefaultMaxMessageBytes, "largest WebSocket message a client may send")
	fs.StringVar(&o.wsOrigins, "ws-allowed-origins", "", "comma-separated browser origins allowed to open the WebSocket (* for any); empty: same origin only")
	fs.DurationVar(&o.ws.PingInterval, "ws-ping-interval", stream.DefaultPingInterval, "how often the server pings WebSocket clients")
	fs.DurationVar(&o.ws.PongTimeout, "ws-pong-timeout", stream.DefaultPongTimeout, "how long past a ping interval a silent WebSocket client is kept")
	fs.DurationVar(&o.ws.WriteTimeout, "ws-write-timeout", stream.DefaultWriteTimeout, "how long one WebSocket message may take to write before the client is dropped")
	fs.DurationVar(&o.ws.IdleTimeout, "ws-idle-timeout", stream.DefaultIdleTimeout, "WebSocket connections without a subscription for this long are closed")
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, lookupEnv func(string) (string, bool)) error {
	var o options
	fs := flag.NewFlagSet("aigw-console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	o.register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := applyEnv(fs, lookupEnv); err != nil {
		return err
	}
	if o.showVersion {
		_, err := fmt.Fprintln(stdout, "aigw-console", version)
		return err
	}
	logger, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return err
	}
	// controller-runtime (under fluxcd/pkg/ssa) logs through its own global.
	ctrllog.SetLogger(logr.FromSlogHandler(logger.Handler()))
	restCfg, err := restConfig(o.kubeconfig, lookupEnv)
	if err != nil {
		return err
	}
	restCfg.UserAgent = "aigw-console/" + version
	cfg := app.Config{
		RestConfig:    restCfg,
		ListenAddress: o.listenAddress,
		Mode:          app.Mode(o.mode),
		Namespaces:    splitList(o.namespaces),
		PolicyDir:     o.policyDir,
		Logger:        logger,
		Version:       version,
		WebSocket:     o.ws,
		GitOps:        o.gitOpsConfig(lookupEnv),
		Sync:          o.sync,
		Authz:         o.authz,
		Audit:         o.audit,
		Hardening:     o.hardening,
	}
	cfg.WebSocket.AllowedOrigins = splitList(o.wsOrigins)
	cfg.Auth = o.auth
	cfg.Auth.ProxyCIDRs = splitList(o.authProxies)
	cfg.Hardening.CORSAllowedOrigins = splitList(o.corsOrigins)
	cfg.Hardening.TrustedProxyCIDRs = splitList(o.proxyCIDRs)
	logger.Info("starting aigw-console", "version", version, "mode", cfg.Mode, "listen", cfg.ListenAddress, "apiServer", restCfg.Host)
	return app.Run(ctx, cfg, nil)
}

// applyEnv sets every flag not given on the command line from its AIGW_
// environment variable, if that is set.
func applyEnv(fs *flag.FlagSet, lookupEnv func(string) (string, bool)) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		env := "AIGW_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := lookupEnv(env); ok {
			if err := fs.Set(f.Name, v); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", env, err))
			}
		}
	})
	return errors.Join(errs...)
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level: %w", err)
	}
	hopts := &slog.HandlerOptions{Level: lvl}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, hopts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, hopts)), nil
	default:
		return nil, fmt.Errorf("--log-format: want json or text, got %q", format)
	}
}

// restConfig loads the explicit kubeconfig, else $KUBECONFIG, else the
// in-cluster config, else ~/.kube/config.
func restConfig(kubeconfig string, lookupEnv func(string) (string, bool)) (*rest.Config, error) {
	if kubeconfig == "" {
		if v, ok := lookupEnv("KUBECONFIG"); ok && v != "" {
			kubeconfig = v
		}
	}
	if kubeconfig == "" {
		if cfg, err := rest.InClusterConfig(); err == nil {
			return cfg, nil
		}
	}
	rules := clientcmd.NewDefaultClientConfigLoadingRules()
	rules.ExplicitPath = kubeconfig
	cfg, err := clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules, nil).ClientConfig()
	if err != nil {
		return nil, fmt.Errorf("kubernetes client configuration: %w", err)
	}
	return cfg, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
