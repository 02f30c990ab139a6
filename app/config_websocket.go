package app

import (
	"time"
)

// WebSocketConfig configures the live stream, GET /api/v1/ws (packages
// hub and stream). A zero field takes that package's default, given in
// brackets.
type WebSocketConfig struct {
	// History is how many events are kept for clients that resume after a
	// reconnect [10,000].
	History int
	// QueueLength bounds the undelivered events of one subscription; past
	// it the client gets resync_required and a snapshot [1,024].
	QueueLength int
	// MaxConnections bounds the open connections; negative: no limit
	// [10,000].
	MaxConnections int
	// MaxConnectionsPerClient bounds the open connections of one remote
	// address; negative: no limit [100].
	MaxConnectionsPerClient int
	// MaxSubscriptions bounds the subscriptions of one connection [100].
	MaxSubscriptions int
	// MaxMessageBytes bounds a client message [64 KiB].
	MaxMessageBytes int64
	// AllowedOrigins are the browser origins allowed to connect ("*": any)
	// [none: same origin only; clients without Origin always get in].
	AllowedOrigins []string
	// PingInterval is how often the server pings [20s].
	PingInterval time.Duration
	// PongTimeout is how long past a ping interval a silent client is kept
	// [10s].
	PongTimeout time.Duration
	// WriteTimeout bounds writing one message [10s].
	WriteTimeout time.Duration
	// IdleTimeout closes connections without subscriptions [60s].
	IdleTimeout time.Duration
}
