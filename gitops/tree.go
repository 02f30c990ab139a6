package gitops

import (
	"bytes"
	"fmt"
	"io"
	"path"
	"sort"

	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
)

// tree is a Git tree edited in memory, on top of an object store. There is
// no work tree on disk: a write never goes through a filesystem path, so a
// symlink cannot redirect it. The same rule an Lstat check enforces in a
// work tree is applied to the tree entries instead: a target path that runs
// through a symlink, a submodule, or a file where a folder should be, is
// refused with a PathError.
//
// Folders are read from the store on first use; write re-encodes only the
// folders on an edited path, so the cost of a change does not grow with
// the number of files elsewhere in the repository.
type tree struct {
	store storer.EncodedObjectStorer
	root  *folder
	// written lists every object stored while editing: with the commit,
	// they are exactly what the remote lacks, so a push sends them and
	// nothing else (no walk of the history to find what to send).
	written []plumbing.Hash
}

// folder is one loaded tree object.
type folder struct {
	hash    plumbing.Hash // as loaded; zero for a new folder
	entries map[string]*node
	loaded  bool
	dirty   bool
}

// node is one entry of a folder.
type node struct {
	mode filemode.FileMode
	hash plumbing.Hash
	dir  *folder // set once a sub-folder is loaded
}

// newTree starts editing the tree with the given hash (zero: empty tree).
func newTree(store storer.EncodedObjectStorer, hash plumbing.Hash) *tree {
	return &tree{store: store, root: &folder{hash: hash}}
}

func (t *tree) load(f *folder) error {
	if f.loaded {
		return nil
	}
	f.entries = map[string]*node{}
	f.loaded = true
	if f.hash.IsZero() {
		return nil
	}
	obj, err := object.GetTree(t.store, f.hash)
	if err != nil {
		return fmt.Errorf("read tree %s: %w", f.hash, err)
	}
	for _, e := range obj.Entries {
		f.entries[e.Name] = &node{mode: e.Mode, hash: e.Hash}
	}
	return nil
}

// walk returns the folders along dir (root first). With create, missing
// folders are added; without, walk stops at the first missing folder and
// returns the folders found so far and ok=false.
func (t *tree) walk(dir string, create bool) (chain []*folder, ok bool, err error) {
	f := t.root
	chain = []*folder{f}
	at := ""
	for _, c := range splitPath(dir) {
		at = path.Join(at, c)
		if err := t.load(f); err != nil {
			return nil, false, err
		}
		n, found := f.entries[c]
		if !found {
			if !create {
				return chain, false, nil
			}
			n = &node{mode: filemode.Dir, dir: &folder{loaded: true, entries: map[string]*node{}}}
			f.entries[c] = n
		}
		if err := checkFolderMode(at, n.mode); err != nil {
			return nil, false, err
		}
		if n.dir == nil {
			n.dir = &folder{hash: n.hash}
		}
		f = n.dir
		chain = append(chain, f)
	}
	if err := t.load(f); err != nil {
		return nil, false, err
	}
	return chain, true, nil
}

func checkFolderMode(at string, mode filemode.FileMode) error {
	switch mode {
	case filemode.Dir:
		return nil
	case filemode.Symlink:
		return &PathError{Path: at, Reason: "is a symlink in the repository"}
	case filemode.Submodule:
		return &PathError{Path: at, Reason: "is a submodule in the repository"}
	default:
		return &PathError{Path: at, Reason: "is a file where a folder is expected"}
	}
}

func checkFileMode(at string, mode filemode.FileMode) error {
	switch mode {
	case filemode.Regular, filemode.Executable, filemode.Deprecated:
		return nil
	case filemode.Symlink:
		return &PathError{Path: at, Reason: "is a symlink in the repository"}
	case filemode.Submodule:
		return &PathError{Path: at, Reason: "is a submodule in the repository"}
	default:
		return &PathError{Path: at, Reason: "is a folder where a file is expected"}
	}
}

// stat returns the blob hash of the file at p, and whether it exists.
func (t *tree) stat(p string) (plumbing.Hash, bool, error) {
	dir, name := path.Split(p)
	chain, ok, err := t.walk(path.Clean(dir), false)
	if err != nil || !ok {
		return plumbing.ZeroHash, false, err
	}
	n, found := chain[len(chain)-1].entries[name]
	if !found {
		return plumbing.ZeroHash, false, nil
	}
	if err := checkFileMode(p, n.mode); err != nil {
		return plumbing.ZeroHash, false, err
	}
	return n.hash, true, nil
}

// read returns the content of the file at p (nil if it does not exist).
func (t *tree) read(p string) ([]byte, error) {
	h, ok, err := t.stat(p)
	if err != nil || !ok {
		return nil, err
	}
	return readBlob(t.store, h)
}

func readBlob(store storer.EncodedObjectStorer, h plumbing.Hash) ([]byte, error) {
	b, err := object.GetBlob(store, h)
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	r, err := b.Reader()
	if err != nil {
		return nil, fmt.Errorf("read blob %s: %w", h, err)
	}
	defer r.Close()
	return io.ReadAll(r)
}

// put writes data at p, creating folders on the way. It reports whether
// the file existed and whether its content changed.
func (t *tree) put(p string, data []byte) (existed, changed bool, err error) {
	h := plumbing.ComputeHash(plumbing.BlobObject, data)
	old, existed, err := t.stat(p)
	if err != nil {
		return false, false, err
	}
	if existed && old == h {
		return true, false, nil
	}
	if err := t.writeBlob(data); err != nil {
		return false, false, err
	}
	dir, name := path.Split(p)
	chain, _, err := t.walk(path.Clean(dir), true)
	if err != nil {
		return false, false, err
	}
	chain[len(chain)-1].entries[name] = &node{mode: filemode.Regular, hash: h}
	for _, f := range chain {
		f.dirty = true
	}
	return existed, true, nil
}

// remove deletes the file at p and reports whether it existed. A folder
// left empty disappears when the tree is written, as in Git.
func (t *tree) remove(p string) (bool, error) {
	if _, ok, err := t.stat(p); err != nil || !ok {
		return false, err
	}
	dir, name := path.Split(p)
	chain, _, err := t.walk(path.Clean(dir), false)
	if err != nil {
		return false, err
	}
	delete(chain[len(chain)-1].entries, name)
	for _, f := range chain {
		f.dirty = true
	}
	return true, nil
}

// entry is one listed item of a folder.
type entry struct {
	name string
	mode filemode.FileMode
	// kustomized is set for a sub-folder that holds a kustomization.yaml.
	kustomized bool
}

// list returns the entries of the folder at dir (none if it is missing).
func (t *tree) list(dir string) ([]entry, error) {
	chain, ok, err := t.walk(dir, false)
	if err != nil || !ok {
		return nil, err
	}
	f := chain[len(chain)-1]
	out := make([]entry, 0, len(f.entries))
	for name, n := range f.entries {
		e := entry{name: name, mode: n.mode}
		if n.mode == filemode.Dir {
			_, k, err := t.stat(path.Join(dir, name, KustomizationFile))
			if err != nil {
				return nil, err
			}
			e.kustomized = k
		}
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

// write stores every edited folder and returns the new root tree hash.
func (t *tree) write() (plumbing.Hash, error) {
	h, _, err := t.writeFolder(t.root)
	return h, err
}

// writeFolder returns the folder's hash and whether it still has entries.
func (t *tree) writeFolder(f *folder) (plumbing.Hash, bool, error) {
	if !f.dirty {
		return f.hash, !f.hash.IsZero(), nil
	}
	var entries []object.TreeEntry
	for name, n := range f.entries {
		if n.dir != nil && n.dir.dirty {
			h, keep, err := t.writeFolder(n.dir)
			if err != nil {
				return plumbing.ZeroHash, false, err
			}
			if !keep {
				continue
			}
			n.hash = h
		}
		entries = append(entries, object.TreeEntry{Name: name, Mode: n.mode, Hash: n.hash})
	}
	// Git orders entries by name, comparing a folder as if its name ended
	// with "/"; any other order makes a tree that git fsck rejects.
	sort.Slice(entries, func(i, j int) bool { return gitName(entries[i]) < gitName(entries[j]) })
	if len(entries) == 0 && f != t.root {
		f.hash, f.dirty = plumbing.ZeroHash, false
		return plumbing.ZeroHash, false, nil
	}
	obj := t.store.NewEncodedObject()
	if err := (&object.Tree{Entries: entries}).Encode(obj); err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("encode tree: %w", err)
	}
	h, err := t.store.SetEncodedObject(obj)
	if err != nil {
		return plumbing.ZeroHash, false, fmt.Errorf("store tree: %w", err)
	}
	t.written = append(t.written, h)
	f.hash, f.dirty = h, false
	return h, true, nil
}

func gitName(e object.TreeEntry) string {
	if e.Mode == filemode.Dir {
		return e.Name + "/"
	}
	return e.Name
}

func (t *tree) writeBlob(data []byte) error {
	obj := t.store.NewEncodedObject()
	obj.SetType(plumbing.BlobObject)
	obj.SetSize(int64(len(data)))
	w, err := obj.Writer()
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	if _, err := io.Copy(w, bytes.NewReader(data)); err != nil {
		_ = w.Close()
		return fmt.Errorf("store blob: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	h, err := t.store.SetEncodedObject(obj)
	if err != nil {
		return fmt.Errorf("store blob: %w", err)
	}
	t.written = append(t.written, h)
	return nil
}
