package stream

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aigw-console/aigw-console/app/hub"
)

// metrics are the stream's own instruments; the hub's counters are read
// by hubCollector at scrape time.
type metrics struct {
	connections   prometheus.Gauge
	rejected      *prometheus.CounterVec
	eventsSent    prometheus.Counter
	snapshotsSent prometheus.Counter
}

func newMetrics(reg prometheus.Registerer, h *hub.Hub) (*metrics, error) {
	m := &metrics{
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "aigw_console_websocket_connections",
			Help: "Open WebSocket connections.",
		}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aigw_console_websocket_connections_rejected_total",
			Help: "WebSocket connections refused, or ended because their credentials expired, by reason.",
		}, []string{"reason"}),
		eventsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aigw_console_websocket_events_sent_total",
			Help: "Event messages written to WebSocket clients.",
		}),
		snapshotsSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aigw_console_websocket_snapshots_sent_total",
			Help: "Snapshot messages written to WebSocket clients (first snapshots and resyncs).",
		}),
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.connections, m.rejected, m.eventsSent, m.snapshotsSent, newHubCollector(h)} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("websocket metrics: %w", err)
		}
	}
	return m, nil
}

// hubCollector reports hub.Stats, read once per scrape.
type hubCollector struct {
	hub                                                             *hub.Hub
	subs, queued, maxQueued, published, dropped, coalesced, resyncs *prometheus.Desc
}

func newHubCollector(h *hub.Hub) *hubCollector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &hubCollector{
		hub:       h,
		subs:      d("aigw_console_websocket_subscriptions", "Open subscriptions."),
		queued:    d("aigw_console_websocket_queue_depth", "Events waiting in all subscription queues."),
		maxQueued: d("aigw_console_websocket_queue_depth_max", "Events waiting in the longest subscription queue."),
		published: d("aigw_console_websocket_events_published_total", "Events published to the hub by the watcher."),
		dropped:   d("aigw_console_websocket_events_dropped_total", "Events dropped with an overflowing subscription queue (the subscriber resyncs)."),
		coalesced: d("aigw_console_websocket_events_coalesced_total", "Events merged into a newer event for the same object while the subscriber was behind."),
		resyncs:   d("aigw_console_websocket_resyncs_total", "resync_required messages: overflowing queues and resume positions no longer kept."),
	}
}

// Describe implements prometheus.Collector.
func (c *hubCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.subs, c.queued, c.maxQueued, c.published, c.dropped, c.coalesced, c.resyncs} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *hubCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.hub.Stats()
	ch <- prometheus.MustNewConstMetric(c.subs, prometheus.GaugeValue, float64(st.Subscribers))
	ch <- prometheus.MustNewConstMetric(c.queued, prometheus.GaugeValue, float64(st.Queued))
	ch <- prometheus.MustNewConstMetric(c.maxQueued, prometheus.GaugeValue, float64(st.MaxQueued))
	ch <- prometheus.MustNewConstMetric(c.published, prometheus.CounterValue, float64(st.Published))
	ch <- prometheus.MustNewConstMetric(c.dropped, prometheus.CounterValue, float64(st.Dropped))
	ch <- prometheus.MustNewConstMetric(c.coalesced, prometheus.CounterValue, float64(st.Coalesced))
	ch <- prometheus.MustNewConstMetric(c.resyncs, prometheus.CounterValue, float64(st.Resyncs))
}
