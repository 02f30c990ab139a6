package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/discovery"
	"k8s.io/client-go/rest"
)

// ProbeOptions configure NewProbe. The zero value works.
type ProbeOptions struct {
	// Interval is how often the API server is asked. Default: 1s.
	Interval time.Duration
	// Timeout bounds one probe. Default: 1s.
	Timeout time.Duration
	// FailureThreshold is how many probes in a row must fail before Err
	// reports the API server unreachable; one success clears it. Default:
	// 2, so one slow answer does not flap readiness.
	FailureThreshold int
	// Logger receives the transitions. Default: slog.Default().
	Logger *slog.Logger
}

// Probe tells whether the API server answers, by asking its /readyz (which
// every identity may read) every Interval. The informers keep serving
// their last state while the API server is away and watch again when it is
// back; the probe is what makes the console unready meanwhile.
type Probe struct {
	client rest.Interface
	opts   ProbeOptions

	mu       sync.Mutex
	failures int
	err      error
}

// NewProbe returns a probe of the API server cfg reaches.
func NewProbe(cfg *rest.Config, opts ProbeOptions) (*Probe, error) {
	if opts.Interval <= 0 {
		opts.Interval = time.Second
	}
	if opts.Timeout <= 0 {
		opts.Timeout = time.Second
	}
	if opts.FailureThreshold <= 0 {
		opts.FailureThreshold = 2
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return nil, fmt.Errorf("API server probe: %w", err)
	}
	return &Probe{client: dc.RESTClient(), opts: opts}, nil
}

// Run probes until ctx ends.
func (p *Probe) Run(ctx context.Context) {
	t := time.NewTicker(p.opts.Interval)
	defer t.Stop()
	for {
		p.check(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (p *Probe) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	defer cancel()
	_, err := p.client.Get().AbsPath("/readyz").DoRaw(ctx)
	if ctx.Err() != nil && err != nil && ctx.Err() == context.Canceled {
		return // shutting down
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil {
		if p.err != nil {
			p.opts.Logger.Info("API server reachable again")
		}
		p.failures, p.err = 0, nil
		return
	}
	p.failures++
	if p.failures >= p.opts.FailureThreshold {
		if p.err == nil {
			p.opts.Logger.Warn("API server unreachable", "error", err)
		}
		p.err = fmt.Errorf("API server unreachable: %w", err)
	}
}

// Err returns nil while the API server answers, else why not.
func (p *Probe) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.err
}
