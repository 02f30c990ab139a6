package gitserver

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/knownhosts"
)

// SSHServer serves the bare repositories under Root over SSH on 127.0.0.1,
// the way a Git host does: a client authenticated by its public key runs
// git-upload-pack (fetch) or git-receive-pack (push), and git itself does
// the work. It accepts exactly one client key, which it makes, and
// nothing else: no password, no shell, no other command.
type SSHServer struct {
	// Root is the folder of the bare repositories.
	Root string
	// Addr is host:port.
	Addr string
	// ClientKey is the accepted client's private key, PEM in OpenSSH
	// format (what `ssh-keygen` writes and a Secret mounts).
	ClientKey []byte
	// HostKey is the server's public host key.
	HostKey ssh.PublicKey
	// KnownHosts is the server's known_hosts line (HostKey at Addr).
	KnownHosts string

	cfg    *ssh.ServerConfig
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{} // open, closed by Stop
	pushes atomic.Int64
	users  sync.Map // SSH user names seen
}

// StartSSH serves root (the Root of a Server, or any folder of bare
// repositories) over SSH until the test ends.
func StartSSH(t testing.TB, root string) *SSHServer {
	t.Helper()
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	s, err := NewSSH(root)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// NewSSH makes a host key and a client key and starts serving root.
func NewSSH(root string) (*SSHServer, error) {
	_, hostKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	host, err := ssh.NewSignerFromKey(hostKey)
	if err != nil {
		return nil, err
	}
	clientPub, clientKey, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	authorized, err := ssh.NewPublicKey(clientPub)
	if err != nil {
		return nil, err
	}
	block, err := ssh.MarshalPrivateKey(clientKey, "")
	if err != nil {
		return nil, err
	}
	s := &SSHServer{Root: root, ClientKey: pem.EncodeToMemory(block), HostKey: host.PublicKey(), conns: map[net.Conn]struct{}{}}
	s.cfg = &ssh.ServerConfig{
		PublicKeyCallback: func(md ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if key.Type() != authorized.Type() || string(key.Marshal()) != string(authorized.Marshal()) {
				return nil, errors.New("unknown public key")
			}
			s.users.Store(md.User(), true)
			return &ssh.Permissions{}, nil
		},
	}
	s.cfg.AddHostKey(host)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.ln, s.Addr = ln, ln.Addr().String()
	s.KnownHosts = knownhosts.Line([]string{knownhosts.Normalize(s.Addr)}, host.PublicKey())
	s.wg.Add(1)
	go s.serve()
	return s, nil
}

// ClientFiles writes ClientKey and KnownHosts into dir as a client (or a
// mounted Secret) holds them, and returns the two paths.
func (s *SSHServer) ClientFiles(t testing.TB, dir string) (keyFile, knownHostsFile string) {
	t.Helper()
	return WriteFile(t, dir, "id_ed25519", s.ClientKey), WriteFile(t, dir, "known_hosts", []byte(s.KnownHosts+"\n"))
}

// KnownHostsAt is a known_hosts line that lists this server's host key for
// addr: for a client of the server at addr, the key of an impostor.
func (s *SSHServer) KnownHostsAt(addr string) string {
	return knownhosts.Line([]string{knownhosts.Normalize(addr)}, s.HostKey)
}

// WriteFile writes b to dir/name (mode 0600) and returns the path.
func WriteFile(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// URL returns the ssh:// URL of the repository name as user git.
func (s *SSHServer) URL(name string) string { return "ssh://git@" + s.Addr + "/" + name }

// Pushes counts the git-receive-pack sessions: the pushes of clients
// that authenticated, whether git then took the push or not.
func (s *SSHServer) Pushes() int64 { return s.pushes.Load() }

// SawUser reports whether a client authenticated as user.
func (s *SSHServer) SawUser(user string) bool { _, ok := s.users.Load(user); return ok }

// Stop closes the listener and every open connection, and waits for their
// sessions to end.
func (s *SSHServer) Stop() {
	_ = s.ln.Close()
	s.mu.Lock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

func (s *SSHServer) serve() {
	defer s.wg.Done()
	for {
		nc, err := s.ln.Accept()
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns[nc] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.conn(nc)
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
		}()
	}
}

func (s *SSHServer) conn(nc net.Conn) {
	defer func() { _ = nc.Close() }()
	sc, chans, reqs, err := ssh.NewServerConn(nc, s.cfg)
	if err != nil {
		return // refused key, or a client that went away
	}
	defer func() { _ = sc.Close() }()
	go ssh.DiscardRequests(reqs)
	var sessions sync.WaitGroup
	for nch := range chans {
		if nch.ChannelType() != "session" {
			_ = nch.Reject(ssh.UnknownChannelType, "only sessions")
			continue
		}
		ch, creqs, err := nch.Accept()
		if err != nil {
			continue
		}
		sessions.Add(1)
		go func() {
			defer sessions.Done()
			s.session(ch, creqs)
		}()
	}
	sessions.Wait()
}

// session waits for an exec request, runs the git command it names and
// reports its exit status. Anything else (a shell, a pty) is refused.
func (s *SSHServer) session(ch ssh.Channel, reqs <-chan *ssh.Request) {
	defer func() { _ = ch.Close() }()
	for req := range reqs {
		switch req.Type {
		case "env":
			_ = req.Reply(true, nil)
		case "exec":
			var payload struct{ Command string }
			if err := ssh.Unmarshal(req.Payload, &payload); err != nil {
				_ = req.Reply(false, nil)
				return
			}
			service, dir, err := s.command(payload.Command)
			if err != nil {
				_ = req.Reply(true, nil)
				_, _ = fmt.Fprintf(ch.Stderr(), "fatal: %v\n", err)
				exit(ch, 128)
				return
			}
			_ = req.Reply(true, nil)
			if service == "receive-pack" {
				// Counted before it runs: a client has its answer before
				// git exits, so a count after would race with its checks.
				s.pushes.Add(1)
			}
			exit(ch, s.run(ch, service, dir))
			return
		default:
			_ = req.Reply(false, nil)
		}
	}
}

// command parses "git-upload-pack '/repo.git'" (or receive-pack) into the
// git subcommand and the repository's folder under Root.
func (s *SSHServer) command(cmd string) (service, dir string, err error) {
	prog, arg, ok := strings.Cut(strings.TrimSpace(cmd), " ")
	if !ok || (prog != "git-upload-pack" && prog != "git-receive-pack") {
		return "", "", fmt.Errorf("only git-upload-pack and git-receive-pack are served, not %q", cmd)
	}
	arg = strings.Trim(strings.TrimSpace(arg), "'\"")
	clean := path.Clean("/" + arg)
	if clean == "/" || strings.Contains(arg, "..") {
		return "", "", fmt.Errorf("bad repository path %q", arg)
	}
	return strings.TrimPrefix(prog, "git-"), filepath.Join(s.Root, filepath.FromSlash(clean)), nil
}

// run runs git service on dir with the channel as its standard streams
// and returns its exit code.
func (s *SSHServer) run(ch ssh.Channel, service, dir string) int {
	cmd := exec.Command("git", service, dir)
	cmd.Stdout, cmd.Stderr = ch, ch.Stderr()
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return 128
	}
	if err := cmd.Start(); err != nil {
		_, _ = fmt.Fprintf(ch.Stderr(), "fatal: %v\n", err)
		return 128
	}
	// Not waited for: it ends when the client closes its side or the
	// channel is closed after the exit status.
	go func() {
		_, _ = io.Copy(stdin, ch)
		_ = stdin.Close()
	}()
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		return 128
	}
	return 0
}

func exit(ch ssh.Channel, code int) {
	_, _ = ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{uint32(code)})) //nolint:gosec // exit codes are 0-255
}
