package policy

import (
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// bundle is the default policy set. It is read-only, so sharing it between
// engines is safe.
//
//go:embed bundle/*.rego
var bundle embed.FS

// embeddedPrefix names the embedded files in compile errors, so they cannot be
// mistaken for (or collide with) files of Options.Dir.
const embeddedPrefix = "embedded:"

// unsafeBuiltins are refused at compile time: a policy runs on every request,
// so it must not reach the network or depend on DNS.
func unsafeBuiltins() map[string]struct{} {
	return map[string]struct{}{"http.send": {}, "net.lookup_ip_addr": {}}
}

// capabilities are this OPA version's builtins without the unsafe ones, so
// a policy that calls them fails to compile.
func capabilities() *ast.Capabilities {
	caps := ast.CapabilitiesForThisVersion()
	unsafe := unsafeBuiltins()
	kept := caps.Builtins[:0]
	for _, b := range caps.Builtins {
		if _, ok := unsafe[b.Name]; !ok {
			kept = append(kept, b)
		}
	}
	caps.Builtins = kept
	return caps
}

// source is one .rego file: name is what errors show, key orders the set and
// feeds the revision hash (it does not depend on where Dir is mounted).
type source struct {
	name, key string
	text      []byte
}

// isPolicyFile reports whether name is a .rego file loaded for evaluation.
// Tests (_test.rego) run only under `opa test` and go test.
func isPolicyFile(name string) bool {
	return strings.HasSuffix(name, ".rego") && !strings.HasSuffix(name, "_test.rego")
}

// embeddedSources reads the default bundle.
func embeddedSources() ([]source, error) {
	entries, err := fs.ReadDir(bundle, "bundle")
	if err != nil {
		return nil, fmt.Errorf("read embedded policy bundle: %w", err)
	}
	var srcs []source
	for _, entry := range entries {
		if !isPolicyFile(entry.Name()) {
			continue
		}
		path := "bundle/" + entry.Name()
		text, err := fs.ReadFile(bundle, path)
		if err != nil {
			return nil, fmt.Errorf("read embedded policy %s: %w", path, err)
		}
		srcs = append(srcs, source{name: embeddedPrefix + path, key: embeddedPrefix + path, text: text})
	}
	return srcs, nil
}

// dirSources reads every policy file below dir. Names starting with "." are
// skipped: a ConfigMap volume keeps its real files in "..<timestamp>"
// directories behind the "..data" symlink and exposes each key as a top-level
// symlink, so following only the top-level names reads each file once.
// Symlinks to files are followed; symlinks to directories are not.
func dirSources(dir string) ([]source, error) {
	// WalkDir does not descend into a root that is itself a symlink.
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("read policy directory %s: %w", dir, err)
	}
	var srcs []source
	err = filepath.WalkDir(root, func(path string, entry fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if path != root && strings.HasPrefix(entry.Name(), ".") {
			if entry.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if entry.IsDir() || !isPolicyFile(entry.Name()) {
			return nil
		}
		if entry.Type()&fs.ModeSymlink != 0 {
			info, err := os.Stat(path)
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() {
				return nil
			}
		}
		text, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		srcs = append(srcs, source{name: filepath.Join(dir, rel), key: filepath.ToSlash(rel), text: text})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("read policy directory %s: %w", dir, err)
	}
	return srcs, nil
}

// revision hashes the names and contents of srcs in key order, so it changes
// exactly when the loaded policy set does.
func revision(srcs []source) string {
	sorted := slices.SortedFunc(slices.Values(srcs), func(a, b source) int { return strings.Compare(a.key, b.key) })
	h := sha256.New()
	for _, src := range sorted {
		_, _ = fmt.Fprintf(h, "%s\x00%d\x00", src.key, len(src.text))
		h.Write(src.text)
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}

// program is one compiled policy set, swapped as a whole on reload.
type program struct {
	query    rego.PreparedEvalQuery
	revision string
	// packages are the decision packages the query collects, for logs.
	packages []string
}

// compile parses and compiles srcs and prepares the query that collects every
// deny and warn rule under data.aigw. Errors name the file and line.
func compile(ctx context.Context, srcs []source) (*program, []string, error) {
	modules := make(map[string]*ast.Module, len(srcs))
	var errs []error
	for _, src := range srcs {
		module, err := ast.ParseModuleWithOpts(src.name, string(src.text), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		modules[src.name] = module
	}
	if err := errors.Join(errs...); err != nil {
		return nil, nil, err
	}
	compiler := ast.NewCompiler().
		WithDefaultRegoVersion(ast.RegoV1).
		WithCapabilities(capabilities())
	if compiler.Compile(modules); compiler.Failed() {
		return nil, nil, compiler.Errors
	}
	targets, ignored := decisionRules(modules)
	query, packages, err := collectQuery(targets)
	if err != nil {
		return nil, nil, err
	}
	prepared, err := rego.New(rego.ParsedQuery(query), rego.Compiler(compiler)).PrepareForEval(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("prepare policy query: %w", err)
	}
	return &program{query: prepared, revision: revision(srcs), packages: packages}, ignored, nil
}

// target is one deny or warn rule to collect: the document at ref, reported
// as coming from pkg.
type target struct {
	pkg, rule string
	ref       ast.Ref
}

// decisionRules finds every deny and warn rule under data.aigw, including rules
// with ref heads such as `team.deny contains ...`. It also returns the
// packages outside data.aigw that define deny or warn, which are ignored.
func decisionRules(modules map[string]*ast.Module) ([]target, []string) {
	root := ast.MustParseRef("data.aigw") // every decision package lives under it
	seen := map[string]target{}
	ignored := map[string]struct{}{}
	for _, module := range modules {
		for _, rule := range module.Rules {
			if len(rule.Head.Args) > 0 {
				continue // a function, not a document
			}
			head := rule.Head.Ref()
			for i, term := range head {
				name, ok := termName(term)
				if !ok {
					break
				}
				if name != "deny" && name != "warn" {
					continue
				}
				ref := module.Package.Path.Copy()
				for _, t := range head[:i+1] {
					n, _ := termName(t)
					ref = append(ref, ast.StringTerm(n))
				}
				pkg := strings.TrimPrefix(ref[:len(ref)-1].String(), "data.")
				if !ref.HasPrefix(root) {
					ignored[pkg] = struct{}{}
					break
				}
				seen[ref.String()] = target{pkg: pkg, rule: name, ref: ref}
				break
			}
		}
	}
	targets := slices.SortedFunc(maps.Values(seen), func(a, b target) int { return strings.Compare(a.ref.String(), b.ref.String()) })
	return targets, slices.Sorted(maps.Keys(ignored))
}

// termName returns the name of a ground head term: a var for the first
// term, a string for the rest.
func termName(term *ast.Term) (string, bool) {
	switch v := term.Value.(type) {
	case ast.Var:
		return string(v), true
	case ast.String:
		return string(v), true
	}
	return "", false
}

// collectQuery builds
//
//	out := [["aigw.tls", "deny", [x | x := data.aigw.tls.deny]], ...]
//
// The comprehension turns an undefined rule (e.g. a package whose every rule
// body failed) into [] instead of making the whole query undefined. Every
// term of the refs is a string: a var term would iterate over all documents.
func collectQuery(targets []target) (ast.Body, []string, error) {
	var b strings.Builder
	b.WriteString("out := [")
	var packages []string
	for i, t := range targets {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "[%q, %q, [x | x := %s]]", t.pkg, t.rule, t.ref)
		if !slices.Contains(packages, t.pkg) {
			packages = append(packages, t.pkg)
		}
	}
	b.WriteString("]")
	query, err := ast.ParseBodyWithOpts(b.String(), ast.ParserOptions{RegoVersion: ast.RegoV1})
	if err != nil {
		return nil, nil, fmt.Errorf("build policy query: %w", err)
	}
	return query, packages, nil
}
