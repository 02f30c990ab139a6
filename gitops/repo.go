package gitops

import (
	"context"
	"errors"
	"fmt"
	"io"
	neturl "net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
)

const remoteName = "origin"

// errRejected reports that the remote branch moved since the fetch, so the
// compare-and-swap push was refused. The sink fetches and tries again.
var errRejected = errors.New("push rejected: the branch moved on")

// repo is the local clone of one replica: a bare repository (no work
// tree) in the cache folder, fetched incrementally. Only the remote
// tracking ref of the target branch moves, and only to what the remote
// holds, so a failed change leaves nothing behind but unreferenced objects.
type repo struct {
	url      string
	branch   plumbing.ReferenceName // refs/heads/<branch> on the remote
	tracking plumbing.ReferenceName // refs/remotes/origin/<branch> here
	git      *git.Repository
	auth     Auth
}

// openRepo opens the bare clone in dir, creating it if needed, and points
// its remote at url.
func openRepo(dir, url, branch string, auth Auth) (*repo, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("gitops cache folder: %w", err)
	}
	r, err := git.PlainOpen(dir)
	if errors.Is(err, git.ErrRepositoryNotExists) {
		r, err = git.PlainInit(dir, true)
	}
	if err != nil {
		return nil, fmt.Errorf("gitops cache %s: %w", dir, err)
	}
	rc := &config.RemoteConfig{
		Name:  remoteName,
		URLs:  []string{url},
		Fetch: []config.RefSpec{config.RefSpec("+refs/heads/" + branch + ":refs/remotes/" + remoteName + "/" + branch)},
	}
	if existing, err := r.Remote(remoteName); err == nil {
		if c := existing.Config(); len(c.URLs) != 1 || c.URLs[0] != url || len(c.Fetch) != 1 || c.Fetch[0] != rc.Fetch[0] {
			if err := r.DeleteRemote(remoteName); err != nil {
				return nil, fmt.Errorf("gitops cache %s: %w", dir, err)
			}
			existing = nil
		}
		if existing != nil {
			rc = nil
		}
	}
	if rc != nil {
		if _, err := r.CreateRemote(rc); err != nil {
			return nil, fmt.Errorf("gitops cache %s: %w", dir, err)
		}
	}
	return &repo{
		url:      url,
		branch:   plumbing.NewBranchReferenceName(branch),
		tracking: plumbing.NewRemoteReferenceName(remoteName, branch),
		git:      r,
		auth:     auth,
	}, nil
}

// fetch brings the target branch up to date and returns its head, or the
// zero hash if the remote has no such branch yet. Any failure to talk to
// the remote is ErrUnavailable.
func (r *repo) fetch(ctx context.Context) (plumbing.Hash, error) {
	auth, err := r.auth.method(r.url)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("%w: %w", ErrUnavailable, err)
	}
	err = r.git.FetchContext(ctx, &git.FetchOptions{
		RemoteName: remoteName,
		Auth:       auth,
		Tags:       git.NoTags,
	})
	switch {
	case err == nil, errors.Is(err, git.NoErrAlreadyUpToDate):
	case errors.Is(err, transport.ErrEmptyRemoteRepository), errors.Is(err, git.NoMatchingRefSpecError{}):
		// No branch yet: the first commit creates it. Forget a branch the
		// remote no longer has.
		if err := r.git.Storer.RemoveReference(r.tracking); err != nil {
			return plumbing.ZeroHash, fmt.Errorf("gitops cache: %w", err)
		}
		return plumbing.ZeroHash, nil
	default:
		return plumbing.ZeroHash, unavailable("fetch", r.url, err)
	}
	ref, err := r.git.Storer.Reference(r.tracking)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("gitops cache: %w", err)
	}
	return ref.Hash(), nil
}

// push asks the remote to move the branch from base to commit, sending
// objects (everything the change created; the remote has the rest since it
// has base). The update is a compare-and-swap: git receive-pack refuses it
// if the branch no longer points at base, and it is never forced, so a
// concurrent change is never overwritten. A refused update is errRejected.
//
// ref is the branch to move: the target branch (whose tracking ref then
// follows), or a new branch of the pull-request flow (base zero: created).
func (r *repo) push(ctx context.Context, ref plumbing.ReferenceName, base, commit plumbing.Hash, objects []plumbing.Hash) (err error) {
	auth, err := r.auth.method(r.url)
	if err != nil {
		return err
	}
	ep, err := transport.NewEndpoint(r.url)
	if err != nil {
		return err
	}
	c, err := client.NewClient(ep)
	if err != nil {
		return err
	}
	sess, err := c.NewReceivePackSession(ep, auth)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := sess.Close(); cerr != nil && err == nil {
			err = cerr
		}
	}()
	adv, err := sess.AdvertisedReferencesContext(ctx)
	if err != nil {
		return err
	}
	if adv.References[ref.String()] != base {
		return errRejected
	}
	req := packp.NewReferenceUpdateRequestFromCapabilities(adv.Capabilities)
	req.Commands = []*packp.Command{{Name: ref, Old: base, New: commit}}
	pr, pw := io.Pipe()
	req.Packfile = pr
	var packErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		enc := packfile.NewEncoder(pw, r.git.Storer, !adv.Capabilities.Supports(capability.OFSDelta))
		_, packErr = enc.Encode(objects, 10)
		_ = pw.CloseWithError(packErr) // always nil; the reader sees packErr
	}()
	status, err := sess.ReceivePack(ctx, req)
	if err != nil {
		_ = pr.CloseWithError(err) // unblocks the encoder
		<-done
		return err
	}
	<-done
	if packErr != nil {
		return fmt.Errorf("pack: %w", packErr)
	}
	if status != nil {
		if status.UnpackStatus != "ok" {
			return fmt.Errorf("the remote could not unpack the change: %s", status.UnpackStatus)
		}
		if err := status.Error(); err != nil {
			return fmt.Errorf("%w: %w", errRejected, err)
		}
	}
	if ref != r.branch {
		return nil
	}
	return r.git.Storer.SetReference(plumbing.NewHashReference(r.tracking, commit))
}

// treeOf returns the root tree of a commit (zero for the zero commit).
func (r *repo) treeOf(commit plumbing.Hash) (plumbing.Hash, error) {
	if commit.IsZero() {
		return plumbing.ZeroHash, nil
	}
	c, err := object.GetCommit(r.git.Storer, commit)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("read commit %s: %w", commit, err)
	}
	return c.TreeHash, nil
}

// writeCommit stores a commit object and returns its hash.
func (r *repo) writeCommit(c *object.Commit) (plumbing.Hash, error) {
	obj := r.git.Storer.NewEncodedObject()
	if err := c.Encode(obj); err != nil {
		return plumbing.ZeroHash, fmt.Errorf("encode commit: %w", err)
	}
	h, err := r.git.Storer.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("store commit: %w", err)
	}
	return h, nil
}

// redact drops credentials from a URL before it is printed: the whole
// user part of an HTTP(S) URL (a token may sit there), the password of an
// SSH URL.
func redact(raw string) string {
	u, err := neturl.Parse(raw)
	if err != nil {
		// scp-like "git@host:org/repo" has no password; anything else that
		// does not parse loses whatever sits before an "@".
		if i, j := strings.Index(raw, "://"), strings.LastIndex(raw, "@"); i >= 0 && j > i {
			return raw[:i+3] + "***" + raw[j:]
		}
		return raw
	}
	if u.User == nil {
		return raw
	}
	if u.Scheme == "ssh" {
		u.User = neturl.User(u.User.Username())
	} else {
		u.User = nil
	}
	return u.String()
}

// tempCache makes a cache folder when none is configured.
func tempCache() (string, error) {
	dir, err := os.MkdirTemp("", "aigw-console-gitops-")
	if err != nil {
		return "", fmt.Errorf("gitops cache folder: %w", err)
	}
	return filepath.Clean(dir), nil
}

// Redact returns a Git URL without the credentials it may carry, for logs
// and messages.
func Redact(url string) string { return redact(url) }
