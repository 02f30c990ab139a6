package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/aigw-console/aigw-console/app/stream"
	"github.com/aigw-console/aigw-console/e2e/harness"
)

// streamSchemas compiles docs/websocket.schema.json once, with the REST
// API's openapi.json that it references, as a server serves them.
var streamSchemas = sync.OnceValues(func() ([2]*jsonschema.Schema, error) {
	var out [2]*jsonschema.Schema
	root, err := harness.RepoRoot()
	if err != nil {
		return out, err
	}
	const base = "https://aigw-console.io/api/v1/"
	c := jsonschema.NewCompiler()
	for url, path := range map[string]string{
		base + "websocket.schema.json": filepath.Join(root, "docs", "websocket.schema.json"),
		base + "openapi.json":          filepath.Join(root, "app", "api", "openapi.json"),
	} {
		raw, err := os.ReadFile(path)
		if err != nil {
			return out, err
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			return out, err
		}
		if err := c.AddResource(url, doc); err != nil {
			return out, err
		}
	}
	for i, def := range []string{"ServerMessage", "ClientMessage"} {
		if out[i], err = c.Compile(base + "websocket.schema.json#/$defs/" + def); err != nil {
			return out, err
		}
	}
	return out, nil
})

// checkSchema validates one message; server picks ServerMessage or
// ClientMessage.
func checkSchema(t testing.TB, server bool, raw []byte) {
	t.Helper()
	schemas, err := streamSchemas()
	if err != nil {
		t.Fatalf("docs/websocket.schema.json: %v", err)
	}
	sch := schemas[1]
	if server {
		sch = schemas[0]
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err == nil {
		err = sch.Validate(v)
	}
	if err != nil {
		t.Errorf("message does not follow docs/websocket.schema.json: %v\n%.2000s", err, raw)
	}
}

// streamMsg is one message received, or the end of the connection.
type streamMsg struct {
	env stream.Envelope
	raw []byte
	at  time.Time
	err error
}

// streamClient is a client of GET /api/v1/ws. A goroutine reads every
// message, checks it against docs/websocket.schema.json and queues it;
// every message it sends is checked too.
type streamClient struct {
	t    testing.TB
	ws   *websocket.Conn
	in   chan streamMsg
	once sync.Once
}

// dialStream connects to con's stream. A stalled client does not read
// until resume is called; its kernel receive buffer then stays at the
// default size (Linux grows it only for an application that reads).
func dialStream(t testing.TB, con *console, stalled bool) *streamClient {
	t.Helper()
	return dialStreamWith(t, con, stalled, bearer(t))
}

// dialStreamWith connects with the given upgrade request headers (nil: no
// credentials).
func dialStreamWith(t testing.TB, con *console, stalled bool, header http.Header) *streamClient {
	t.Helper()
	url := "ws" + strings.TrimPrefix(con.URL, "http") + "/api/v1/ws"
	ws, resp, err := websocket.DefaultDialer.Dial(url, header)
	if resp != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (HTTP %d)", url, err, status)
	}
	c := &streamClient{t: t, ws: ws, in: make(chan streamMsg, 1<<16)}
	t.Cleanup(func() { _ = ws.Close() })
	if !stalled {
		c.resume()
	}
	return c
}

// resume starts reading.
func (c *streamClient) resume() {
	c.once.Do(func() {
		go func() {
			for {
				_, raw, err := c.ws.ReadMessage()
				if err != nil {
					c.in <- streamMsg{err: err, at: time.Now()}
					return
				}
				checkSchema(c.t, true, raw)
				suite.captureFrame(raw)
				m := streamMsg{raw: raw, at: time.Now()}
				if err := json.Unmarshal(raw, &m.env); err != nil {
					c.t.Errorf("decode %s: %v", raw, err)
				}
				c.in <- m
			}
		}()
	})
}

func (c *streamClient) send(r stream.Request) {
	c.t.Helper()
	c.sendJSON(r)
}

// sendJSON sends any client message (checked against the schema).
func (c *streamClient) sendJSON(r any) {
	c.t.Helper()
	raw, err := json.Marshal(r)
	if err != nil {
		c.t.Fatal(err)
	}
	checkSchema(c.t, false, raw)
	if err := c.ws.WriteMessage(websocket.TextMessage, raw); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next returns the next message; it fails the test after timeout or when
// the connection ends.
func (c *streamClient) next(timeout time.Duration) streamMsg {
	c.t.Helper()
	m, ok := c.tryNext(timeout)
	if !ok {
		c.t.Fatalf("no message within %s", timeout)
	}
	if m.err != nil {
		c.t.Fatalf("the connection ended: %v", m.err)
	}
	return m
}

// tryNext returns the next message or the end of the connection, or false
// after timeout.
func (c *streamClient) tryNext(timeout time.Duration) (streamMsg, bool) {
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case m := <-c.in:
		return m, true
	case <-t.C:
		return streamMsg{}, false
	}
}

// expect reads one message of each type, in order.
func (c *streamClient) expect(types ...string) []streamMsg {
	c.t.Helper()
	var out []streamMsg
	for _, typ := range types {
		m := c.next(10 * time.Second)
		if m.env.Type != typ {
			c.t.Fatalf("got a %s message, want %s: %.500s", m.env.Type, typ, m.raw)
		}
		out = append(out, m)
	}
	return out
}

// closeCode waits for the connection to end and returns its close code.
func (c *streamClient) closeCode(timeout time.Duration) int {
	c.t.Helper()
	return c.closeFrame(timeout).Code
}

// closeFrame reads until the server's close frame and returns it.
func (c *streamClient) closeFrame(timeout time.Duration) *websocket.CloseError {
	c.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		m, ok := c.tryNext(time.Until(deadline))
		if !ok {
			c.t.Fatalf("the connection did not close within %s", timeout)
		}
		if m.err != nil {
			var ce *websocket.CloseError
			if errors.As(m.err, &ce) {
				return ce
			}
			c.t.Fatalf("the connection ended without a close frame: %v", m.err)
		}
	}
}

// kill drops the TCP connection without a close frame, as a crashing
// client or a broken network does.
func (c *streamClient) kill() { _ = c.ws.NetConn().Close() }

// item decodes the data of an event.
func (m streamMsg) item(t testing.TB) stream.Item {
	t.Helper()
	var it stream.Item
	if err := json.Unmarshal(m.env.Data, &it); err != nil {
		t.Fatalf("event data: %v", err)
	}
	return it
}

// position is the sequence number in a stream resourceVersion
// ("<epoch>.<seq>"), for ordering checks within one server.
func position(t testing.TB, rv string) uint64 {
	t.Helper()
	_, num, _ := strings.Cut(rv, ".")
	n, err := strconv.ParseUint(num, 10, 64)
	if err != nil {
		t.Fatalf("resourceVersion %q is not <epoch>.<seq>", rv)
	}
	return n
}
