package gitops

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/e2e/gitserver"
)

// TestSSHTransport commits and pushes over SSH (e2e/gitserver's SSH
// server running git's own upload-pack and receive-pack) with the key and
// known_hosts read from files, as the chart mounts them, and shows that
// an unknown host key or another client key stops the sink before it
// writes anything.
func TestSSHTransport(t *testing.T) {
	g := newGitServer(t)
	srv := gitserver.StartSSH(t, g.srv.Root)
	dir := newDir(t, "ssh")
	key, known := srv.ClientFiles(t, dir)
	sshAuth := func(o *Options) {
		o.URL = srv.URL("repo.git")
		o.Auth = Auth{SSHKeyFile: key, SSHKnownHostsFile: known}
	}

	s := newSink(t, g, sshAuth)
	res := apply(t, s, sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "openai", "api.openai.com")}})
	if g.commits(t) != 1 || CommitOf(res) != g.head(t) {
		t.Fatalf("commits %d, CommitOf %q, head %q", g.commits(t), CommitOf(res), g.head(t))
	}
	if srv.Pushes() != 1 || !srv.SawUser("git") {
		t.Errorf("SSH pushes %d, user git seen %v", srv.Pushes(), srv.SawUser("git"))
	}
	// A second replica fetches over SSH and has nothing to do.
	if res := apply(t, newSink(t, g, sshAuth), sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "openai", "api.openai.com")}}); res.Entries[0].Action != sink.Unchanged {
		t.Errorf("second replica: %s", res.Entries[0].Action)
	}

	other := gitserver.StartSSH(t, newDir(t, "other"))
	for name, tc := range map[string]struct {
		auth Auth
		want string
	}{
		"a host key known_hosts does not list": {Auth{SSHKeyFile: key,
			SSHKnownHostsFile: gitserver.WriteFile(t, dir, "other_known_hosts", []byte(other.KnownHostsAt(srv.Addr)+"\n"))},
			"key mismatch"},
		"a client key the server does not accept": {Auth{SSHKeyFile: gitserver.WriteFile(t, dir, "other_identity", other.ClientKey), SSHKnownHostsFile: known},
			"unable to authenticate"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(context.Background(), Options{URL: srv.URL("repo.git"), CacheDir: newDir(t, "cache"), Auth: tc.auth})
			if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("New = %v; want ErrUnavailable saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Errorf("the error shows the key: %v", err)
			}
		})
	}

	// The key file is read for every fetch and push: a rotated key that the
	// server does not accept fails the next change, which pushes nothing.
	if err := os.WriteFile(key, other.ClientKey, 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := s.Apply(context.Background(), sink.ChangeSet{Apply: []*unstructured.Unstructured{backend("team-a", "openai", "eu.api.openai.com")}})
	if !errors.Is(err, ErrUnavailable) || g.commits(t) != 1 || srv.Pushes() != 1 {
		t.Errorf("with a key the server refuses: %v; commits %d, pushes %d", err, g.commits(t), srv.Pushes())
	}
}
