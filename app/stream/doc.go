// Package stream serves GET /api/v1/ws: the live WebSocket stream of the
// console, fed by the hub.
//
// The protocol is specified in docs/websocket.md and, message by message,
// in docs/websocket.schema.json. In short: one connection multiplexes many
// subscriptions (kinds × namespace × optional name and label selector);
// each starts with a snapshot (or resumes from a resourceVersion) and
// continues with events in order; a subscriber that lost events gets
// resync_required and a fresh snapshot, never a silent gap.
//
// # One writer per connection
//
// Each connection has two goroutines. The reader parses client messages
// and hands them to the writer as commands; it never writes. The writer
// owns the socket: it runs the commands (subscribe, unsubscribe, error
// replies), pulls events from the connection's hub subscriptions when the
// hub wakes it through a size-1 channel, and sends pings and bookmarks on a
// ticker. So frames are never written concurrently, and the hub, which
// only ever queues events and signals, never waits for a socket.
//
// # Heartbeat and timeouts
//
// The server pings every Options.PingInterval; the read deadline is moved
// to PingInterval + PongTimeout after every frame received (pong or
// message), so a peer that stops answering is dropped within that time.
// Each write must finish within WriteTimeout. A subscription that had no
// message during a ping interval gets a bookmark, which carries a cursor
// to resume from and lets clients that cannot see pings (browsers) detect
// a dead connection. A connection without any subscription for
// IdleTimeout is closed with 1000.
//
// # Limits and shutdown
//
// Connections are limited in total and per client (remote address for
// now; the authenticated user once there is one), subscriptions per
// connection, and the size of a client message. Browsers must come from
// an allowed Origin. Shutdown sends every connection a close frame 1001
// (going away) so that clients reconnect to another replica, and waits for
// the connections to end.
package stream
