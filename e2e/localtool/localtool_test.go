package localtool

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestSubcommandHidesFlagValues(t *testing.T) {
	got := subcommand([]string{"--config", "/x/app.ini", "admin", "user", "create", "--password", "s3cret", "--admin", "--email=a@b"})
	if got != "admin user create" {
		t.Errorf("subcommand = %q", got)
	}
}

func TestMissing(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "here"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(dir, "adir"), 0o755); err != nil {
		t.Fatal(err)
	}
	if got := Missing(dir, "here", "gone", "adir"); strings.Join(got, ",") != "gone,adir" {
		t.Errorf("Missing = %v", got)
	}
}

// TestStopKillsTheGroup starts a shell that starts a grandchild and checks
// that Stop ends both.
func TestStopKillsTheGroup(t *testing.T) {
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "grandchild.pid")
	p, err := Start("/bin/sh", []string{"-c", "sleep 300 & echo $! > " + pidFile + "; wait"}, nil, dir, filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	var grandchild int
	for i := 0; i < 100 && grandchild == 0; i++ {
		b, _ := os.ReadFile(pidFile)
		grandchild, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		time.Sleep(20 * time.Millisecond)
	}
	if grandchild == 0 {
		t.Fatal("the grandchild did not start")
	}
	p.Stop()
	select {
	case <-p.Exited():
	default:
		t.Fatal("Exited not closed after Stop")
	}
	// The grandchild was SIGTERMed with the group; it is reaped by init,
	// so poll until it is gone.
	for i := 0; i < 100; i++ {
		if err := syscall.Kill(grandchild, 0); err != nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("grandchild %d still alive after Stop", grandchild)
}

func TestRunReportsFailure(t *testing.T) {
	dir := t.TempDir()
	err := Run(context.Background(), "/bin/sh", []string{"-c", "echo boom; exit 3"}, nil, dir, filepath.Join(dir, "log"))
	if err == nil || !strings.Contains(err.Error(), "exit code 3") || !strings.Contains(err.Error(), "boom") {
		t.Errorf("Run = %v", err)
	}
	if err := Run(context.Background(), "/bin/true", nil, nil, dir, filepath.Join(dir, "log")); err != nil {
		t.Errorf("Run(true) = %v", err)
	}
}
