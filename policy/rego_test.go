package policy

import (
	"bytes"
	"context"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/format"
	"github.com/open-policy-agent/opa/v1/tester"
)

// bundleModules parses every file of the embedded bundle, tests included.
func bundleModules(t *testing.T) map[string]*ast.Module {
	t.Helper()
	modules := map[string]*ast.Module{}
	err := fs.WalkDir(bundle, "bundle", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := fs.ReadFile(bundle, path)
		if err != nil {
			return err
		}
		m, err := ast.ParseModuleWithOpts(path, string(text), ast.ParserOptions{RegoVersion: ast.RegoV1})
		if err != nil {
			return err
		}
		modules[path] = m
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return modules
}

// TestRegoBundle runs the bundle's _test.rego suite, as `opa test policy/bundle`
// would, so `go test` fails on a failing or erroring Rego test.
func TestRegoBundle(t *testing.T) {
	results, err := tester.NewRunner().
		SetModules(bundleModules(t)).
		SetDefaultRegoVersion(ast.RegoV1).
		RaiseBuiltinErrors(true).
		RunTests(context.Background(), nil)
	if err != nil {
		t.Fatalf("compile Rego tests: %v", err)
	}
	perPackage := map[string]int{}
	for r := range results {
		perPackage[r.Package]++
		t.Run(strings.TrimPrefix(r.Package, "data.")+"/"+r.Name, func(t *testing.T) {
			switch {
			case r.Error != nil:
				t.Errorf("%s: error: %v", r.Location, r.Error)
			case r.Fail:
				t.Errorf("%s: failed at %v\n%s", r.Location, r.FailedAt, r.Output)
			case r.Skip:
				t.Skip("skipped with todo_")
			}
		})
	}
	for _, pkg := range []string{"data.aigw.lib_test", "data.aigw.provider_test", "data.aigw.tls_test", "data.aigw.secrets_test", "data.aigw.route_test"} {
		if perPackage[pkg] == 0 {
			t.Errorf("no Rego tests ran in %s", pkg)
		}
	}
}

// TestRegoBundleIsStrict compiles the bundle in OPA's strict mode, which
// rejects unused variables, imports and arguments and deprecated built-ins.
func TestRegoBundleIsStrict(t *testing.T) {
	c := ast.NewCompiler().WithStrict(true).WithDefaultRegoVersion(ast.RegoV1)
	if c.Compile(bundleModules(t)); c.Failed() {
		t.Fatalf("bundle does not compile in strict mode: %v", c.Errors)
	}
}

// TestRegoBundleIsFormatted keeps the .rego files as `opa fmt` writes them.
func TestRegoBundleIsFormatted(t *testing.T) {
	err := fs.WalkDir(bundle, "bundle", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		text, err := fs.ReadFile(bundle, path)
		if err != nil {
			return err
		}
		formatted, err := format.Source(path, text)
		if err != nil {
			return err
		}
		if !bytes.Equal(text, formatted) {
			t.Errorf("%s is not opa fmt formatted (-want +got):\n%s", path, cmp.Diff(string(formatted), string(text)))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
