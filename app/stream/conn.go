package stream

import (
	"context"
	"errors"
	"fmt"
	"net"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/fasthttp/websocket"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/hub"
)

const (
	// flushBatch is how many messages one subscription may send before
	// the others get their turn.
	flushBatch = 64
	// closeGrace is how long a closing connection waits for the client's
	// close frame.
	closeGrace = time.Second
	// controlTimeout bounds writing a close frame.
	controlTimeout = time.Second
	// maxKeptBuffer is the largest message buffer returned to the pool; a
	// larger one (a big snapshot) is let go.
	maxKeptBuffer = 256 << 10
)

// errClosed ends the writer after it closed the connection itself.
var errClosed = errors.New("connection closed by the server")

// command is a client message for the writer: a request, or the error to
// answer an invalid one with; or the filter of a connection that has just
// authenticated.
type command struct {
	req    Request
	err    *RequestError
	filter *hub.Filter
	// authenticated is the user of an accepted authenticate message.
	authenticated *auth.User
}

// subscription is one open subscription of a connection.
type subscription struct {
	id     string
	sub    *hub.Subscription
	quiet  bool // nothing sent since the last ping tick
	sel    selection
	filter hub.Filter
}

// conn is one WebSocket connection: a reader goroutine and the writer,
// which owns the socket and the subscriptions.
type conn struct {
	s      *Server
	ws     *websocket.Conn
	filter hub.Filter // the connection's authorization, on every subscription
	guard  *guard     // the user's RBAC per kind and namespace; nil: none
	auth   admission  // whether the first message must authenticate

	authWaiting atomic.Bool // the authenticate message is awaited

	cmds       chan command
	wake       chan struct{} // size 1: the hub has something
	done       chan struct{} // closed when the writer ends
	readerDone chan struct{} // closed when the reader ends
	readErr    error         // why the reader ended; read after readerDone
	authErr    string        // why authentication failed; read after readerDone

	// Owned by the writer.
	subs      []*subscription
	idleSince time.Time
	expiry    *time.Timer // fires when the user's credentials expire
}

func newConn(s *Server, ws *websocket.Conn, filter hub.Filter) *conn {
	return &conn{
		s: s, ws: ws, filter: filter,
		cmds:       make(chan command, 4),
		wake:       make(chan struct{}, 1),
		done:       make(chan struct{}),
		readerDone: make(chan struct{}),
		idleSince:  time.Now(),
	}
}

// run serves the connection until either side ends it.
func (c *conn) run() {
	c.s.metrics.connections.Inc()
	defer c.s.metrics.connections.Dec()
	go c.read()
	c.write()
	// The writer has said its last word (a close frame when it could):
	// close the socket under the reader, wait for it, and let the
	// subscriptions go with the connection.
	_ = c.ws.NetConn().Close()
	<-c.readerDone
	for _, sub := range c.subs {
		sub.sub.Close()
	}
	c.subs = nil
}

// notify is the hub's wake-up: it never blocks.
func (c *conn) notify() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// alive moves the read deadline: the client has PingInterval +
// PongTimeout to send the next frame (a pong at least).
func (c *conn) alive() {
	if c.authWaiting.Load() {
		return // only the authenticate message moves the deadline
	}
	_ = c.ws.SetReadDeadline(time.Now().Add(c.s.opts.PingInterval + c.s.opts.PongTimeout))
}

// read parses client messages into commands for the writer.
func (c *conn) read() {
	defer close(c.readerDone)
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("websocket: recovered a panic in the reader", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			c.readErr = fmt.Errorf("reader panicked: %v", p)
		}
	}()
	c.ws.SetReadLimit(c.s.opts.MaxMessageBytes)
	c.alive()
	first := c.auth.pending
	if first {
		c.authWaiting.Store(true)
		_ = c.ws.SetReadDeadline(time.Now().Add(c.s.opts.AuthTimeout))
	}
	c.ws.SetPongHandler(func(string) error { c.alive(); return nil })
	pong := c.ws.PingHandler()
	c.ws.SetPingHandler(func(data string) error { c.alive(); return pong(data) })
	for {
		mt, data, err := c.ws.ReadMessage()
		if err != nil {
			c.readErr = err
			var ne net.Error
			if first && errors.As(err, &ne) && ne.Timeout() {
				c.authErr = fmt.Sprintf("no authenticate message within %s", c.s.opts.AuthTimeout)
			}
			return
		}
		if first {
			first = false
			c.authWaiting.Store(false)
			c.alive()
			cmd, consumed, ok := c.authenticate(mt, data)
			if !ok {
				return
			}
			if cmd != nil {
				select {
				case c.cmds <- *cmd:
				case <-c.done:
					return
				}
			}
			if consumed {
				continue
			}
		}
		c.alive()
		var cmd command
		if _, aerr := parseAuthenticate(mt, data); aerr == nil {
			cmd.err = &RequestError{Code: CodeAlreadyAuthenticated, Message: "authenticate is only accepted as the first message of a connection that is not authenticated yet"}
		} else if mt != websocket.TextMessage {
			cmd.err = &RequestError{Code: CodeInvalidMessage, Message: "binary messages are not part of this protocol: send JSON text"}
		} else if req, err := parseRequest(data, c.s.opts.Kinds); err != nil {
			errors.As(err, &cmd.err)
		} else {
			cmd.req = req
		}
		select {
		case c.cmds <- cmd:
		case <-c.done:
			return
		}
	}
}

// write is the connection's only writer.
func (c *conn) write() {
	defer close(c.done)
	defer func() {
		if p := recover(); p != nil {
			c.s.log.Error("websocket: recovered a panic in the writer", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			c.closeWith(websocket.CloseInternalServerErr, "internal error")
		}
	}()
	tick := time.NewTicker(c.s.opts.PingInterval)
	defer tick.Stop()
	if c.auth.user != nil {
		c.expireAt(c.auth.user.ExpiresAt)
	}
	defer func() {
		if c.expiry != nil {
			c.expiry.Stop()
		}
	}()
	// The guard may come later, with an authenticate message.
	var recheckTick <-chan time.Time
	if c.s.opts.Access != nil {
		t := time.NewTicker(c.s.opts.RecheckInterval)
		defer t.Stop()
		recheckTick = t.C
	}
	for {
		var err error
		var undecided <-chan struct{}
		if c.guard != nil {
			undecided = c.guard.wake
		}
		var expired <-chan time.Time
		if c.expiry != nil {
			expired = c.expiry.C
		}
		select {
		case <-c.s.ctx.Done():
			c.closeWith(websocket.CloseGoingAway, "server shutting down")
			return
		case <-c.readerDone:
			c.readEnded()
			return
		case cmd := <-c.cmds:
			err = c.handle(cmd)
		case <-c.wake:
			err = c.flush()
		case <-tick.C:
			err = c.heartbeat()
		case <-recheckTick:
			err = c.recheck(true)
		case <-undecided:
			err = c.recheck(false)
		case <-expired:
			c.s.metrics.rejected.WithLabelValues("expired").Inc()
			c.closeWith(websocket.ClosePolicyViolation, CloseReasonExpired)
			return
		}
		if err != nil {
			if !errors.Is(err, errClosed) {
				c.s.log.Debug("websocket: write failed; closing", "remote", c.ws.RemoteAddr().String(), "error", err)
			}
			return
		}
	}
}

// readEnded closes after the reader stopped: a client that went silent
// past the deadline is told so; a client's close frame was already
// answered by the library; a broken connection gets nothing.
func (c *conn) readEnded() {
	if c.authErr != "" {
		c.s.metrics.rejected.WithLabelValues("unauthenticated").Inc()
		c.closeWith(websocket.ClosePolicyViolation, c.authErr)
		return
	}
	var ne net.Error
	if errors.As(c.readErr, &ne) && ne.Timeout() {
		c.closeWith(websocket.CloseGoingAway, fmt.Sprintf("no pong or message for %s", c.s.opts.PingInterval+c.s.opts.PongTimeout))
	}
}

// CloseReasonExpired is the reason of the close frame (code 1008, policy
// violation) that ends a connection when the credentials it was
// authenticated with expire. The client reconnects with a fresh token and
// resumes each subscription from the last resourceVersion it saw.
const CloseReasonExpired = "credentials expired: reconnect with a fresh token and resume from the last resourceVersion"

// expireAt arms the close at the credentials' expiry (zero: none known).
func (c *conn) expireAt(at time.Time) {
	if at.IsZero() {
		return
	}
	if c.expiry != nil {
		c.expiry.Stop()
	}
	c.expiry = time.NewTimer(time.Until(at))
}

// closeWith sends a close frame and waits briefly for the client's.
func (c *conn) closeWith(code int, reason string) {
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(controlTimeout))
	t := time.NewTimer(closeGrace)
	defer t.Stop()
	select {
	case <-c.readerDone:
	case <-t.C:
	}
}

func (c *conn) handle(cmd command) error {
	if cmd.authenticated != nil {
		if cmd.filter != nil {
			c.filter = *cmd.filter
		}
		u := cmd.authenticated
		c.expireAt(u.ExpiresAt)
		if c.s.opts.Access != nil {
			a, err := c.s.opts.Access(auth.NewContext(c.s.ctx, *u))
			if err != nil {
				return c.sendError("", CodeForbidden, err.Error())
			}
			if a != nil {
				c.guard = newGuard(a)
			}
		}
		return c.send(TypeAuthenticated, "", "", appendJSON(AuthenticatedData{User: u.Name, Groups: u.Groups}))
	}
	if cmd.err != nil {
		return c.sendError(cmd.err.ID, cmd.err.Code, cmd.err.Message)
	}
	switch cmd.req.Type {
	case TypeSubscribe:
		return c.subscribe(cmd.req)
	case TypeUnsubscribe:
		return c.unsubscribe(cmd.req.ID)
	}
	return nil
}

func (c *conn) find(id string) int {
	for i, s := range c.subs {
		if s.id == id {
			return i
		}
	}
	return -1
}

func (c *conn) subscribe(r Request) error {
	if c.find(r.ID) >= 0 {
		return c.sendError(r.ID, CodeDuplicateSubscription, fmt.Sprintf("subscription %q is already open on this connection", r.ID))
	}
	if len(c.subs) >= c.s.opts.MaxSubscriptions {
		return c.sendError(r.ID, CodeTooManySubscriptions, fmt.Sprintf("this connection has the maximum of %d subscriptions open", c.s.opts.MaxSubscriptions))
	}
	sel := newSelection(r)
	filter := hub.And(c.filter, sel.filter())
	if c.guard != nil {
		ctx, cancel := context.WithTimeout(c.s.ctx, 30*time.Second)
		err := c.guard.admit(ctx, r.Kinds, r.Namespace)
		cancel()
		if err != nil {
			return c.sendError(r.ID, CodeForbidden, forbiddenMessage(err))
		}
		// The selection first: the guard then only decides what the
		// subscription asked for.
		filter = hub.And(c.filter, sel.filter(), c.guard.filter())
	}
	sub, resumed := c.s.hub.Subscribe(hub.SubscribeOptions{
		Filter: filter,
		Notify: c.notify,
		From:   r.ResourceVersion,
	})
	c.subs = append(c.subs, &subscription{id: r.ID, sub: sub, sel: sel, filter: filter})
	// Sent before the first flush, so "subscribed" always comes first.
	return c.send(TypeSubscribed, r.ID, "", appendJSON(SubscribedData{Resumed: resumed}))
}

func (c *conn) unsubscribe(id string) error {
	i := c.find(id)
	if i < 0 {
		return c.sendError(id, CodeUnknownSubscription, fmt.Sprintf("no subscription %q is open on this connection", id))
	}
	c.remove(i)
	return c.send(TypeUnsubscribed, id, "", nil)
}

func (c *conn) remove(i int) {
	c.subs[i].sub.Close()
	c.subs = append(c.subs[:i], c.subs[i+1:]...)
	if len(c.subs) == 0 {
		c.idleSince = time.Now()
	}
}

// flush sends what the subscriptions have, a batch each in turn; when one
// had more it wakes itself, so commands and shutdown get their turn.
func (c *conn) flush() error {
	more := false
	for i := 0; i < len(c.subs); i++ {
		sub := c.subs[i]
		msgs := sub.sub.Next(flushBatch)
		if len(msgs) == flushBatch {
			more = true
		}
		for _, m := range msgs {
			failed, err := c.deliver(sub, m)
			if err != nil {
				return err
			}
			if failed {
				c.remove(i)
				i--
				break
			}
		}
	}
	if more {
		c.notify()
	}
	return nil
}

// deliver sends one hub message; failed reports the end of the
// subscription.
func (c *conn) deliver(sub *subscription, m hub.Message) (failed bool, err error) {
	sub.quiet = false
	switch m.Type {
	case hub.MessageEvent:
		c.s.metrics.eventsSent.Inc()
		return false, c.send(EventType(m.Event.Key.Kind, m.Op), sub.id, m.Cursor, func(b []byte) []byte { return appendItem(b, m.Event) })
	case hub.MessageSnapshot:
		c.s.metrics.snapshotsSent.Inc()
		return false, c.send(TypeSnapshot, sub.id, m.Cursor, func(b []byte) []byte { return appendSnapshot(b, m.Items) })
	case hub.MessageResyncRequired:
		return false, c.send(TypeResyncRequired, sub.id, "", appendJSON(ResyncData{Reason: m.Reason}))
	case hub.MessageFailed:
		return true, c.sendError(sub.id, CodeSubscriptionFailed, m.Reason+"; the subscription is closed, subscribe again")
	}
	return false, nil
}

// heartbeat pings, sends bookmarks to the subscriptions that were quiet
// for a whole interval, and closes a connection idle for too long.
func (c *conn) heartbeat() error {
	if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.s.opts.WriteTimeout)); err != nil {
		return err
	}
	for _, sub := range c.subs {
		if sub.quiet {
			if cursor, ok := sub.sub.Bookmark(); ok {
				if err := c.send(TypeBookmark, sub.id, cursor, nil); err != nil {
					return err
				}
			}
		}
		sub.quiet = true
	}
	if len(c.subs) == 0 && time.Since(c.idleSince) >= c.s.opts.IdleTimeout {
		c.closeWith(websocket.CloseNormalClosure, fmt.Sprintf("idle: no subscription for %s", c.s.opts.IdleTimeout))
		return errClosed
	}
	return nil
}

func (c *conn) sendError(id, code, message string) error {
	return c.send(TypeError, id, "", appendJSON(ErrorData{Code: code, Message: message}))
}

// send writes one message within WriteTimeout. The message is built in a
// buffer of the server's pool, so an idle connection holds none.
func (c *conn) send(typ, sub, rv string, data func([]byte) []byte) error {
	bp, _ := c.s.buffers.Get().(*[]byte)
	if bp == nil {
		bp = new([]byte)
	}
	*bp = appendEnvelope((*bp)[:0], typ, sub, rv, data)
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.s.opts.WriteTimeout))
	err := c.ws.WriteMessage(websocket.TextMessage, *bp)
	if cap(*bp) <= maxKeptBuffer {
		c.s.buffers.Put(bp)
	}
	return err
}
