package main

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
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

func TestGitOpsModeIsRefusedUntilItExists(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
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
	var out bytes.Buffer
	err := run(context.Background(), []string{"--kubeconfig", kc, "--mode", "gitops"}, &out, &out, env(nil))
	if err == nil || !strings.Contains(err.Error(), "gitops") {
		t.Fatalf("got %v", err)
	}
}
