package policy

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/open-policy-agent/opa/v1/ast"
	"github.com/open-policy-agent/opa/v1/rego"
)

// DefaultReloadInterval is how often Run checks Options.Dir for changes when
// Options.ReloadInterval is zero.
const DefaultReloadInterval = 2 * time.Second

// Options configures an Engine. The zero value loads the embedded default
// policies only.
type Options struct {
	// Dir is a directory of extra .rego files, typically a mounted ConfigMap.
	// Files ending in _test.rego and names starting with "." are skipped;
	// subdirectories are read. Run reloads it while the process runs.
	// Default: "", the embedded default policies only.
	Dir string
	// DisableDefaults leaves out the embedded default policies, so only the
	// files in Dir apply. Use it when a platform team maintains its own full
	// set; the defaults cannot be switched off one rule at a time.
	// Default: false.
	DisableDefaults bool
	// ReloadInterval is how often Run hashes the files in Dir and recompiles
	// when the hash changed. A content hash catches every kind of change,
	// including the ..data symlink swap of a ConfigMap update, which inotify
	// watches on the files themselves miss.
	// Default: DefaultReloadInterval (2s).
	ReloadInterval time.Duration
	// Logger receives reload results and errors.
	// Default: slog.Default().
	Logger *slog.Logger
}

// Engine evaluates the console's Rego policies. Create it with New; it is safe
// for concurrent use, including Evaluate during a reload by Run.
type Engine struct {
	opts     Options
	defaults []source
	// current is swapped as a whole on reload, so an Evaluate sees either the
	// old or the new policy set, never a mix.
	current atomic.Pointer[program]
	// failure is the last reload error, nil once a reload succeeds.
	failure atomic.Pointer[reloadFailure]
}

// reloadFailure remembers which revision failed, so Run does not recompile
// and log the same broken files on every tick.
type reloadFailure struct {
	revision string
	err      error
}

// New compiles the embedded default policies and the files of opts.Dir and
// prepares the evaluation query once. A policy that does not parse or compile
// makes New fail with an error naming the file and line.
func New(ctx context.Context, opts Options) (*Engine, error) {
	if opts.ReloadInterval <= 0 {
		opts.ReloadInterval = DefaultReloadInterval
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	e := &Engine{opts: opts}
	if !opts.DisableDefaults {
		var err error
		if e.defaults, err = embeddedSources(); err != nil {
			return nil, err
		}
	}
	srcs, err := e.sources()
	if err != nil {
		return nil, err
	}
	p, err := e.compile(ctx, srcs)
	if err != nil {
		return nil, fmt.Errorf("load policies: %w", err)
	}
	if len(p.packages) == 0 {
		e.opts.Logger.Warn("no policy defines deny or warn rules under data.aigw; every request is allowed")
	}
	e.current.Store(p)
	return e, nil
}

// sources returns the default sources followed by the files in Dir.
func (e *Engine) sources() ([]source, error) {
	if e.opts.Dir == "" {
		return e.defaults, nil
	}
	extra, err := dirSources(e.opts.Dir)
	if err != nil {
		return nil, err
	}
	return append(append([]source(nil), e.defaults...), extra...), nil
}

// compile wraps the package-level compile with the engine's logging of
// ignored packages.
func (e *Engine) compile(ctx context.Context, srcs []source) (*program, error) {
	p, ignored, err := compile(ctx, srcs)
	if err != nil {
		return nil, err
	}
	for _, pkg := range ignored {
		e.opts.Logger.Warn("policy package is outside data.aigw; its deny and warn rules are ignored", "package", pkg)
	}
	return p, nil
}

// Evaluate runs every policy package under data.aigw against in and returns
// their denials and warnings, sorted by field, then message. An error means
// the policies could not be evaluated (e.g. ctx ended or a rule hit a runtime
// conflict); callers must then refuse the request.
func (e *Engine) Evaluate(ctx context.Context, in Input) (Decision, error) {
	p := e.current.Load()
	// OPA notices a cancelled ctx only while it evaluates, which a fast policy
	// set may finish first; a caller that has given up gets no decision.
	if err := ctx.Err(); err != nil {
		return Decision{}, fmt.Errorf("%s: policy evaluation not started: %w", in.describe(), err)
	}
	// rego.EvalInput would encode and decode the whole input as JSON on every
	// call before converting it. The document is built from plain maps and
	// slices, which InterfaceToValue converts directly; it still round-trips
	// any other Go type it meets.
	input, err := ast.InterfaceToValue(in.document())
	if err != nil {
		return Decision{}, fmt.Errorf("%s: convert policy input: %w", in.describe(), err)
	}
	rs, err := p.query.Eval(ctx, rego.EvalParsedInput(input))
	if err != nil {
		return Decision{}, fmt.Errorf("%s: policy evaluation (revision %s) failed: %w", in.describe(), p.revision, err)
	}
	d, ok := decide(rs)
	if !ok {
		return Decision{}, fmt.Errorf("%s: policy evaluation (revision %s) returned an unexpected result set", in.describe(), p.revision)
	}
	d.Revision = p.revision
	return d, nil
}

// decide turns the result of the query built by collectQuery into a Decision.
// The result is [[pkg, rule, [value]] or [pkg, rule, []], ...]; ok is false
// only if OPA returned something else, which would be a bug here.
func decide(rs rego.ResultSet) (d Decision, ok bool) {
	if len(rs) != 1 {
		return d, false
	}
	rules, ok := rs[0].Bindings["out"].([]any)
	if !ok {
		return d, false
	}
	for _, r := range rules {
		triple, ok := r.([]any)
		if !ok || len(triple) != 3 {
			return d, false
		}
		pkg, ok1 := triple[0].(string)
		rule, ok2 := triple[1].(string)
		values, ok3 := triple[2].([]any)
		if !ok1 || !ok2 || !ok3 {
			return d, false
		}
		for _, value := range values {
			d.collect(pkg, rule, value)
		}
	}
	d.sort()
	return d, true
}

// Revision identifies the loaded policy set: the first 16 hex digits of a
// SHA-256 over the names and contents of its .rego files, so the same files
// give the same revision on every replica. Audit records store it next to
// each decision.
func (e *Engine) Revision() string { return e.current.Load().revision }

// LastError returns the error of the last failed reload of Dir, or nil when
// the files currently in Dir are the ones being enforced. While it is set the
// engine keeps enforcing the last policy set that compiled.
func (e *Engine) LastError() error {
	if f := e.failure.Load(); f != nil {
		return f.err
	}
	return nil
}

// Run watches Dir until ctx ends and swaps in the new policy set whenever the
// files change and compile. A broken change keeps the old policies, is logged
// once and is reported by LastError until the files are fixed. With no Dir,
// Run just waits for ctx. Call it once, in its own goroutine; it returns nil
// when ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	if e.opts.Dir == "" {
		<-ctx.Done()
		return nil
	}
	ticker := time.NewTicker(e.opts.ReloadInterval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-ticker.C:
			e.reload(ctx)
		}
	}
}

// reload compiles Dir again if its content hash changed since the last load
// or the last failure.
func (e *Engine) reload(ctx context.Context) {
	srcs, err := e.sources()
	if err != nil {
		e.fail("", err)
		return
	}
	rev := revision(srcs)
	current := e.current.Load()
	if rev == current.revision {
		if e.failure.Swap(nil) != nil {
			e.opts.Logger.Info("policy files restored; the enforced policies match them again", "dir", e.opts.Dir, "revision", rev)
		}
		return
	}
	if f := e.failure.Load(); f != nil && f.revision == rev {
		return
	}
	p, err := e.compile(ctx, srcs)
	if err != nil {
		if ctx.Err() != nil {
			return // shutting down; the files may be fine
		}
		e.fail(rev, err)
		return
	}
	e.current.Store(p)
	e.failure.Store(nil)
	e.opts.Logger.Info("policies reloaded", "dir", e.opts.Dir, "revision", p.revision, "previous", current.revision, "packages", p.packages)
}

func (e *Engine) fail(rev string, err error) {
	f := &reloadFailure{revision: rev, err: fmt.Errorf("reload policies from %s: %w", e.opts.Dir, err)}
	prev := e.failure.Swap(f)
	if prev == nil || prev.err.Error() != f.err.Error() {
		e.opts.Logger.Error("policy reload failed; keeping the previous policies",
			"dir", e.opts.Dir, "revision", e.current.Load().revision, "err", f.err)
	}
}
