package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// EventWriter creates the Kubernetes Event of a record. Events implements
// it on client-go; tests may record.
type EventWriter interface {
	CreateEvent(ctx context.Context, ev Event) error
}

// Options configure an Auditor. The zero value writes records to nothing
// and creates no Events.
type Options struct {
	// Log receives one JSON line per record. Default: none (io.Discard).
	Log io.Writer
	// Events creates the Kubernetes Events. Default: none, no Events.
	Events EventWriter
	// QueueLength bounds the Events waiting to be created; past it Events
	// are dropped, logged and counted. Default: 1,000.
	QueueLength int
	// Mode is the console's write mode, copied into every record. Default:
	// direct.
	Mode string
	// Logger reports dropped and failed Events. Default: slog.Default().
	Logger *slog.Logger
	// Registerer receives the audit metrics. Default: none.
	Registerer prometheus.Registerer
	// EventTimeout bounds the creation of one Event. Default: 10s.
	EventTimeout time.Duration
}

// DefaultQueueLength is the default bound of the Event queue.
const DefaultQueueLength = 1000

// Auditor writes records and creates their Events. It is safe for
// concurrent use; Run creates Events until Close.
type Auditor struct {
	opts  Options
	logMu sync.Mutex
	queue chan Event
	done  chan struct{}

	records      *prometheus.CounterVec
	eventsMade   prometheus.Counter
	eventsFailed prometheus.Counter
	dropped      prometheus.Counter
}

// New returns an Auditor. Call Run to start creating Events.
func New(opts Options) (*Auditor, error) {
	if opts.Log == nil {
		opts.Log = io.Discard
	}
	if opts.QueueLength <= 0 {
		opts.QueueLength = DefaultQueueLength
	}
	if opts.Mode == "" {
		opts.Mode = "direct"
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.EventTimeout <= 0 {
		opts.EventTimeout = 10 * time.Second
	}
	a := &Auditor{
		opts:  opts,
		queue: make(chan Event, opts.QueueLength),
		done:  make(chan struct{}),
		records: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigw_console_audit_records_total",
			Help: "Audit records written, by HTTP status class.",
		}, []string{"status"}),
		eventsMade: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aigw_console_audit_events_created_total",
			Help: "Kubernetes Events created for audit records.",
		}),
		eventsFailed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aigw_console_audit_events_failed_total",
			Help: "Kubernetes Events for audit records the API server refused.",
		}),
		dropped: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aigw_console_audit_events_dropped_total",
			Help: "Kubernetes Events for audit records dropped because the queue was full or the console stopped.",
		}),
	}
	if opts.Registerer != nil {
		for _, c := range []prometheus.Collector{a.records, a.eventsMade, a.eventsFailed, a.dropped} {
			if err := opts.Registerer.Register(c); err != nil {
				return nil, fmt.Errorf("audit metrics: %w", err)
			}
		}
	}
	return a, nil
}

// Run creates queued Events until ctx ends, then creates what is still
// queued within drain and counts the rest as dropped.
func (a *Auditor) Run(ctx context.Context, drain time.Duration) {
	defer close(a.done)
	for {
		select {
		case ev := <-a.queue:
			a.create(context.WithoutCancel(ctx), ev)
		case <-ctx.Done():
			deadline := time.Now().Add(drain)
			for {
				select {
				case ev := <-a.queue:
					if time.Now().After(deadline) {
						a.drop(ev, "shutting down")
						continue
					}
					a.create(context.WithoutCancel(ctx), ev)
				default:
					return
				}
			}
		}
	}
}

// Wait blocks until Run has returned.
func (a *Auditor) Wait() { <-a.done }

func (a *Auditor) create(ctx context.Context, ev Event) {
	ctx, cancel := context.WithTimeout(ctx, a.opts.EventTimeout)
	defer cancel()
	if err := a.opts.Events.CreateEvent(ctx, ev); err != nil {
		a.eventsFailed.Inc()
		a.opts.Logger.Warn("audit event not created", "requestID", ev.RequestID, "reason", ev.Reason,
			"object", ev.Object.Kind+"/"+ev.Object.Namespace+"/"+ev.Object.Name, "error", err)
		return
	}
	a.eventsMade.Inc()
}

func (a *Auditor) drop(ev Event, why string) {
	a.dropped.Inc()
	a.opts.Logger.Warn("audit event dropped", "requestID", ev.RequestID, "reason", ev.Reason, "why", why)
}

// Write writes the record as one JSON line, with every secret of s
// scrubbed, and queues its Event when one is due.
func (a *Auditor) Write(rec Record, s *Scrubber) {
	if rec.Mode == "" {
		rec.Mode = a.opts.Mode
	}
	if o, ok := involved(rec); ok {
		rec.Target = &o
	}
	line, err := json.Marshal(rec)
	if err != nil {
		a.opts.Logger.Error("audit record not encoded", "requestID", rec.RequestID, "error", err)
		return
	}
	if s != nil {
		line = s.Bytes(line)
	}
	line = append(line, '\n')
	a.logMu.Lock()
	_, err = a.opts.Log.Write(line)
	a.logMu.Unlock()
	if err != nil {
		a.opts.Logger.Error("audit record not written", "requestID", rec.RequestID, "error", err)
	}
	a.records.WithLabelValues(fmt.Sprintf("%dxx", rec.Result.Status/100)).Inc()
	if a.opts.Events == nil {
		return
	}
	ev, ok := EventFor(rec, s)
	if !ok {
		return
	}
	select {
	case a.queue <- ev:
	default:
		a.drop(ev, "queue full")
	}
}
