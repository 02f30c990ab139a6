package gitops

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/go-git/go-billy/v5/osfs"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/storage/filesystem"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

// DefaultHistoryDepth is how many first-parent commits History walks
// when it builds its picture from nothing.
const DefaultHistoryDepth = 1000

// HistoryOptions configure NewHistory.
type HistoryOptions struct {
	// Depth bounds the first-parent walk from the head. A file whose last
	// change is older is reported with Truncated set and no commit.
	// Default: DefaultHistoryDepth.
	Depth int
	// Fetch brings the ref up to date from the remote (Sink.Fetch). nil:
	// Read never fetches.
	Fetch func(context.Context) error
}

// History answers, for every object file under the root of one branch,
// which commit last changed it: the desired commit of the object. It reads
// a bare repository (the sink's clone) through its own object store, keeps
// the answer for the head it saw, and when the head moves only looks at the
// new commits. It holds nothing that Git does not: a new History over the
// same repository gives the same answers.
type History struct {
	dir   string
	ref   plumbing.ReferenceName
	root  string
	opts  HistoryOptions
	store *filesystem.Storage

	mu   sync.Mutex
	last *Snapshot
}

// Snapshot is what the branch wants at one head. It is never modified
// once returned.
type Snapshot struct {
	// Head is the branch head (zero for a branch that does not exist yet).
	Head plumbing.Hash
	// Files are the object files at the head, by repository path.
	Files map[string]File
	// Deleted are object files removed within the walked history, by path;
	// File.Commit is the commit that removed the file.
	Deleted map[string]File
	// Truncated reports that the walk stopped at its depth before the
	// branch's first commit.
	Truncated bool

	// chain is the first-parent chain from the head, head first, bounded
	// by the depth; index is each commit's position in it.
	chain []plumbing.Hash
	index map[plumbing.Hash]int
}

// File is one object file and the commit that last changed it.
type File struct {
	// Path is the repository path, <root>/<namespace>/<kind>/<name>.yaml.
	Path string
	// Namespace is "" for the cluster scope folder.
	Namespace string
	// Kind is the lowercase kind folder, e.g. "aiservicebackend".
	Kind string
	// Name is the object name (the file name without .yaml).
	Name string
	// Blob is the file content's hash (zero in Deleted).
	Blob plumbing.Hash
	// Commit is the last first-parent commit that changed the file (for
	// Deleted: removed it); zero when Truncated.
	Commit plumbing.Hash
	// When is the commit's committer time.
	When time.Time
	// Truncated reports that no commit within the depth changed the file.
	Truncated bool
}

// Includes reports whether the branch at commit applied already holds
// what commit desired brought: applied is desired or a later commit of
// the first-parent chain. A commit outside the walked chain never
// includes anything, which errs on the side of "not applied yet".
func (s *Snapshot) Includes(applied, desired plumbing.Hash) bool {
	if s == nil || applied.IsZero() || desired.IsZero() {
		return false
	}
	a, ok := s.index[applied]
	if !ok {
		return false
	}
	d, ok := s.index[desired]
	return ok && a <= d
}

// NewHistory reads the bare repository in dir, following ref (for a
// Sink's clone: refs/remotes/origin/<branch>; see Sink.History), for the
// object files under root.
func NewHistory(dir, ref, root string, opts HistoryOptions) (*History, error) {
	r, err := CleanRoot(root)
	if err != nil {
		return nil, err
	}
	if opts.Depth <= 0 {
		opts.Depth = DefaultHistoryDepth
	}
	store := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())
	return &History{dir: dir, ref: plumbing.ReferenceName(ref), root: r, opts: opts, store: store}, nil
}

// History returns a History over the sink's own clone and branch; its
// Fetch takes turns with Apply.
func (s *Sink) History(opts HistoryOptions) (*History, error) {
	dir := s.opts.CacheDir
	if dir == "" {
		dir = s.tempDir
	}
	if opts.Fetch == nil {
		opts.Fetch = s.Fetch
	}
	return NewHistory(dir, s.repo.tracking.String(), s.root, opts)
}

// Fetch brings the sink's clone up to date with the remote branch (what
// other replicas and merged pull requests committed), taking turns with
// Apply.
func (s *Sink) Fetch(ctx context.Context) error {
	select {
	case s.turn <- struct{}{}:
		defer func() { <-s.turn }()
	case <-ctx.Done():
		return fmt.Errorf("%w: %w", ErrUnavailable, ctx.Err())
	}
	_, err := s.repo.fetch(ctx)
	return err
}

// Branch is the branch the sink commits to.
func (s *Sink) Branch() string { return s.opts.Branch }

// Root is the folder of the repository the sink owns (clean).
func (s *Sink) Root() string { return s.root }

// Read returns the snapshot at the current head, fetching first when
// fetch is set (and Options.Fetch exists). An unchanged head costs a ref
// read; a moved head costs a look at the new commits only (or a full walk
// when the old head is no longer on the branch, after a force-push).
func (h *History) Read(ctx context.Context, fetch bool) (*Snapshot, error) {
	if fetch && h.opts.Fetch != nil {
		if err := h.opts.Fetch(ctx); err != nil {
			return nil, err
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	head, err := h.head()
	if err != nil {
		return nil, err
	}
	if h.last != nil && h.last.Head == head {
		return h.last, nil
	}
	// Another store instance (the sink's) wrote new packs and objects.
	h.store.Reindex()
	var s *Snapshot
	if h.last != nil && !h.last.Head.IsZero() && !head.IsZero() {
		s, err = h.advance(ctx, h.last, head)
	}
	if s == nil && err == nil {
		s, err = h.build(ctx, head)
	}
	if err != nil {
		return nil, err
	}
	h.last = s
	return s, nil
}

func (h *History) head() (plumbing.Hash, error) {
	ref, err := h.store.Reference(h.ref)
	if errors.Is(err, plumbing.ErrReferenceNotFound) {
		return plumbing.ZeroHash, nil
	}
	if err != nil {
		return plumbing.ZeroHash, fmt.Errorf("gitops history: %w", err)
	}
	return ref.Hash(), nil
}

// step is one commit of the first-parent chain and its parent.
type step struct {
	commit, parent plumbing.Hash
	tree, ptree    plumbing.Hash // root folder trees (zero: no root folder)
	when           time.Time
}

// walk yields the first-parent chain from head, head first, until stop
// (exclusive), the first commit, or limit commits. It reports whether it
// reached stop (or the first commit when stop is zero).
func (h *History) walk(ctx context.Context, head, stop plumbing.Hash, limit int, fn func(step) error) (bool, error) {
	at := head
	for n := 0; n < limit; n++ {
		if at == stop {
			return true, nil
		}
		if at.IsZero() {
			return stop.IsZero(), nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		c, err := object.GetCommit(h.store, at)
		if err != nil {
			return false, fmt.Errorf("gitops history: read commit %s: %w", at, err)
		}
		st := step{commit: at, when: c.Committer.When}
		if st.tree, err = h.rootTree(c.TreeHash); err != nil {
			return false, err
		}
		if len(c.ParentHashes) > 0 {
			st.parent = c.ParentHashes[0]
			pc, err := object.GetCommit(h.store, st.parent)
			if err != nil {
				return false, fmt.Errorf("gitops history: read commit %s: %w", st.parent, err)
			}
			if st.ptree, err = h.rootTree(pc.TreeHash); err != nil {
				return false, err
			}
		}
		if err := fn(st); err != nil {
			return false, err
		}
		at = st.parent
	}
	return at == stop, nil
}

// rootTree returns the tree of the root folder within a commit's tree.
func (h *History) rootTree(tree plumbing.Hash) (plumbing.Hash, error) {
	at := tree
	for _, c := range splitPath(h.root) {
		t, err := object.GetTree(h.store, at)
		if err != nil {
			return plumbing.ZeroHash, fmt.Errorf("gitops history: read tree %s: %w", at, err)
		}
		found := false
		for _, e := range t.Entries {
			if e.Name == c && e.Mode == filemode.Dir {
				at, found = e.Hash, true
				break
			}
		}
		if !found {
			return plumbing.ZeroHash, nil
		}
	}
	return at, nil
}

// build walks from head with nothing known.
func (h *History) build(ctx context.Context, head plumbing.Hash) (*Snapshot, error) {
	s := &Snapshot{Head: head, Files: map[string]File{}, Deleted: map[string]File{}, index: map[plumbing.Hash]int{}}
	if head.IsZero() {
		return s, nil
	}
	c, err := object.GetCommit(h.store, head)
	if err != nil {
		return nil, fmt.Errorf("gitops history: read commit %s: %w", head, err)
	}
	tree, err := h.rootTree(c.TreeHash)
	if err != nil {
		return nil, err
	}
	// Every object file at the head, unresolved so far.
	if err := h.diff(plumbing.ZeroHash, tree, h.root, 0, func(p string, blob plumbing.Hash) {
		if f, ok := h.file(p); ok {
			f.Blob = blob
			f.Truncated = true
			s.Files[p] = f
		}
	}); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	complete, err := h.walk(ctx, head, plumbing.ZeroHash, h.opts.Depth, func(st step) error {
		s.index[st.commit] = len(s.chain)
		s.chain = append(s.chain, st.commit)
		return h.diff(st.ptree, st.tree, h.root, 0, func(p string, _ plumbing.Hash) {
			h.note(s, seen, p, st)
		})
	})
	if err != nil {
		return nil, err
	}
	s.Truncated = !complete
	return s, nil
}

// note records that commit st changed path p, if no later commit did.
func (h *History) note(s *Snapshot, seen map[string]bool, p string, st step) {
	if seen[p] {
		return
	}
	seen[p] = true
	if f, ok := s.Files[p]; ok {
		f.Commit, f.When, f.Truncated = st.commit, st.when, false
		s.Files[p] = f
		return
	}
	if f, ok := h.file(p); ok {
		f.Commit, f.When = st.commit, st.when
		s.Deleted[p] = f
	}
}

// advance moves prev to head by looking at the commits in between only.
// It returns nil (no error) when prev's head is not on head's first-parent
// chain within the depth: then only a full walk can tell.
func (h *History) advance(ctx context.Context, prev *Snapshot, head plumbing.Hash) (*Snapshot, error) {
	var steps []step
	found, err := h.walk(ctx, head, prev.Head, h.opts.Depth, func(st step) error {
		steps = append(steps, st)
		return nil
	})
	if err != nil || !found {
		return nil, err
	}
	s := &Snapshot{Head: head, Truncated: prev.Truncated,
		Files: make(map[string]File, len(prev.Files)), Deleted: make(map[string]File, len(prev.Deleted))}
	for p, f := range prev.Files {
		s.Files[p] = f
	}
	for p, f := range prev.Deleted {
		s.Deleted[p] = f
	}
	// The files as they are at the new head: what changed between the two
	// heads is added, replaced or removed.
	newTree, oldTree := steps[0].tree, steps[len(steps)-1].ptree
	if err := h.diff(oldTree, newTree, h.root, 0, func(p string, blob plumbing.Hash) {
		if blob.IsZero() {
			delete(s.Files, p)
			return
		}
		f, ok := h.file(p)
		if ok {
			f.Blob = blob
			s.Files[p] = f
		}
	}); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, st := range steps {
		if err := h.diff(st.ptree, st.tree, h.root, 0, func(p string, _ plumbing.Hash) {
			if seen[p] {
				return
			}
			if _, ok := s.Files[p]; ok {
				delete(s.Deleted, p)
			}
			h.note(s, seen, p, st)
		}); err != nil {
			return nil, err
		}
	}
	// The chain: the new commits, then the old chain, within the depth.
	s.chain = make([]plumbing.Hash, 0, min(h.opts.Depth, len(steps)+len(prev.chain)))
	for _, st := range steps {
		s.chain = append(s.chain, st.commit)
	}
	for _, c := range prev.chain {
		if len(s.chain) >= h.opts.Depth {
			s.Truncated = true
			break
		}
		s.chain = append(s.chain, c)
	}
	s.index = make(map[plumbing.Hash]int, len(s.chain))
	for i, c := range s.chain {
		s.index[c] = i
	}
	// Deletions older than the kept chain are forgotten, like a cold walk
	// would.
	for p, f := range s.Deleted {
		if _, ok := s.index[f.Commit]; !ok {
			delete(s.Deleted, p)
		}
	}
	return s, nil
}

// diff calls fn for every file that differs between the trees a (before)
// and b (after) below dir, with the blob in b (zero: removed). Equal
// subtrees are skipped by hash, so a commit that changed one file costs one
// path of tree reads. depth counts folders below the root: object files
// sit at depth 2 (<namespace>/<kind>/<name>.yaml).
func (h *History) diff(a, b plumbing.Hash, dir string, depth int, fn func(string, plumbing.Hash)) error {
	if a == b {
		return nil
	}
	ea, err := h.entries(a)
	if err != nil {
		return err
	}
	eb, err := h.entries(b)
	if err != nil {
		return err
	}
	for name, nb := range eb {
		na, inA := ea[name]
		p := path.Join(dir, name)
		switch {
		case nb.Mode == filemode.Dir:
			if depth >= 2 {
				continue
			}
			var from plumbing.Hash
			if inA && na.Mode == filemode.Dir {
				from = na.Hash
			}
			if err := h.diff(from, nb.Hash, p, depth+1, fn); err != nil {
				return err
			}
		case depth == 2 && nb.Mode.IsFile():
			if !inA || na.Hash != nb.Hash || na.Mode != nb.Mode {
				fn(p, nb.Hash)
			}
		case inA && na.Mode == filemode.Dir:
			if err := h.diff(na.Hash, plumbing.ZeroHash, p, depth+1, fn); err != nil {
				return err
			}
		}
	}
	for name, na := range ea {
		if _, inB := eb[name]; inB {
			continue
		}
		p := path.Join(dir, name)
		switch {
		case na.Mode == filemode.Dir && depth < 2:
			if err := h.diff(na.Hash, plumbing.ZeroHash, p, depth+1, fn); err != nil {
				return err
			}
		case depth == 2 && na.Mode.IsFile():
			fn(p, plumbing.ZeroHash)
		}
	}
	return nil
}

func (h *History) entries(tree plumbing.Hash) (map[string]object.TreeEntry, error) {
	if tree.IsZero() {
		return nil, nil
	}
	t, err := object.GetTree(h.store, tree)
	if err != nil {
		return nil, fmt.Errorf("gitops history: read tree %s: %w", tree, err)
	}
	out := make(map[string]object.TreeEntry, len(t.Entries))
	for _, e := range t.Entries {
		out[e.Name] = e
	}
	return out, nil
}

// file parses <root>/<namespace>/<kind>/<name>.yaml; anything else (the
// kustomization.yaml files, files people added) is not an object file.
func (h *History) file(p string) (File, bool) {
	rel, ok := strings.CutPrefix(p, h.root+"/")
	if !ok {
		return File{}, false
	}
	parts := strings.Split(rel, "/")
	if len(parts) != 3 || parts[2] == KustomizationFile {
		return File{}, false
	}
	name, ok := strings.CutSuffix(parts[2], ".yaml")
	if !ok || name == "" {
		return File{}, false
	}
	f := File{Path: p, Namespace: parts[0], Kind: parts[1], Name: name}
	if f.Namespace == ClusterScope {
		f.Namespace = ""
	}
	return f, true
}

// Object reads the object in a file blob as the cluster would get it from
// an applier, for comparison with the live object: the SOPS metadata is
// dropped, and the values of a Secret's data and stringData are replaced
// by "" (they are encrypted; only the key names can be compared, and no
// value is ever decrypted here).
func (h *History) Object(blob plumbing.Hash) (*unstructured.Unstructured, error) {
	obj, err := h.store.EncodedObject(plumbing.BlobObject, blob)
	if err != nil {
		return nil, fmt.Errorf("gitops history: read blob %s: %w", blob, err)
	}
	rd, err := obj.Reader()
	if err != nil {
		return nil, fmt.Errorf("gitops history: read blob %s: %w", blob, err)
	}
	defer func() { _ = rd.Close() }()
	data, err := io.ReadAll(io.LimitReader(rd, 4<<20))
	if err != nil {
		return nil, fmt.Errorf("gitops history: read blob %s: %w", blob, err)
	}
	return DesiredObject(data)
}

// DesiredObject parses a rendered (possibly SOPS-encrypted) file the way
// History.Object does.
func DesiredObject(data []byte) (*unstructured.Unstructured, error) {
	m := map[string]any{}
	if err := yaml.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("gitops history: not an object: %w", err)
	}
	delete(m, "sops")
	u := &unstructured.Unstructured{Object: m}
	if u.GetKind() == "Secret" && u.GetAPIVersion() == "v1" {
		for _, field := range []string{"data", "stringData"} {
			if values, ok := m[field].(map[string]any); ok {
				for k := range values {
					values[k] = ""
				}
			}
		}
	}
	return u, nil
}
