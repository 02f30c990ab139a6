package syncstatus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-git/go-git/v5/plumbing"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/tools/cache"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/hub"
	"github.com/aigw-console/aigw-console/gitops"
)

// KindSync is the live stream kind of sync events (sync_created,
// sync_updated, sync_deleted); the event's name is "<resource>/<name>".
const KindSync = "sync"

// History is the desired side (*gitops.History).
type History interface {
	Read(ctx context.Context, fetch bool) (*gitops.Snapshot, error)
	Object(blob plumbing.Hash) (*unstructured.Unstructured, error)
}

// Live is the live side (*cluster.Cache).
type Live interface {
	Get(k cluster.Kind, ns, name string) (*unstructured.Unstructured, error)
}

// Source notifies the tracker of cache changes (*cluster.Cache); optional.
type Source interface {
	AddEventHandler(k cluster.Kind, h cache.ResourceEventHandler) error
}

// AppliedRevision reads the commit the applier last applied.
type AppliedRevision interface {
	// Applied returns the applier's description with LastAppliedCommit
	// set when known.
	Applied(ctx context.Context) (Applier, error)
}

// Publisher receives sync events (*hub.Hub); optional.
type Publisher interface {
	Publish(events ...hub.Event)
}

// Options configure New.
type Options struct {
	// History is the desired side. Required.
	History History
	// Live is the cache. Required.
	Live Live
	// Source, when set, triggers a new report on every cache change.
	Source Source
	// Applier reads the Flux Kustomization. Default: none, grace period.
	Applier AppliedRevision
	// Grace is how long a change may stay unapplied before it is Drifted
	// when no applier revision is known. Default: 2m.
	Grace time.Duration
	// Interval is how often Run fetches the branch for other replicas'
	// commits and merged pull requests. Default: 15s.
	Interval time.Duration
	// Debounce groups cache changes and kicks into one report. Default:
	// 100ms.
	Debounce time.Duration
	// Publisher receives the sync events. Default: none.
	Publisher Publisher
	// Branch and Path are reported as they are.
	Branch, Path string
	// Logger. Default: slog.Default().
	Logger *slog.Logger
	// Now. Default: time.Now.
	Now func() time.Time
}

// Tracker makes sync reports and publishes their changes.
type Tracker struct {
	opts  Options
	kinds map[string]cluster.Kind // lowercase kind folder -> kind
	kick  chan struct{}
	// gen counts cache changes (with a Source): a report made at the same
	// head, applier revision and gen, before any grace period ends, is
	// still true and is reused.
	gen atomic.Uint64

	// mu serializes reports; what it guards is a cache of Git and the
	// cluster, rebuilt from them at any time.
	mu        sync.Mutex
	last      *Report
	published map[objectKey][]byte
	parsed    map[plumbing.Hash]*unstructured.Unstructured
	byApplier bool
	memo      memo
}

// memo is what the last report was made from.
type memo struct {
	head       plumbing.Hash
	applier    Applier
	gen        uint64
	validUntil time.Time
}

// The defaults of Options.Grace and Options.Interval.
const (
	DefaultGrace    = 2 * time.Minute
	DefaultInterval = 15 * time.Second
)

// New returns a Tracker; Run keeps it current.
func New(opts Options) (*Tracker, error) {
	if opts.History == nil || opts.Live == nil {
		return nil, errors.New("syncstatus: History and Live are required")
	}
	if opts.Grace <= 0 {
		opts.Grace = DefaultGrace
	}
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Debounce <= 0 {
		opts.Debounce = 100 * time.Millisecond
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	t := &Tracker{opts: opts, kinds: map[string]cluster.Kind{}, kick: make(chan struct{}, 1),
		published: map[objectKey][]byte{}, parsed: map[plumbing.Hash]*unstructured.Unstructured{}}
	for _, k := range cluster.Kinds() {
		t.kinds[strings.ToLower(k.GVK.Kind)] = k
	}
	if opts.Source != nil {
		for _, k := range cluster.Kinds() {
			if err := opts.Source.AddEventHandler(k, cache.ResourceEventHandlerFuncs{
				AddFunc:    func(any) { t.changed() },
				UpdateFunc: func(any, any) { t.changed() },
				DeleteFunc: func(any) { t.changed() },
			}); err != nil {
				return nil, fmt.Errorf("syncstatus: %w", err)
			}
		}
	}
	return t, nil
}

// Kick asks Run for a new report soon (after a commit of this replica, or
// a cache change). It never blocks.
func (t *Tracker) Kick() {
	select {
	case t.kick <- struct{}{}:
	default:
	}
}

func (t *Tracker) changed() {
	t.gen.Add(1)
	t.Kick()
}

// Run makes a report at start, after every Kick (debounced) and every
// Interval (fetching first), until ctx ends.
func (t *Tracker) Run(ctx context.Context) {
	tick := time.NewTicker(t.opts.Interval)
	defer tick.Stop()
	fetch := true
	for {
		if _, err := t.report(ctx, fetch); err != nil && ctx.Err() == nil {
			t.opts.Logger.Warn("sync status", "error", err)
		}
		fetch = false
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			fetch = true
		case <-t.kick:
			select {
			case <-ctx.Done():
				return
			case <-time.After(t.opts.Debounce):
			}
		}
	}
}

// Report makes a report now from the local clone (no fetch: Run fetches
// every Interval) and the cache, and publishes what changed.
func (t *Tracker) Report(ctx context.Context) (*Report, error) {
	return t.report(ctx, false)
}

// Fetch fetches the branch and makes a report: for a caller that needs
// other replicas' commits now.
func (t *Tracker) Fetch(ctx context.Context) (*Report, error) {
	return t.report(ctx, true)
}

func (t *Tracker) report(ctx context.Context, fetch bool) (*Report, error) {
	gen := t.gen.Load()
	snap, err := t.opts.History.Read(ctx, fetch)
	if err != nil {
		return nil, err
	}
	applier := Applier{Type: "GracePeriod"}
	if t.opts.Applier != nil {
		a, err := t.opts.Applier.Applied(ctx)
		if err != nil {
			a.Error = err.Error()
		}
		applier = a
	}
	applier.GraceSeconds = t.opts.Grace.Seconds()
	applied := plumbing.ZeroHash
	if applier.LastAppliedCommit != "" {
		applied = plumbing.NewHash(applier.LastAppliedCommit)
	}
	// With an applier that answers, "applied" is its word alone; the
	// grace period decides only without one (or while it cannot be read).
	byApplier := t.opts.Applier != nil && applier.Error == ""

	t.mu.Lock()
	defer t.mu.Unlock()
	t.byApplier = byApplier
	now := t.opts.Now()
	if t.opts.Source != nil && t.last != nil && t.memo.head == snap.Head && t.memo.applier == applier && t.memo.gen == gen && now.Before(t.memo.validUntil) {
		return t.last, nil
	}
	next := memo{head: snap.Head, applier: applier, gen: gen, validUntil: now.Add(24 * time.Hour)}
	// A decision by the grace period changes when it ends.
	graceEnds := func(f gitops.File) {
		if !byApplier && !f.Commit.IsZero() {
			if end := f.When.Add(t.opts.Grace); end.After(now) && end.Before(next.validUntil) {
				next.validUntil = end
			}
		}
	}
	r := &Report{Branch: t.opts.Branch, Path: t.opts.Path, Applier: applier, Truncated: snap.Truncated, ComputedAt: now,
		byKey: map[objectKey]int{}, desired: map[objectKey]*unstructured.Unstructured{}}
	if !snap.Head.IsZero() {
		r.Head = snap.Head.String()
	}
	parsed := make(map[plumbing.Hash]*unstructured.Unstructured, len(snap.Files))
	for _, f := range snap.Files {
		k, ok := t.kinds[f.Kind]
		if !ok {
			continue // not a kind the console manages
		}
		desired := t.parsed[f.Blob]
		if desired == nil {
			if desired, err = t.opts.History.Object(f.Blob); err != nil {
				return nil, err
			}
		}
		parsed[f.Blob] = desired
		o := t.object(k, f)
		live, err := t.live(k, f.Namespace, f.Name)
		if err != nil {
			return nil, err
		}
		// A file older than the walked history is older than any commit
		// in it: applied once the applier reports one of them.
		reached := snap.Includes(applied, f.Commit) || (f.Truncated && snap.Includes(applied, applied))
		graceEnds(f)
		if live == nil {
			o.Operation = Create
			o.State = t.unapplied(reached, f, now)
			r.desired[o.key()] = pendingView(desired, f)
		} else {
			o.LiveResourceVersion = live.GetResourceVersion()
			fields := Diff(desired, live)
			switch {
			case len(fields) == 0 && (k != cluster.Secret || reached):
				o.State = Synced
			case len(fields) == 0:
				// Same keys; a new value cannot be seen, so a Secret is
				// synced once its commit is applied (or the grace passed).
				o.State = t.unapplied(reached, f, now)
				if o.State == Drifted {
					o.State = Synced
				} else {
					o.Operation = Update
				}
			default:
				o.Operation, o.Fields = Update, fields
				o.State = t.unapplied(reached, f, now)
			}
		}
		r.add(o)
	}
	t.parsed = parsed
	for _, f := range snap.Deleted {
		k, ok := t.kinds[f.Kind]
		if !ok {
			continue
		}
		live, err := t.live(k, f.Namespace, f.Name)
		if err != nil {
			return nil, err
		}
		if live == nil {
			continue // deleted in Git and in the cluster: nothing to report
		}
		graceEnds(f)
		o := t.object(k, f)
		o.LiveResourceVersion = live.GetResourceVersion()
		o.Operation = Delete
		o.State = t.unapplied(snap.Includes(applied, f.Commit), f, now)
		r.add(o)
	}
	sort.Slice(r.Objects, func(i, j int) bool {
		a, b := r.Objects[i], r.Objects[j]
		if a.Resource != b.Resource {
			return a.Resource < b.Resource
		}
		if a.Namespace != b.Namespace {
			return a.Namespace < b.Namespace
		}
		return a.Name < b.Name
	})
	for i, o := range r.Objects {
		r.byKey[o.key()] = i
		switch o.State {
		case Synced:
			r.Counts.Synced++
		case Pending:
			r.Counts.Pending++
		default:
			r.Counts.Drifted++
		}
	}
	if r.Objects == nil {
		r.Objects = []Object{}
	}
	t.publish(r)
	t.last, t.memo = r, next
	return r, nil
}

// unapplied decides an object that does not match Git yet: Pending while
// the applier has not applied its commit (or, without an applier revision,
// within the grace period), Drifted after.
func (t *Tracker) unapplied(reached bool, f gitops.File, now time.Time) State {
	if reached {
		return Drifted
	}
	if t.byApplier {
		return Pending // the applier has not got there yet
	}
	if f.Commit.IsZero() || now.Sub(f.When) >= t.opts.Grace {
		return Drifted
	}
	return Pending
}

func (t *Tracker) object(k cluster.Kind, f gitops.File) Object {
	o := Object{Kind: k.GVK.Kind, APIVersion: k.GVK.GroupVersion().String(), Resource: k.Name,
		Namespace: f.Namespace, Name: f.Name, Path: f.Path, Truncated: f.Truncated}
	if !f.Commit.IsZero() {
		o.DesiredCommit = f.Commit.String()
		when := f.When.UTC()
		o.CommittedAt = &when
	}
	return o
}

func (t *Tracker) live(k cluster.Kind, ns, name string) (*unstructured.Unstructured, error) {
	u, err := t.opts.Live.Get(k, ns, name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return u, err
}

func (r *Report) add(o Object) {
	r.Objects = append(r.Objects, o)
}

// pendingView is the desired object as a list shows it: a Secret reduced
// like the cache reduces it (key names, no fingerprints).
func pendingView(desired *unstructured.Unstructured, f gitops.File) *unstructured.Unstructured {
	u := desired.DeepCopy()
	if u.GetNamespace() == "" && f.Namespace != "" {
		u.SetNamespace(f.Namespace)
	}
	if u.GetKind() == "Secret" && u.GetAPIVersion() == "v1" {
		keys := map[string]any{}
		for _, field := range []string{"data", "stringData"} {
			if m, ok := u.Object[field].(map[string]any); ok {
				for k := range m {
					keys[k] = ""
				}
			}
			delete(u.Object, field)
		}
		u.Object[cluster.SecretKeysField] = keys
	}
	return u
}

// publish sends a sync event for every object whose status changed since
// the last report, and a delete for every object no longer reported.
func (t *Tracker) publish(r *Report) {
	if t.opts.Publisher == nil {
		return
	}
	var events []hub.Event
	seen := make(map[objectKey]bool, len(r.Objects))
	for _, o := range r.Objects {
		k := o.key()
		seen[k] = true
		data, err := json.Marshal(o)
		if err != nil {
			continue
		}
		if prev, ok := t.published[k]; ok && string(prev) == string(data) {
			continue
		}
		t.published[k] = data
		events = append(events, hub.Event{Op: hub.Modified, Key: hub.Key{Kind: KindSync, Namespace: o.Namespace, Name: o.Resource + "/" + o.Name},
			ResourceVersion: rv(o.LiveResourceVersion), Data: data})
	}
	for k := range t.published {
		if !seen[k] {
			delete(t.published, k)
			events = append(events, hub.Event{Op: hub.Deleted, Key: hub.Key{Kind: KindSync, Namespace: k.namespace, Name: k.resource + "/" + k.name}})
		}
	}
	if len(events) > 0 {
		t.opts.Publisher.Publish(events...)
	}
}

func rv(s string) uint64 {
	n, _ := strconv.ParseUint(s, 10, 64)
	return n
}
