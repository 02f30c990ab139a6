package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"regexp"
	"strings"

	"filippo.io/age"

	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/gitops"
)

// GitOpsConfig configures --mode gitops: the repository the console
// commits to, how it authenticates, how Secret values are encrypted, and
// whether changes are pushed or proposed as pull requests. Credentials
// come from files (mounted Secrets, re-read on every fetch and push) or
// from the environment, never from flag values, and are never logged.
// Each field names its flag; validate's errors name the flag too.
type GitOpsConfig struct {
	// URL of the repository (--gitops-url): https://, http://, ssh:// or
	// scp-like git@host:org/repo.git. Required in GitOps mode.
	URL string
	// Branch is the target branch (--gitops-branch). Default: main.
	Branch string
	// Path is the folder the console owns (--gitops-path). Default:
	// clusters/default.
	Path string
	// Username for HTTPS basic auth (--gitops-username). Default: "git"
	// when a password is set.
	Username string
	// PasswordFile holds the HTTPS password or access token
	// (--gitops-password-file).
	PasswordFile string
	// Password is the same, from the environment (AIGW_GITOPS_PASSWORD).
	Password string
	// BearerTokenFile holds a token sent as "Authorization: Bearer"
	// (--gitops-bearer-token-file).
	BearerTokenFile string
	// BearerToken is the same, from the environment
	// (AIGW_GITOPS_BEARER_TOKEN).
	BearerToken string
	// SSHKeyFile is a PEM private key for SSH URLs (--gitops-ssh-key-file).
	SSHKeyFile string
	// KnownHostsFile lists the accepted SSH host keys
	// (--gitops-known-hosts-file). Required with SSHKeyFile.
	KnownHostsFile string
	// CacheDir holds this replica's clone (--gitops-cache-dir). Default: a
	// temporary folder.
	CacheDir string
	// AgeRecipients are the age public keys Secret values are SOPS-encrypted
	// for (--gitops-age-recipient, repeatable). Without them a change that
	// carries a credential is refused.
	AgeRecipients []string
	// AgeIdentityFile holds age private keys that let the console read its
	// own Secrets back, so an unchanged Secret makes no commit
	// (--gitops-age-identity-file). Optional.
	AgeIdentityFile string
	// AuthorName and AuthorEmail sign the commits (--gitops-author-name,
	// --gitops-author-email). Default: aigw-console <aigw-console@localhost>.
	AuthorName, AuthorEmail string
	// Flow is push or pull-request (--gitops-flow). Default: push.
	Flow string
	// AllowFlowOverride lets a request choose the flow with ?flow=
	// (--gitops-allow-flow-override).
	AllowFlowOverride bool
	// Forge is github, gitlab or gitea (--gitops-forge); required for the
	// pull-request flow.
	Forge string
	// ForgeURL is the forge's API base (--gitops-forge-url); see
	// gitops.ForgeOptions.URL.
	ForgeURL string
	// ForgeRepo names the repository on the forge (--gitops-forge-repo):
	// owner/name, or a GitLab project path.
	ForgeRepo string
	// ForgeTokenFile holds the forge's access token
	// (--gitops-forge-token-file).
	ForgeTokenFile string
	// ForgeToken is the same, from the environment (AIGW_GITOPS_FORGE_TOKEN).
	ForgeToken string
}

// scpURL matches scp-like Git URLs: [user@]host:path.
var scpURL = regexp.MustCompile(`^([A-Za-z0-9._-]+@)?[A-Za-z0-9.-]+:[^/\\][^\\]*$`)

// validate checks the configuration before anything starts; every error
// names the flag at fault and never prints a credential.
func (g *GitOpsConfig) validate() error {
	if g.Branch == "" {
		g.Branch = "main"
	}
	if g.Path == "" {
		g.Path = "clusters/default"
	}
	if g.Flow == "" {
		g.Flow = string(gitops.FlowPush)
	}
	if g.URL == "" {
		return errors.New("--gitops-url is required with --mode gitops")
	}
	ssh := false
	if u, err := url.Parse(g.URL); err == nil && u.Scheme != "" && u.Host != "" {
		switch u.Scheme {
		case "https", "http":
			if _, hasPassword := u.User.Password(); hasPassword || (u.User != nil && u.User.Username() != "") {
				return errors.New("--gitops-url must not carry credentials; use --gitops-username with --gitops-password-file or --gitops-bearer-token-file")
			}
		case "ssh":
			if _, hasPassword := u.User.Password(); hasPassword {
				return errors.New("--gitops-url must not carry a password; use --gitops-ssh-key-file")
			}
			ssh = true
		default:
			return fmt.Errorf("--gitops-url: unsupported scheme %q (want https, http or ssh)", u.Scheme)
		}
	} else if scpURL.MatchString(g.URL) && !strings.Contains(g.URL, "://") {
		ssh = true
	} else {
		return errors.New("--gitops-url: not a Git URL (want https://host/org/repo.git, ssh://git@host/org/repo.git or git@host:org/repo.git)")
	}
	var errs []error
	check := func(flag, path string) {
		if path == "" {
			return
		}
		if _, err := os.Stat(path); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", flag, err))
		}
	}
	check("--gitops-password-file", g.PasswordFile)
	check("--gitops-bearer-token-file", g.BearerTokenFile)
	check("--gitops-ssh-key-file", g.SSHKeyFile)
	check("--gitops-known-hosts-file", g.KnownHostsFile)
	check("--gitops-age-identity-file", g.AgeIdentityFile)
	check("--gitops-forge-token-file", g.ForgeTokenFile)
	password := g.PasswordFile != "" || g.Password != ""
	bearer := g.BearerTokenFile != "" || g.BearerToken != ""
	switch {
	case g.PasswordFile != "" && g.Password != "":
		errs = append(errs, errors.New("--gitops-password-file and AIGW_GITOPS_PASSWORD are both set; use one"))
	case g.BearerTokenFile != "" && g.BearerToken != "":
		errs = append(errs, errors.New("--gitops-bearer-token-file and AIGW_GITOPS_BEARER_TOKEN are both set; use one"))
	case password && bearer:
		errs = append(errs, errors.New("--gitops-password-file and --gitops-bearer-token-file are exclusive; use one"))
	}
	if ssh {
		if password || bearer || g.Username != "" {
			errs = append(errs, errors.New("--gitops-url is an SSH URL: --gitops-username, --gitops-password-file and --gitops-bearer-token-file apply to HTTPS only"))
		}
		if g.SSHKeyFile == "" {
			errs = append(errs, errors.New("--gitops-ssh-key-file is required with an SSH --gitops-url"))
		}
		if g.KnownHostsFile == "" {
			errs = append(errs, errors.New("--gitops-known-hosts-file is required with an SSH --gitops-url: unknown host keys are never trusted"))
		}
	} else if g.SSHKeyFile != "" || g.KnownHostsFile != "" {
		errs = append(errs, errors.New("--gitops-ssh-key-file and --gitops-known-hosts-file need an SSH --gitops-url"))
	}
	for _, r := range g.AgeRecipients {
		if _, err := age.ParseX25519Recipient(strings.TrimSpace(r)); err != nil {
			errs = append(errs, fmt.Errorf("--gitops-age-recipient %q: not an age X25519 public key (age1...)", r))
		}
	}
	if g.AgeIdentityFile != "" && len(g.AgeRecipients) == 0 {
		errs = append(errs, errors.New("--gitops-age-identity-file needs --gitops-age-recipient"))
	}
	if g.Branch != "" && (strings.ContainsAny(g.Branch, " ~^:?*[\\") || strings.HasPrefix(g.Branch, "-")) {
		errs = append(errs, fmt.Errorf("--gitops-branch %q: not a valid branch name", g.Branch))
	}
	if g.Path != "" {
		if _, err := gitops.CleanRoot(g.Path); err != nil {
			errs = append(errs, fmt.Errorf("--gitops-path: %w", err))
		}
	}
	switch gitops.Flow(g.Flow) {
	case "", gitops.FlowPush, gitops.FlowPullRequest:
	default:
		errs = append(errs, fmt.Errorf("--gitops-flow %q: want push or pull-request", g.Flow))
	}
	needForge := gitops.Flow(g.Flow) == gitops.FlowPullRequest || g.AllowFlowOverride
	if needForge || g.Forge != "" {
		switch gitops.ForgeKind(g.Forge) {
		case gitops.ForgeGitHub, gitops.ForgeGitLab:
		case gitops.ForgeGitea:
			if g.ForgeURL == "" {
				errs = append(errs, errors.New("--gitops-forge-url is required with --gitops-forge gitea"))
			}
		case "":
			errs = append(errs, errors.New("--gitops-forge (github, gitlab or gitea) is required with --gitops-flow pull-request or --gitops-allow-flow-override"))
		default:
			errs = append(errs, fmt.Errorf("--gitops-forge %q: want github, gitlab or gitea", g.Forge))
		}
		if g.ForgeRepo == "" {
			errs = append(errs, errors.New("--gitops-forge-repo is required with --gitops-forge"))
		}
		switch {
		case g.ForgeTokenFile == "" && g.ForgeToken == "":
			errs = append(errs, errors.New("--gitops-forge-token-file (or AIGW_GITOPS_FORGE_TOKEN) is required with --gitops-forge"))
		case g.ForgeTokenFile != "" && g.ForgeToken != "":
			errs = append(errs, errors.New("--gitops-forge-token-file and AIGW_GITOPS_FORGE_TOKEN are both set; use one"))
		}
	}
	return errors.Join(errs...)
}

// options turns the configuration into gitops.Options, reading the
// identity and forge token files. Errors name the flag, never the content.
func (g *GitOpsConfig) options(log *slog.Logger) (gitops.Options, error) {
	opts := gitops.Options{
		URL:    g.URL,
		Branch: g.Branch,
		Root:   g.Path,
		Auth: gitops.Auth{
			Username:          g.Username,
			Password:          g.Password,
			PasswordFile:      g.PasswordFile,
			BearerToken:       g.BearerToken,
			BearerTokenFile:   g.BearerTokenFile,
			SSHKeyFile:        g.SSHKeyFile,
			SSHKnownHostsFile: g.KnownHostsFile,
		},
		CacheDir:          g.CacheDir,
		AuthorName:        g.AuthorName,
		AuthorEmail:       g.AuthorEmail,
		Recipients:        g.AgeRecipients,
		Flow:              gitops.Flow(g.Flow),
		AllowFlowOverride: g.AllowFlowOverride,
		Logger:            log,
	}
	if g.AgeIdentityFile != "" {
		b, err := os.ReadFile(g.AgeIdentityFile)
		if err != nil {
			return opts, fmt.Errorf("--gitops-age-identity-file: %w", err)
		}
		if _, err := age.ParseIdentities(strings.NewReader(string(b))); err != nil {
			return opts, fmt.Errorf("--gitops-age-identity-file %s: no age identity could be parsed", g.AgeIdentityFile)
		}
		opts.Identities = []string{string(b)}
	}
	if g.Forge != "" {
		// The token file is read again for every pull request.
		f, err := gitops.NewForge(gitops.ForgeOptions{Kind: gitops.ForgeKind(g.Forge), URL: g.ForgeURL, Repo: g.ForgeRepo,
			Token: g.ForgeToken, TokenFile: g.ForgeTokenFile})
		if err != nil {
			return opts, fmt.Errorf("--gitops-forge: %w", err)
		}
		opts.Forge = f
	}
	return opts, nil
}

// writeSink returns where writes go: the direct sink in direct mode; in
// GitOps mode a sink that validates with the direct sink's server-side
// dry-run and commits to Git. It fetches the branch once, so a wrong URL
// or credential stops the console before it serves. close releases the
// clone's temporary folder, if one was made.
func writeSink(ctx context.Context, cfg Config, direct sink.Sink) (s sink.Sink, closeFn func(), err error) {
	if cfg.Mode != ModeGitOps {
		return direct, func() {}, nil
	}
	opts, err := cfg.GitOps.options(cfg.Logger)
	if err != nil {
		return nil, nil, err
	}
	git, err := gitops.New(ctx, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("--gitops-url: %w", err)
	}
	cfg.Logger.Info("gitops mode", "repository", gitops.Redact(cfg.GitOps.URL), "branch", opts.Branch, "path", opts.Root,
		"flow", opts.Flow, "recipients", len(opts.Recipients))
	return &gitOpsWriter{validate: direct, git: git}, func() { _ = git.Close() }, nil
}
