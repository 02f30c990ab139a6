package stream

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aigw-console/aigw-console/app/hub"
)

// CodeForbidden ends (or refuses) a subscription the user may not, or may
// no longer, watch.
const CodeForbidden = "Forbidden"

// DefaultRecheckInterval is how often open subscriptions are re-checked.
const DefaultRecheckInterval = 5 * time.Second

// Access decides what one connection's user may watch (package authz:
// SubjectAccessReviews through a short-lived cache).
type Access interface {
	// Allowed reports whether the user may watch kind (an API kind such as
	// "providers" or "secrets") in namespace. It may ask the API server;
	// it is never called under the hub's lock.
	Allowed(ctx context.Context, kind, namespace string) (bool, error)
	// Namespaces lists the namespaces that hold objects now: what a
	// subscription across namespaces is decided over.
	Namespaces() []string
}

// Expander is implemented by an Access whose API kind stands for several
// decisions: the kind "sync" (GitOps mode) is decided per resource its
// events describe, as "sync/<resource>", with that resource's permission.
type Expander interface {
	// Expand returns the decisions behind kind, or nil when kind is
	// decided as itself.
	Expand(kind string) []string
}

// syncKind is the stream kind of sync events; its event names are
// "<resource>/<name>".
const syncKind = "sync"

// pairOf is the decision an event needs: a sync event is decided by the
// resource it describes.
func pairOf(e hub.Event) pair {
	if e.Key.Kind == syncKind {
		resource, _, _ := strings.Cut(e.Key.Name, "/")
		return pair{syncKind + "/" + resource, e.Key.Namespace}
	}
	return pair{e.Key.Kind, e.Key.Namespace}
}

// pair is one decision: a kind in a namespace.
type pair struct{ kind, ns string }

func (p pair) String() string { return p.kind + " in namespace " + p.ns }

// guard is one connection's authorization. The hub calls its filter under
// its lock for every event, so the filter only looks decisions up; the
// connection's writer makes them (before a subscription starts, and at
// every recheck), off the hub's lock. An event of a kind and namespace not
// decided yet is held back and the writer is woken to decide it; if it is
// then allowed, the subscriptions it concerns resync, so nothing is lost.
type guard struct {
	access Access

	mu     sync.RWMutex
	known  map[pair]bool
	wanted map[pair]struct{}
	wake   chan struct{} // size 1: the filter met an undecided pair
}

func newGuard(a Access) *guard {
	return &guard{access: a, known: map[pair]bool{}, wanted: map[pair]struct{}{}, wake: make(chan struct{}, 1)}
}

// filter is the hub filter: decided pairs only.
func (g *guard) filter() hub.Filter {
	return func(e hub.Event) bool {
		p := pairOf(e)
		g.mu.RLock()
		v, ok := g.known[p]
		g.mu.RUnlock()
		if ok {
			return v
		}
		g.mu.Lock()
		g.wanted[p] = struct{}{}
		g.mu.Unlock()
		select {
		case g.wake <- struct{}{}:
		default:
		}
		return false
	}
}

// decide asks Access and remembers the answer. A check that could not be
// made changes nothing: it answers not allowed, a pair not decided yet
// stays undecided (its events held back), and a decision already made
// stands until a check succeeds. An API server that is down for a while
// then ends no subscription, and one that is back decides again at the
// next recheck; until then the cache the events come from is not
// changing either.
func (g *guard) decide(ctx context.Context, p pair) (bool, error) {
	ok, err := g.access.Allowed(ctx, p.kind, p.ns)
	if err != nil {
		return false, err
	}
	g.mu.Lock()
	g.known[p] = ok
	delete(g.wanted, p)
	g.mu.Unlock()
	return ok, err
}

// admit decides a new subscription: in one namespace every kind must be
// allowed (else a Forbidden naming the first refused kind); across
// namespaces it decides each kind in every namespace that holds objects,
// so the first snapshot shows what the user may see.
//
// A kind that expands (Expander) is admitted in one namespace when any of
// its decisions is allowed; its events are then filtered per decision.
func (g *guard) admit(ctx context.Context, kinds []string, ns string) error {
	if ns != "" {
		for _, k := range kinds {
			some := false
			for _, d := range g.expand(k) {
				ok, err := g.decide(ctx, pair{d, ns})
				if err != nil {
					return fmt.Errorf("could not check access to %s in namespace %q: %w", k, ns, err)
				}
				some = some || ok
			}
			if !some {
				return fmt.Errorf("you may not watch %s in namespace %q", k, ns)
			}
		}
		return nil
	}
	for _, n := range g.access.Namespaces() {
		for _, k := range kinds {
			for _, d := range g.expand(k) {
				if _, err := g.decide(ctx, pair{d, n}); err != nil {
					return fmt.Errorf("could not check access to %s in namespace %q: %w", k, n, err)
				}
			}
		}
	}
	return nil
}

// expand returns the decisions behind an API kind.
func (g *guard) expand(kind string) []string {
	if e, ok := g.access.(Expander); ok {
		if ds := e.Expand(kind); len(ds) > 0 {
			return ds
		}
	}
	return []string{kind}
}

// recheck decides again every pair wanted and, when all is set, every
// pair known, and reports the pairs that were allowed and are not any more
// (lost) and the ones that are newly allowed (gained).
func (g *guard) recheck(ctx context.Context, all bool) (lost, gained []pair) {
	g.mu.RLock()
	before := make(map[pair]bool, len(g.known)+len(g.wanted))
	if all {
		for p, v := range g.known {
			before[p] = v
		}
	}
	for p := range g.wanted {
		if _, ok := before[p]; !ok {
			before[p] = false
		}
	}
	g.mu.RUnlock()
	for p, was := range before {
		now, err := g.decide(ctx, p)
		if err != nil {
			continue
		}
		switch {
		case was && !now:
			lost = append(lost, p)
		case !was && now:
			gained = append(gained, p)
		}
	}
	sortPairs(lost)
	sortPairs(gained)
	return lost, gained
}

func sortPairs(ps []pair) {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].ns != ps[j].ns {
			return ps[i].ns < ps[j].ns
		}
		return ps[i].kind < ps[j].kind
	})
}

// covers reports whether subscription sel receives events of p.
func (s selection) covers(p pair) bool {
	kind := p.kind
	if k, _, ok := strings.Cut(p.kind, "/"); ok {
		kind = k // "sync/<resource>" is part of "sync"
	}
	return slices.Contains(s.kinds, kind) && (s.namespace == "" || s.namespace == p.ns)
}

// firstCovered returns the first pair sel covers, if any.
func (s selection) firstCovered(ps []pair) (pair, bool) {
	for _, p := range ps {
		if s.covers(p) {
			return p, true
		}
	}
	return pair{}, false
}

// recheck re-decides the connection's access: a subscription that was
// delivering something the user lost is ended with Forbidden; one that
// gains something resyncs (resync_required, then a fresh snapshot).
// With all unset only the pairs the filters met undecided are decided.
func (c *conn) recheck(all bool) error {
	if c.guard == nil || len(c.subs) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.s.ctx, c.s.opts.RecheckInterval+10*time.Second)
	defer cancel()
	lost, gained := c.guard.recheck(ctx, all)
	for i := 0; i < len(c.subs); i++ {
		sub := c.subs[i]
		if p, ok := sub.sel.firstCovered(lost); ok {
			if err := c.sendError(sub.id, CodeForbidden, "access revoked: you may no longer watch "+p.String()+"; the subscription is closed"); err != nil {
				return err
			}
			c.remove(i)
			i--
			continue
		}
		if p, ok := sub.sel.firstCovered(gained); ok {
			if err := c.resubscribe(sub, "access granted to "+p.String()); err != nil {
				return err
			}
		}
	}
	return nil
}

// resubscribe replaces sub's hub subscription with a fresh one (snapshot
// first) after telling the client why.
func (c *conn) resubscribe(sub *subscription, reason string) error {
	sub.sub.Close()
	sub.sub, _ = c.s.hub.Subscribe(hub.SubscribeOptions{Filter: sub.filter, Notify: c.notify})
	return c.send(TypeResyncRequired, sub.id, "", appendJSON(ResyncData{Reason: reason}))
}

// forbiddenMessage words a refused subscription.
func forbiddenMessage(err error) string {
	return strings.TrimSpace(err.Error()) + "; the subscription is not open"
}
