package main

import (
	"flag"
	"strings"

	"github.com/aigw-console/aigw-console/app"
)

// The environment variables that carry GitOps credentials. Credentials
// are never flag values (a flag shows in ps and in the Pod spec): they
// come from files (the --gitops-*-file flags) or from these.
const (
	envGitPassword    = "AIGW_GITOPS_PASSWORD"
	envGitBearerToken = "AIGW_GITOPS_BEARER_TOKEN"
	envForgeToken     = "AIGW_GITOPS_FORGE_TOKEN"
)

// listFlag is a repeatable flag; each value may also be a comma-separated
// list (as its AIGW_ variable is).
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(v string) error {
	*l = append(*l, splitList(v)...)
	return nil
}

// registerGitOps registers the settings of --mode gitops.
func (o *options) registerGitOps(fs *flag.FlagSet) {
	g := &o.gitops
	fs.StringVar(&g.URL, "gitops-url", "", "GitOps: URL of the Git repository (https://, ssh:// or git@host:org/repo.git); required with --mode gitops")
	fs.StringVar(&g.Branch, "gitops-branch", "main", "GitOps: target branch")
	fs.StringVar(&g.Path, "gitops-path", "clusters/default", "GitOps: folder of the repository the console owns")
	fs.StringVar(&g.Username, "gitops-username", "", "GitOps: HTTPS user name (default git when a password is set)")
	fs.StringVar(&g.PasswordFile, "gitops-password-file", "", "GitOps: file holding the HTTPS password or access token (or "+envGitPassword+")")
	fs.StringVar(&g.BearerTokenFile, "gitops-bearer-token-file", "", "GitOps: file holding a token sent as Authorization: Bearer (or "+envGitBearerToken+")")
	fs.StringVar(&g.SSHKeyFile, "gitops-ssh-key-file", "", "GitOps: PEM private key for an SSH URL")
	fs.StringVar(&g.KnownHostsFile, "gitops-known-hosts-file", "", "GitOps: known_hosts file with the accepted SSH host keys (required with an SSH key)")
	fs.StringVar(&g.CacheDir, "gitops-cache-dir", "", "GitOps: folder of this replica's clone (e.g. an emptyDir); empty: a temporary folder")
	fs.Var((*listFlag)(&g.AgeRecipients), "gitops-age-recipient", "GitOps: age public key Secret values are SOPS-encrypted for (repeatable); none: credentials are refused")
	fs.StringVar(&g.AgeIdentityFile, "gitops-age-identity-file", "", "GitOps: age private key file, lets unchanged Secrets make no commit (optional)")
	fs.StringVar(&g.AuthorName, "gitops-author-name", "aigw-console", "GitOps: commit author and committer name")
	fs.StringVar(&g.AuthorEmail, "gitops-author-email", "aigw-console@localhost", "GitOps: commit author and committer e-mail")
	fs.StringVar(&g.Flow, "gitops-flow", "push", "GitOps: push (commit to the branch) or pull-request (push a branch, open a pull request)")
	fs.BoolVar(&g.AllowFlowOverride, "gitops-allow-flow-override", false, "GitOps: let a request choose the flow with ?flow=push|pull-request")
	fs.StringVar(&g.Forge, "gitops-forge", "", "GitOps: github, gitlab or gitea; required for the pull-request flow")
	fs.StringVar(&g.ForgeURL, "gitops-forge-url", "", "GitOps: forge API base (GitHub: https://api.github.com, GitLab: https://gitlab.com, Gitea: its URL)")
	fs.StringVar(&g.ForgeRepo, "gitops-forge-repo", "", "GitOps: repository on the forge: owner/name (GitLab: the project path)")
	fs.StringVar(&g.ForgeTokenFile, "gitops-forge-token-file", "", "GitOps: file holding the forge access token (or "+envForgeToken+")")
}

// gitOpsConfig returns the GitOps settings with the credentials the
// environment carries.
func (o *options) gitOpsConfig(lookupEnv func(string) (string, bool)) app.GitOpsConfig {
	g := o.gitops
	g.Password, _ = lookupEnv(envGitPassword)
	g.BearerToken, _ = lookupEnv(envGitBearerToken)
	g.ForgeToken, _ = lookupEnv(envForgeToken)
	return g
}
