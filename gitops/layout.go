package gitops

import (
	"errors"
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/filemode"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/sink"
)

// staged is one object of a change set, rendered and placed.
type staged struct {
	ref  sink.Ref
	path string
	// data is what goes into Git: the rendering, SOPS-encrypted for a
	// Secret that carries values.
	data []byte
	// plain is the clear rendering of such a Secret, kept only to compare
	// with what Git holds; nil for every other object.
	plain []byte
	// view is the object as the dry-run diff shows it (Secret values
	// masked).
	view map[string]any
}

// removal is one object to delete.
type removal struct {
	ref  sink.Ref
	path string
}

// layout applies rendered objects to a tree under root and keeps the
// kustomization.yaml files up to date.
type layout struct {
	root string
	t    *tree
	enc  *encryptor
	// touched are the folders whose kustomization may need an update.
	touched map[string]bool
}

func newLayout(root string, t *tree, enc *encryptor) *layout {
	return &layout{root: root, t: t, enc: enc, touched: map[string]bool{}}
}

// checkRoot refuses a root that runs through a symlink or a file.
func (l *layout) checkRoot() error {
	_, _, err := l.t.walk(l.root, false)
	return err
}

// apply writes one object and returns what happened to it, and on a dry
// run the JSON Patch from the file in Git to the new rendering.
func (l *layout) apply(s staged, diff bool) (sink.Action, []sink.Change, error) {
	old, err := l.t.read(s.path)
	if err != nil {
		return "", nil, withObject(err, s.ref)
	}
	if old != nil {
		if err := sameGroup(old, s.ref, s.path); err != nil {
			return "", nil, err
		}
	}
	data := s.data
	if s.plain != nil && old != nil && l.enc.same(old, s.plain) {
		data = old // the same values, already encrypted: keep the file as is
	}
	existed, changed, err := l.t.put(s.path, data)
	if err != nil {
		return "", nil, withObject(err, s.ref)
	}
	if !existed {
		// Only a new or removed file changes a folder's resources: an
		// update leaves the kustomizations alone (and costs nothing more
		// in a folder of thousands of files).
		l.touch(s.path)
	}
	action := sink.Unchanged
	switch {
	case !existed:
		action = sink.Created
	case changed:
		action = sink.Configured
	}
	var changes []sink.Change
	if diff && action == sink.Configured {
		changes, err = patch(old, s.view, s.plain != nil)
		if err != nil {
			return "", nil, fmt.Errorf("%s diff: %w", s.ref, err)
		}
	}
	return action, changes, nil
}

// remove deletes one object's file; it reports false if there was none.
func (l *layout) remove(r removal) (bool, error) {
	old, err := l.t.read(r.path)
	if err != nil {
		return false, withObject(err, r.ref)
	}
	if old == nil {
		return false, nil
	}
	if err := sameGroup(old, r.ref, r.path); err != nil {
		return false, err
	}
	if _, err := l.t.remove(r.path); err != nil {
		return false, withObject(err, r.ref)
	}
	l.touch(r.path)
	return true, nil
}

// touch marks every folder from the file's folder up to the root.
func (l *layout) touch(file string) {
	for d := path.Dir(file); ; d = path.Dir(d) {
		l.touched[d] = true
		if d == l.root || !strings.HasPrefix(d, l.root+"/") {
			break
		}
	}
}

// kustomize rewrites the kustomization.yaml of every folder where a file
// was added or removed, and of the root, deepest first, so that a folder's parent sees whether it still has one.
// A folder's resources are its YAML files and its sub-folders that hold a
// kustomization.yaml, sorted. A folder left without resources loses its
// kustomization.yaml (and disappears if nothing else is in it), except the
// root: it always keeps one, with "resources: []" when empty, so that Flux
// prunes everything instead of failing on a missing path.
func (l *layout) kustomize() error {
	if len(l.touched) == 0 {
		return nil // no file added or removed: every resources list holds
	}
	l.touched[l.root] = true
	dirs := make([]string, 0, len(l.touched))
	for d := range l.touched {
		dirs = append(dirs, d)
	}
	sort.Slice(dirs, func(i, j int) bool {
		di, dj := strings.Count(dirs[i], "/"), strings.Count(dirs[j], "/")
		if di != dj {
			return di > dj
		}
		return dirs[i] < dirs[j]
	})
	for _, d := range dirs {
		entries, err := l.t.list(d)
		if err != nil {
			return err
		}
		var resources []string
		for _, e := range entries {
			switch {
			case e.mode == filemode.Dir && e.kustomized:
				resources = append(resources, e.name)
			case e.mode == filemode.Regular && isManifest(e.name):
				resources = append(resources, e.name)
			}
		}
		file := path.Join(d, KustomizationFile)
		if len(resources) == 0 && d != l.root {
			if _, err := l.t.remove(file); err != nil {
				return err
			}
			continue
		}
		existing, err := l.t.read(file)
		if err != nil {
			return err
		}
		k, err := renderKustomization(existing, resources)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
		}
		if _, _, err := l.t.put(file, k); err != nil {
			return err
		}
	}
	return nil
}

// isManifest reports whether a file name is a manifest kustomize should
// list (not the kustomization itself).
func isManifest(name string) bool {
	switch name {
	case KustomizationFile, "kustomization.yml", "Kustomization":
		return false
	}
	return strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml")
}

// sameGroup refuses to overwrite or delete a file that holds an object of
// another API group with the same kind and name (two kinds named alike in
// different groups share a folder name).
func sameGroup(existing []byte, ref sink.Ref, p string) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal(existing, &head); err != nil {
		return &PathError{Object: ref, Path: p, Reason: "holds a file that is not a Kubernetes object"}
	}
	gv, err := schema.ParseGroupVersion(head.APIVersion)
	if err != nil {
		return &PathError{Object: ref, Path: p, Reason: "holds an object with an invalid apiVersion"}
	}
	if !strings.EqualFold(head.Kind, ref.GVK.Kind) || (ref.GVK.Version != "" && gv.Group != ref.GVK.Group) {
		return &PathError{Object: ref, Path: p, Reason: fmt.Sprintf("holds a %s of %s", head.Kind, head.APIVersion)}
	}
	return nil
}

// withObject names the object in a PathError that came from the tree.
func withObject(err error, ref sink.Ref) error {
	var pe *PathError
	if errors.As(err, &pe) && pe.Object.Name == "" {
		pe.Object = ref
	}
	return err
}
