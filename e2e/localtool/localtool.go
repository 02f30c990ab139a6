package localtool

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// RepoRoot returns the repository root: the first folder above the working
// directory whose go.mod declares the product module.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	const want = "module github.com/aigw-console/aigw-console\n"
	for {
		if b, err := os.ReadFile(filepath.Join(dir, "go.mod")); err == nil && bytes.HasPrefix(b, []byte(want)) {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("localtool: repository root not found above the working directory")
		}
		dir = parent
	}
}

// BinDir is $E2E_BIN_DIR, or .local/bin in the repository root.
func BinDir() (string, error) {
	if d := os.Getenv("E2E_BIN_DIR"); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, ".local", "bin"), nil
}

// Missing returns the names whose binary is not in binDir.
func Missing(binDir string, names ...string) []string {
	var out []string
	for _, n := range names {
		if fi, err := os.Stat(filepath.Join(binDir, n)); err != nil || fi.IsDir() {
			out = append(out, n)
		}
	}
	return out
}

// Require returns the bin folder if it holds every named binary. If one
// is missing it skips the test, or fails it when $CI is set. makeTarget
// names the make target that builds them, for the message.
func Require(t testing.TB, makeTarget string, names ...string) string {
	t.Helper()
	dir, err := BinDir()
	if err != nil {
		t.Fatal(err)
	}
	if missing := Missing(dir, names...); len(missing) > 0 {
		msg := fmt.Sprintf("%s not built in %s: run `make %s`", strings.Join(missing, ", "), dir, makeTarget)
		if os.Getenv("CI") != "" {
			t.Fatalf("%s (CI is set, so this is a failure: CI must build the test servers)", msg)
		}
		t.Skip(msg)
	}
	return dir
}

// ModuleDir returns the folder, in the Go module cache, of module as the
// tools module in <repo>/<toolsDir> (e.g. "e2e/tools/flux") requires it,
// downloading it if needed (`go mod download -json` run in that module).
func ModuleDir(ctx context.Context, toolsDir, module string) (string, error) {
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", module)
	cmd.Dir = filepath.Join(root, toolsDir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr == nil && info.Error != "" {
		return "", fmt.Errorf("go mod download %s (in %s): %s", module, toolsDir, info.Error)
	}
	if err != nil {
		return "", fmt.Errorf("go mod download %s (in %s): %w: %s", module, toolsDir, err, strings.TrimSpace(stderr.String()))
	}
	if info.Dir == "" {
		return "", fmt.Errorf("go mod download %s (in %s): no Dir in %s", module, toolsDir, out)
	}
	return info.Dir, nil
}

// FreePort returns a free TCP port on 127.0.0.1.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Process is a running child process.
type Process struct {
	// Name is the binary's base name.
	Name string
	// Log is the file that receives its standard output and error.
	Log    string
	cmd    *exec.Cmd
	exited chan struct{}
}

// Start runs path with args and env (added to the environment of this
// process) in dir, output appended to logFile, in its own process group.
func Start(path string, args, env []string, dir, logFile string) (*Process, error) {
	f, err := os.OpenFile(logFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(path, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	p := &Process{Name: filepath.Base(path), Log: logFile, cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		_ = f.Close()
		close(p.exited)
	}()
	return p, nil
}

// PID is the process ID (and process group ID).
func (p *Process) PID() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Stop sends SIGTERM to the process group and SIGKILL after 10s. Stopping
// a stopped process (or a nil one) is harmless.
func (p *Process) Stop() {
	if p == nil {
		return
	}
	select {
	case <-p.exited:
		return
	default:
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		<-p.exited
	}
}

// LogTail returns the last n lines of the log, for error messages.
func (p *Process) LogTail(n int) string {
	b, err := os.ReadFile(p.Log)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return p.Name + " log:\n" + strings.Join(lines, "\n")
}

// Run runs path with args to completion (env added), output appended to
// logFile, and returns an error with the log's tail if it fails. Errors
// name the leading arguments that are not flags, never flag values (which
// may be passwords).
func Run(ctx context.Context, path string, args, env []string, dir, logFile string) error {
	p, err := Start(path, args, env, dir, logFile)
	if err != nil {
		return err
	}
	select {
	case <-p.exited:
	case <-ctx.Done():
		p.Stop()
		return fmt.Errorf("%s %s: %w", p.Name, subcommand(args), ctx.Err())
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		return fmt.Errorf("%s %s: exit code %d: %s", p.Name, subcommand(args), code, p.LogTail(20))
	}
	return nil
}

// subcommand returns the arguments that are neither flags nor the value
// after a flag: "--config x migrate" gives "migrate".
func subcommand(args []string) string {
	var out []string
	for i, a := range args {
		if strings.HasPrefix(a, "-") || (i > 0 && strings.HasPrefix(args[i-1], "-") && !strings.Contains(args[i-1], "=")) {
			continue
		}
		out = append(out, a)
	}
	return strings.Join(out, " ")
}
