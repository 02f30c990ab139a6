package gitserver_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aigw-console/aigw-console/e2e/gitserver"
)

// TestSSHCloneCommitPush drives the SSH server with git and OpenSSH's
// client: the accepted key clones and pushes, another key and an unknown
// host key are refused, and only git's two services run.
func TestSSHCloneCommitPush(t *testing.T) {
	ssh, err := exec.LookPath("ssh")
	if err != nil {
		t.Skip("needs OpenSSH's client (apt-get install openssh-client); package gitops drives this server with go-git")
	}
	s := gitserver.Start(t, gitserver.Options{})
	r := s.CreateRepo(t, "fleet.git", map[string]string{"a.yaml": "a: 1\n"})
	srv := gitserver.StartSSH(t, s.Root)
	dir := t.TempDir()
	key, known := srv.ClientFiles(t, dir)
	other := gitserver.StartSSH(t, t.TempDir())
	otherKey := gitserver.WriteFile(t, dir, "other", other.ClientKey)
	// The other server's host key, listed for this server's address.
	otherKnown := gitserver.WriteFile(t, dir, "other_known_hosts", []byte(other.KnownHostsAt(srv.Addr)+"\n"))
	sshCmd := func(key, known string) string {
		return ssh + " -i " + key + " -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=" + known
	}
	gitSSH := func(dir, sshCommand string, args ...string) (string, error) {
		cmd := exec.Command("git", args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_SSH_COMMAND="+sshCommand)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}

	if out, err := gitSSH(dir, sshCmd(key, known), "clone", "--quiet", srv.URL("fleet.git"), "wt"); err != nil {
		t.Fatalf("clone: %v\n%s", err, out)
	}
	wt := filepath.Join(dir, "wt")
	if err := os.WriteFile(filepath.Join(wt, "b.yaml"), []byte("b: 2\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitserver.Git(t, wt, "add", "b.yaml")
	gitserver.Git(t, wt, "commit", "--quiet", "-m", "add b")
	if out, err := gitSSH(wt, sshCmd(key, known), "push", "--quiet", "origin", "main"); err != nil {
		t.Fatalf("push: %v\n%s", err, out)
	}
	if got := r.Show(t, "main", "b.yaml"); got != "b: 2\n" || srv.Pushes() != 1 || !srv.SawUser("git") {
		t.Errorf("after the push: b.yaml %q, pushes %d, user git seen %v", got, srv.Pushes(), srv.SawUser("git"))
	}

	if out, err := gitSSH(dir, sshCmd(otherKey, known), "clone", "--quiet", srv.URL("fleet.git"), "x"); err == nil || !strings.Contains(out, "Permission denied") {
		t.Errorf("another client key: %v\n%s", err, out)
	}
	if out, err := gitSSH(dir, sshCmd(key, otherKnown), "clone", "--quiet", srv.URL("fleet.git"), "y"); err == nil || !strings.Contains(out, "Host key verification failed") {
		t.Errorf("another host key: %v\n%s", err, out)
	}
	cmd := exec.Command(ssh, "-i", key, "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes", "-o", "UserKnownHostsFile="+known,
		"-p", srv.Addr[strings.LastIndex(srv.Addr, ":")+1:], "git@127.0.0.1", "cat /etc/passwd")
	if out, err := cmd.CombinedOutput(); err == nil || strings.Contains(string(out), "root:") {
		t.Errorf("a command other than git's services ran: %v\n%s", err, out)
	}
	if _, err := gitSSH(dir, sshCmd(key, known), "clone", "--quiet", "ssh://git@"+srv.Addr+"/../fleet.git", "z"); err == nil {
		t.Error("a path out of the root was served")
	}
}
