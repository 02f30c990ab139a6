package gitops

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"strings"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/aigw-console/aigw-console/app/sink"
)

// VersionPrefix starts the ResourceVersion of every entry of a GitOps
// result: "git:<commit SHA>", the commit that holds the object's desired
// state (see CommitOf).
const VersionPrefix = "git:"

// Options configure New. The zero value of every field but URL works.
type Options struct {
	// URL of the Git remote: https://, http://, ssh:// or scp-like
	// (git@host:org/repo.git). Required.
	URL string
	// Branch the sink commits to. Default: "main".
	Branch string
	// Root is the folder of the repository the sink owns; objects go to
	// <Root>/<namespace>/<kind>/<name>.yaml. Default: "clusters/default".
	Root string
	// Auth holds the credentials. Default: anonymous.
	Auth Auth
	// CacheDir holds this replica's local clone (bare, no work tree),
	// fetched incrementally on every Apply; give each replica its own (an
	// emptyDir is enough: it is only a cache). Default: a temporary folder
	// that Close removes.
	CacheDir string
	// AuthorName and AuthorEmail sign the commits (author and committer).
	// The person acting goes into a trailer (WithUser). Default:
	// "aigw-console" <aigw-console@localhost>.
	AuthorName, AuthorEmail string
	// Recipients are the age public keys (age1...) Secret values are
	// SOPS-encrypted for; Flux's kustomize-controller decrypts them with
	// the matching identity. Default: none, and then a change set that
	// carries Secret values is refused (UnencryptedSecretError).
	Recipients []string
	// Identities are age private keys (AGE-SECRET-KEY-1...) the sink may
	// use to read back the Secrets it committed, so that an unchanged
	// Secret makes no commit. Default: none; every Apply that carries
	// Secret values then encrypts them again and commits.
	Identities []string
	// MaxAttempts bounds the push attempts of one Apply when other writers
	// move the branch in between. Default: 10.
	MaxAttempts int
	// Backoff is the wait before the second attempt, doubled (with jitter)
	// for each further one, at most 2s. Default: 25ms.
	Backoff time.Duration
	// Timeout bounds one Apply, retries included. Default: 60s.
	Timeout time.Duration
	// Logger receives retries and failures. Default: slog.Default().
	Logger *slog.Logger
	// Now dates commits and SOPS metadata. Default: time.Now.
	Now func() time.Time
	// Flow is how a change reaches Branch: FlowPush commits to it,
	// FlowPullRequest pushes a branch of its own and opens a pull request
	// through Forge. Default: FlowPush.
	Flow Flow
	// AllowFlowOverride lets a change set ask for the other flow
	// (sink.ChangeSet.Flow, the API's ?flow=). Default: false, and a change
	// set that asks for a flow other than Flow is refused (FlowError).
	AllowFlowOverride bool
	// Forge opens the pull requests of FlowPullRequest. Required for it.
	Forge Forge
}

// Sink commits change sets to a Git repository for Flux or Argo CD to
// apply. It is safe for concurrent use; Applies of one Sink run one at a
// time (they share the local clone), Sinks of several replicas race
// through the remote, where a compare-and-swap push decides.
type Sink struct {
	opts    Options
	root    string
	repo    *repo
	enc     *encryptor
	log     *slog.Logger
	tempDir string

	// turn is a one-slot semaphore: Applies share the clone, so they take
	// turns, and one that waits too long gives up with its context.
	turn chan struct{}
}

var _ sink.Sink = (*Sink)(nil)

// New opens (or creates) the local clone in opts.CacheDir and fetches the
// branch once, so that a wrong URL or credential stops the console at
// start-up rather than at the first write. A remote that has no such
// branch yet is fine: the first commit creates it.
func New(ctx context.Context, opts Options) (*Sink, error) {
	if opts.URL == "" {
		return nil, errors.New("gitops: a repository URL is required")
	}
	if opts.Branch == "" {
		opts.Branch = "main"
	}
	if opts.Root == "" {
		opts.Root = "clusters/default"
	}
	if opts.AuthorName == "" {
		opts.AuthorName = "aigw-console"
	}
	if opts.AuthorEmail == "" {
		opts.AuthorEmail = "aigw-console@localhost"
	}
	if opts.MaxAttempts <= 0 {
		opts.MaxAttempts = 10
	}
	if opts.Backoff <= 0 {
		opts.Backoff = 25 * time.Millisecond
	}
	if opts.Timeout <= 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Flow == "" {
		opts.Flow = FlowPush
	}
	if err := opts.Flow.valid(); err != nil {
		return nil, err
	}
	if (opts.Flow == FlowPullRequest || opts.AllowFlowOverride) && opts.Forge == nil {
		return nil, errors.New("gitops: the pull-request flow needs a forge")
	}
	if err := plumbing.NewBranchReferenceName(opts.Branch).Validate(); err != nil || strings.ContainsAny(opts.Branch, " ~^:?*[\\") {
		return nil, fmt.Errorf("gitops: invalid branch %q", opts.Branch)
	}
	root, err := CleanRoot(opts.Root)
	if err != nil {
		return nil, err
	}
	enc, err := newEncryptor(opts.Recipients, opts.Identities)
	if err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	s := &Sink{opts: opts, root: root, enc: enc, turn: make(chan struct{}, 1), log: opts.Logger.With("component", "gitops", "repository", redact(opts.URL), "branch", opts.Branch)}
	dir := opts.CacheDir
	if dir == "" {
		if dir, err = tempCache(); err != nil {
			return nil, err
		}
		s.tempDir = dir
	}
	if s.repo, err = openRepo(dir, opts.URL, opts.Branch, opts.Auth); err != nil {
		_ = s.Close()
		return nil, err
	}
	if _, err := s.repo.fetch(ctx); err != nil {
		_ = s.Close()
		return nil, err
	}
	return s, nil
}

// Close removes the temporary cache folder, if New made one.
func (s *Sink) Close() error {
	if s.tempDir == "" {
		return nil
	}
	return os.RemoveAll(s.tempDir)
}

// Apply implements sink.Sink: fetch, lay the change onto the remote head,
// commit, push; on a push refused because the branch moved, fetch and lay
// the change again onto the new head (bounded attempts, backoff with
// jitter). It never force-pushes.
//
// A change that leaves the tree as it is makes no commit and reports every
// object unchanged. A dry run reports what would happen, with a JSON Patch
// per configured object, and commits nothing. Every entry of a result that
// is not a dry run carries "git:<SHA>" in ResourceVersion: the commit that
// holds the change (or the head that already held it); CommitOf reads it.
//
// Force is meaningless in Git (there are no field managers) and ignored.
// Preconditions of the form "git:<SHA>" hold when the object's file is the
// same at that commit and at the head; any other resourceVersion is a
// cluster version that Git cannot check (the API checks it against the
// cluster before the change reaches the sink) and is skipped.
func (s *Sink) Apply(ctx context.Context, cs sink.ChangeSet) (sink.Result, error) {
	ctx, cancel := context.WithTimeout(ctx, s.opts.Timeout)
	defer cancel()
	flow, err := s.flowOf(cs)
	if err != nil {
		return sink.Result{}, err
	}
	if cs.Policy != "" && policyFrom(ctx) == "" {
		ctx = WithPolicyResult(ctx, cs.Policy)
	}
	p, err := s.prepare(cs)
	if err != nil {
		return sink.Result{}, err
	}
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return sink.Result{}, fmt.Errorf("%w: waiting for the other changes of this replica: %w", ErrUnavailable, ctx.Err())
	}
	wait := s.opts.Backoff
	for attempt := 1; ; attempt++ {
		base, err := s.repo.fetch(ctx)
		if err != nil {
			return sink.Result{}, err
		}
		c, err := s.build(ctx, base, p, cs)
		if err != nil {
			return sink.Result{}, err
		}
		if cs.DryRun {
			res := sink.Result(c.result)
			res.DryRun = true
			return res, nil
		}
		if c.commit.IsZero() {
			return c.result.withVersion(base), nil
		}
		if flow == FlowPullRequest {
			return s.pullRequest(ctx, base, c, cs)
		}
		perr := s.repo.push(ctx, s.repo.branch, base, c.commit, c.objects)
		if perr == nil {
			s.log.Info("committed", "commit", c.commit.String(), "objects", len(c.changes), "attempt", attempt, "user", UserFrom(ctx))
			return s.pushed(c), nil
		}
		// Find out what happened from the remote itself.
		head, err := s.repo.fetch(ctx)
		switch {
		case err != nil:
			return sink.Result{}, err
		case head == c.commit:
			// The push landed; only its answer was lost.
			return s.pushed(c), nil
		case head == base && errors.Is(perr, errRejected):
			return sink.Result{}, fmt.Errorf("%w: the remote refused the update of %s: %w", ErrUnavailable, s.repo.branch, perr)
		case head == base:
			return sink.Result{}, unavailable("push", s.repo.url, perr)
		}
		if attempt >= s.opts.MaxAttempts {
			return sink.Result{}, fmt.Errorf("%w: %s kept moving; gave up after %d attempts", ErrUnavailable, s.repo.branch, attempt)
		}
		s.log.Debug("branch moved, retrying", "attempt", attempt, "base", base.String(), "head", head.String())
		if err := sleep(ctx, jitter(wait)); err != nil {
			return sink.Result{}, fmt.Errorf("%w: %w", ErrUnavailable, err)
		}
		wait = min(2*wait, 2*time.Second)
	}
}

// prepared is a change set rendered, placed and (for Secrets) encrypted:
// everything that does not depend on what Git holds, done once per Apply
// and not once per attempt.
type prepared struct {
	apply   []staged
	delete  []removal
	pinned  []pinned
	summary string
}

// pinned is a "git:<SHA>" precondition.
type pinned struct {
	ref    sink.Ref
	path   string
	commit plumbing.Hash
	want   string
}

func (s *Sink) prepare(cs sink.ChangeSet) (*prepared, error) {
	p := &prepared{summary: cs.Summary}
	now := s.opts.Now()
	for _, obj := range cs.Apply {
		ref := sink.RefOf(obj)
		path, err := ObjectPath(s.root, ref)
		if err != nil {
			return nil, err
		}
		plain, err := Render(obj)
		if err != nil {
			return nil, err
		}
		st := staged{ref: ref, path: path, data: plain}
		secret := hasSecretValues(obj)
		if secret {
			if s.enc == nil {
				return nil, &UnencryptedSecretError{Object: ref}
			}
			st.plain = plain
			if st.data, err = s.enc.encrypt(plain, now); err != nil {
				// The error of sops never carries a value; name the object.
				return nil, fmt.Errorf("%s: %w", ref, err)
			}
		}
		st.view = view(obj, secret)
		p.apply = append(p.apply, st)
	}
	for _, ref := range cs.Delete {
		path, err := ObjectPath(s.root, ref)
		if err != nil {
			return nil, err
		}
		p.delete = append(p.delete, removal{ref: ref, path: path})
	}
	for _, pc := range cs.Preconditions {
		sha, ok := strings.CutPrefix(pc.ResourceVersion, VersionPrefix)
		if !ok {
			continue
		}
		path, err := ObjectPath(s.root, pc.Ref)
		if err != nil {
			return nil, err
		}
		h, valid := parseHash(sha)
		if !valid {
			return nil, &sink.PreconditionError{Object: pc.Ref, Want: pc.ResourceVersion, Have: "not a commit"}
		}
		p.pinned = append(p.pinned, pinned{ref: pc.Ref, path: path, commit: h, want: pc.ResourceVersion})
	}
	return p, nil
}

// built is one attempt's commit, not pushed yet.
type built struct {
	result  result
	changes []fileChange
	commit  plumbing.Hash   // zero: nothing to commit
	objects []plumbing.Hash // what the remote lacks
}

// build lays the change onto base and, unless it is a dry run or a no-op,
// writes the commit object. Nothing outside the object store changes.
func (s *Sink) build(ctx context.Context, base plumbing.Hash, p *prepared, cs sink.ChangeSet) (built, error) {
	baseTree, err := s.repo.treeOf(base)
	if err != nil {
		return built{}, err
	}
	t := newTree(s.repo.git.Storer, baseTree)
	if err := s.checkPinned(t, base, p.pinned); err != nil {
		return built{}, err
	}
	l := newLayout(s.root, t, s.enc)
	if err := l.checkRoot(); err != nil {
		return built{}, err
	}
	var b built
	for _, st := range p.apply {
		action, changes, err := l.apply(st, cs.DryRun)
		if err != nil {
			return built{}, err
		}
		e := sink.NewEntry(st.ref, action)
		e.Changes = changes
		b.result.Entries = append(b.result.Entries, e)
		if action != sink.Unchanged {
			b.changes = append(b.changes, fileChange{ref: st.ref, path: st.path, action: action})
		}
	}
	for _, r := range p.delete {
		removed, err := l.remove(r)
		if err != nil {
			return built{}, err
		}
		if removed {
			b.result.Entries = append(b.result.Entries, sink.NewEntry(r.ref, sink.Deleted))
			b.changes = append(b.changes, fileChange{ref: r.ref, path: r.path, action: sink.Deleted})
		}
	}
	if err := l.kustomize(); err != nil {
		return built{}, err
	}
	newTree, err := t.write()
	if err != nil {
		return built{}, err
	}
	if cs.DryRun || newTree == baseTree {
		return b, nil
	}
	when := s.opts.Now()
	sig := object.Signature{Name: s.opts.AuthorName, Email: s.opts.AuthorEmail, When: when}
	c := &object.Commit{
		Author:    sig,
		Committer: sig,
		Message:   commitMessage(ctx, p.summary, b.changes),
		TreeHash:  newTree,
	}
	if !base.IsZero() {
		c.ParentHashes = []plumbing.Hash{base}
	}
	if b.commit, err = s.repo.writeCommit(c); err != nil {
		return built{}, err
	}
	b.objects = append(t.written, b.commit)
	return b, nil
}

// checkPinned enforces "git:<SHA>" preconditions: the object's file must
// be the same at the pinned commit and at the head.
func (s *Sink) checkPinned(head *tree, base plumbing.Hash, pins []pinned) error {
	for _, pin := range pins {
		have := sink.PreconditionError{Object: pin.ref, Want: pin.want, Have: VersionPrefix + base.String()}
		pinnedTree, err := s.repo.treeOf(pin.commit)
		if err != nil {
			return &have // a commit this branch never had
		}
		then, thenOK, err := newTree(s.repo.git.Storer, pinnedTree).stat(pin.path)
		if err != nil {
			return err
		}
		now, nowOK, err := head.stat(pin.path)
		if err != nil {
			return err
		}
		if thenOK != nowOK || then != now {
			return &have
		}
	}
	return nil
}

// result is a sink.Result that learns its commit once the push succeeded.
type result sink.Result

func (r result) withVersion(commit plumbing.Hash) sink.Result {
	out := sink.Result(r)
	if commit.IsZero() {
		return out
	}
	for i := range out.Entries {
		out.Entries[i].ResourceVersion = VersionPrefix + commit.String()
	}
	return out
}

// CommitOf returns the commit SHA of a GitOps result ("" for a dry run or
// a result of another sink).
func CommitOf(res sink.Result) string {
	for _, e := range res.Entries {
		if sha, ok := strings.CutPrefix(e.ResourceVersion, VersionPrefix); ok {
			return sha
		}
	}
	return ""
}

func parseHash(s string) (plumbing.Hash, bool) {
	if len(s) != 40 {
		return plumbing.ZeroHash, false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return plumbing.ZeroHash, false
		}
	}
	return plumbing.NewHash(s), true
}

func jitter(d time.Duration) time.Duration {
	return d/2 + rand.N(d/2+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
