package gitops

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// Auth holds the credentials for the Git remote. Values win over files;
// files are read again for every fetch and push, so a rotated Secret
// mounted as files is picked up without a restart. The zero value is
// anonymous access.
type Auth struct {
	// Username for HTTPS basic auth. Default: "git" when a password or
	// token is set (GitHub, GitLab and Gitea accept any user name with a
	// token as the password).
	Username string
	// Password is the HTTPS basic-auth password or an access token.
	Password string
	// PasswordFile is read for the password when Password is empty.
	PasswordFile string
	// BearerToken is sent as "Authorization: Bearer" instead of basic auth
	// (servers that take OAuth tokens that way).
	BearerToken string
	// BearerTokenFile is read for the token when BearerToken is empty.
	BearerTokenFile string

	// SSHKey is a PEM private key for ssh:// and scp-like URLs.
	SSHKey []byte
	// SSHKeyFile is read for the key when SSHKey is empty.
	SSHKeyFile string
	// SSHKeyPassphrase decrypts an encrypted SSHKey.
	SSHKeyPassphrase string
	// SSHUser is the SSH user. Default: "git".
	SSHUser string
	// SSHKnownHostsFile lists the accepted host keys (known_hosts format).
	// Required with an SSH key: the sink never trusts an unknown host key.
	SSHKnownHostsFile string
}

// method returns the go-git auth method for url, reading files as needed.
// Errors name the file, never its content.
func (a Auth) method(url string) (transport.AuthMethod, error) {
	ep, err := transport.NewEndpoint(url)
	if err != nil {
		return nil, fmt.Errorf("git URL %s: %w", redact(url), err)
	}
	switch ep.Protocol {
	case "ssh":
		return a.sshMethod()
	case "http", "https":
		return a.httpMethod()
	default:
		return nil, nil
	}
}

func (a Auth) httpMethod() (transport.AuthMethod, error) {
	token, err := valueOrFile(a.BearerToken, a.BearerTokenFile)
	if err != nil {
		return nil, err
	}
	if token != "" {
		return &githttp.TokenAuth{Token: token}, nil
	}
	password, err := valueOrFile(a.Password, a.PasswordFile)
	if err != nil {
		return nil, err
	}
	if password == "" && a.Username == "" {
		return nil, nil
	}
	user := a.Username
	if user == "" {
		user = "git"
	}
	return &githttp.BasicAuth{Username: user, Password: password}, nil
}

func (a Auth) sshMethod() (transport.AuthMethod, error) {
	key := a.SSHKey
	if len(key) == 0 && a.SSHKeyFile != "" {
		b, err := os.ReadFile(a.SSHKeyFile)
		if err != nil {
			return nil, fmt.Errorf("read SSH key file %s: %w", a.SSHKeyFile, err)
		}
		key = b
	}
	if len(key) == 0 {
		return nil, errors.New("an ssh:// Git URL needs an SSH key (SSHKey or SSHKeyFile)")
	}
	if a.SSHKnownHostsFile == "" {
		return nil, errors.New("an SSH key needs a known_hosts file (SSHKnownHostsFile): unknown host keys are never trusted")
	}
	user := a.SSHUser
	if user == "" {
		user = "git"
	}
	m, err := gitssh.NewPublicKeys(user, key, a.SSHKeyPassphrase)
	if err != nil {
		return nil, errors.New("the SSH key could not be parsed (wrong format or passphrase)")
	}
	cb, err := gitssh.NewKnownHostsCallback(a.SSHKnownHostsFile)
	if err != nil {
		return nil, fmt.Errorf("known_hosts file %s: %w", a.SSHKnownHostsFile, err)
	}
	m.HostKeyCallback = cb
	return m, nil
}

func valueOrFile(value, file string) (string, error) {
	if value != "" || file == "" {
		return value, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("read credential file %s: %w", file, err)
	}
	return strings.TrimSpace(string(b)), nil
}
