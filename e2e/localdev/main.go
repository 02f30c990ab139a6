// Command localdev is `make run`: it starts a real local control plane
// (etcd + kube-apiserver from .local/bin), installs the CRDs, loads a small
// demo data set and runs the console on 127.0.0.1:8080 in the same
// process. Ctrl-C stops the console and the control plane; the control
// plane's processes also die with this one if it is killed.
//
// With --kubeconfig it skips the local control plane and works against that
// cluster instead (with --install-crds-only it installs the CRDs and exits;
// `make kind-up` uses that).
package main

import (
	"context"
	_ "embed"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/aigw-console/aigw-console/app"
	"github.com/aigw-console/aigw-console/e2e/controlplane"
	"github.com/aigw-console/aigw-console/e2e/harness"
)

//go:embed demo.yaml
var demo []byte

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, "localdev:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("localdev", flag.ContinueOnError)
	binDir := fs.String("bin-dir", ".local/bin", "folder with kube-apiserver and etcd")
	dir := fs.String("dir", ".local/run", "state folder (wiped at start)")
	listen := fs.String("listen-address", app.DefaultListenAddress, "console address")
	kubeconfig := fs.String("kubeconfig", "", "use this cluster instead of a local control plane")
	crdsOnly := fs.Bool("install-crds-only", false, "install the CRDs (and demo data unless --no-demo) and exit")
	noDemo := fs.Bool("no-demo", false, "do not load the demo data")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	start := time.Now()

	var cfg *rest.Config
	kubeconfigPath := *kubeconfig
	if kubeconfigPath != "" {
		c, err := clientcmd.BuildConfigFromFlags("", kubeconfigPath)
		if err != nil {
			return err
		}
		cfg = c
	} else {
		if err := os.RemoveAll(*dir); err != nil {
			return err
		}
		absBin, err := filepath.Abs(*binDir)
		if err != nil {
			return err
		}
		cp, err := controlplane.Start(ctx, controlplane.Options{BinDir: absBin, Dir: filepath.Join(*dir, "controlplane")})
		if err != nil {
			return err
		}
		defer func() {
			log.Info("stopping the local control plane")
			if err := cp.Stop(); err != nil {
				log.Error("stop control plane", "error", err)
			}
		}()
		kubeconfigPath, _ = filepath.Abs(filepath.Join(*dir, "kubeconfig"))
		if err := cp.WriteKubeconfig(kubeconfigPath, controlplane.AdminUser); err != nil {
			return err
		}
		// The PIDs let a test check that nothing is left behind.
		if err := os.WriteFile(filepath.Join(*dir, "pids"), []byte(pidsOf(cp)), 0o600); err != nil {
			return err
		}
		cfg = cp.Config()
		if err := writeTokens(cp, *dir); err != nil {
			return err
		}
		log.Info("local control plane ready", "apiServer", cp.Host(), "after", time.Since(start).Round(time.Millisecond))
	}
	if err := harness.InstallCRDs(ctx, cfg); err != nil {
		return fmt.Errorf("install CRDs: %w", err)
	}
	if !*noDemo {
		objs, err := controlplane.DecodeYAML(demo)
		if err != nil {
			return err
		}
		if err := controlplane.Apply(ctx, cfg, objs...); err != nil {
			return fmt.Errorf("demo data: %w", err)
		}
	}
	if *crdsOnly {
		return nil
	}
	tokenFile, _ := filepath.Abs(filepath.Join(*dir, "token-"+controlplane.AdminUser))
	authNote := fmt.Sprintf(`Auth:        bearer tokens (checked with TokenReview); one per static user in
               %s (admin: system:masters; alice, bob, carol: no RBAC until you grant it)`, filepath.Join(filepath.Dir(tokenFile), "token-<user>"))
	if *kubeconfig != "" {
		tokenFile = "<a file holding your token>"
		authNote = "Auth:        bearer tokens (checked with TokenReview): e.g. kubectl create token <serviceaccount> > token"
	}
	onListen := func(addr net.Addr) {
		fmt.Printf(`
aigw-console is starting (control plane up after %s)

  Console:     http://%s   (ready when /readyz answers 200)
  Try:         curl -H "Authorization: Bearer $(cat %s)" 'http://%s/api/v1/resources/aiservicebackends?namespace=default'
  Kubeconfig:  %s   (cluster admin: KUBECONFIG=%s kubectl get aiservicebackends -A)
  %s

Press Ctrl-C to stop the console and the local control plane.

`, time.Since(start).Round(time.Millisecond), addr, tokenFile, addr, kubeconfigPath, kubeconfigPath, authNote)
	}
	err := app.Run(ctx, app.Config{RestConfig: cfg, ListenAddress: *listen, Logger: log, Version: "localdev"}, onListen)
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// writeTokens writes the bearer token of every static user of the local
// control plane to <dir>/token-<user> (mode 0600), for curl and the UI.
func writeTokens(cp *controlplane.ControlPlane, dir string) error {
	users := []string{controlplane.AdminUser}
	for _, u := range controlplane.DefaultUsers {
		users = append(users, u.Name)
	}
	for _, u := range users {
		c, err := cp.UserConfig(u)
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, "token-"+u), []byte(c.BearerToken+"\n"), 0o600); err != nil {
			return err
		}
	}
	return nil
}

func pidsOf(cp *controlplane.ControlPlane) string {
	var s string
	for _, pid := range cp.PIDs() {
		s += strconv.Itoa(pid) + "\n"
	}
	return s
}
