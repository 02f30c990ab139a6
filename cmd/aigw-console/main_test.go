package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(vars map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
}

func TestVersionFlagPrintsTheVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"--version"}, &out, &out, env(nil)); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "aigw-console dev\n" {
		t.Errorf("got %q", got)
	}
}

func TestEnvironmentSetsFlagsTheCommandLineDidNotSet(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var o options
	o.register(fs)
	if err := fs.Parse([]string{"--log-level=debug"}); err != nil {
		t.Fatal(err)
	}
	err := applyEnv(fs, env(map[string]string{
		"AIGW_LOG_LEVEL":      "error",
		"AIGW_LISTEN_ADDRESS": "0.0.0.0:9999",
		"AIGW_NAMESPACES":     "a, b,,c",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if o.logLevel != "debug" {
		t.Errorf("the command line must win: log level %q", o.logLevel)
	}
	if o.listenAddress != "0.0.0.0:9999" {
		t.Errorf("listen address %q", o.listenAddress)
	}
	if got := strings.Join(splitList(o.namespaces), "|"); got != "a|b|c" {
		t.Errorf("namespaces %q", got)
	}
	if err := applyEnv(fs, env(map[string]string{"AIGW_VERSION": "maybe"})); err == nil || !strings.Contains(err.Error(), "AIGW_VERSION") {
		t.Errorf("a bad boolean in the environment must be an error naming the variable, got %v", err)
	}
}

func TestBadSettingsAreErrors(t *testing.T) {
	cases := map[string][]string{
		"unknown flag":       {"--nope"},
		"bad log level":      {"--log-level=loud", "--kubeconfig=/nonexistent"},
		"bad log format":     {"--log-format=xml", "--kubeconfig=/nonexistent"},
		"missing kubeconfig": {"--kubeconfig=/nonexistent/kubeconfig"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			var out bytes.Buffer
			if err := run(context.Background(), args, &out, &out, env(nil)); err == nil {
				t.Errorf("want an error for %v", args)
			}
		})
	}
}

func TestGitOpsSettingsAreCheckedAtStartUp(t *testing.T) {
	dir := t.TempDir()
	kc := unreachableKubeconfig(t, dir)
	file := filepath.Join(dir, "token")
	if err := os.WriteFile(file, []byte("s3cr3t-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	const recipient = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
	base := []string{"--kubeconfig", kc, "--mode", "gitops"}
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"no URL", nil, nil, "--gitops-url is required"},
		{"credentials in the URL", []string{"--gitops-url", "https://bob:hunter2@git.example/r.git"}, nil, "--gitops-url must not carry credentials"},
		{"unknown scheme", []string{"--gitops-url", "ftp://git.example/r.git"}, nil, "--gitops-url: unsupported scheme"},
		{"not a URL", []string{"--gitops-url", "just words"}, nil, "--gitops-url: not a Git URL"},
		{"missing password file", []string{"--gitops-url", "https://git.example/r.git", "--gitops-password-file", "/nonexistent/pw"}, nil, "--gitops-password-file"},
		{"password file and token file", []string{"--gitops-url", "https://git.example/r.git", "--gitops-password-file", file, "--gitops-bearer-token-file", file}, nil, "exclusive"},
		{"password file and env", []string{"--gitops-url", "https://git.example/r.git", "--gitops-password-file", file}, map[string]string{"AIGW_GITOPS_PASSWORD": "hunter2"}, "AIGW_GITOPS_PASSWORD are both set"},
		{"SSH without a key", []string{"--gitops-url", "git@git.example:org/r.git"}, nil, "--gitops-ssh-key-file is required"},
		{"SSH without known hosts", []string{"--gitops-url", "ssh://git@git.example/org/r.git", "--gitops-ssh-key-file", file}, nil, "--gitops-known-hosts-file is required"},
		{"SSH key with HTTPS", []string{"--gitops-url", "https://git.example/r.git", "--gitops-ssh-key-file", file}, nil, "need an SSH --gitops-url"},
		{"bad recipient", []string{"--gitops-url", "https://git.example/r.git", "--gitops-age-recipient", "age1nope"}, nil, "--gitops-age-recipient"},
		{"identity without recipient", []string{"--gitops-url", "https://git.example/r.git", "--gitops-age-identity-file", file}, nil, "--gitops-age-identity-file needs"},
		{"bad path", []string{"--gitops-url", "https://git.example/r.git", "--gitops-path", "../escape"}, nil, "--gitops-path"},
		{"bad branch", []string{"--gitops-url", "https://git.example/r.git", "--gitops-branch", "a b"}, nil, "--gitops-branch"},
		{"bad flow", []string{"--gitops-url", "https://git.example/r.git", "--gitops-flow", "merge"}, nil, "--gitops-flow"},
		{"pull requests without a forge", []string{"--gitops-url", "https://git.example/r.git", "--gitops-flow", "pull-request"}, nil, "--gitops-forge (github, gitlab or gitea) is required"},
		{"override without a forge", []string{"--gitops-url", "https://git.example/r.git", "--gitops-allow-flow-override"}, nil, "--gitops-forge (github"},
		{"unknown forge", []string{"--gitops-url", "https://git.example/r.git", "--gitops-forge", "bitbucket"}, nil, "--gitops-forge \"bitbucket\""},
		{"forge without repo and token", []string{"--gitops-url", "https://git.example/r.git", "--gitops-forge", "github"}, nil, "--gitops-forge-repo is required"},
		{"forge without token", []string{"--gitops-url", "https://git.example/r.git", "--gitops-forge", "github", "--gitops-forge-repo", "a/b"}, nil, "--gitops-forge-token-file (or AIGW_GITOPS_FORGE_TOKEN) is required"},
		{"gitea without URL", []string{"--gitops-url", "https://git.example/r.git", "--gitops-forge", "gitea", "--gitops-forge-repo", "a/b", "--gitops-forge-token-file", file}, nil, "--gitops-forge-url is required"},
		// A valid configuration reaches the remote, which does not answer.
		{"unreachable remote", []string{"--gitops-url", "http://127.0.0.1:1/r.git", "--gitops-password-file", file, "--gitops-age-recipient", recipient,
			"--gitops-flow", "pull-request", "--gitops-forge", "github", "--gitops-forge-repo", "a/b"}, map[string]string{"AIGW_GITOPS_FORGE_TOKEN": "forge-hunter2"}, "--gitops-url: git remote unavailable"},
		{"environment", nil, map[string]string{"AIGW_GITOPS_URL": "https://git.example/r.git", "AIGW_GITOPS_AGE_RECIPIENT": "age1x,age1y"}, "--gitops-age-recipient \"age1x\""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := run(ctx, append(append([]string{}, base...), tc.args...), &out, &out, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
			for _, secret := range []string{"hunter2", "s3cr3t-token"} {
				if strings.Contains(err.Error(), secret) || strings.Contains(out.String(), secret) {
					t.Errorf("a credential leaked: %v\n%s", err, out.String())
				}
			}
		})
	}
}

// unreachableKubeconfig writes a kubeconfig into dir whose API server does
// not answer: enough for the checks that run before the console connects.
func unreachableKubeconfig(t *testing.T, dir string) string {
	t.Helper()
	kc := filepath.Join(dir, "kubeconfig")
	cfg := `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`
	if err := os.WriteFile(kc, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	return kc
}
