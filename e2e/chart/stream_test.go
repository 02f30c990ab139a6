package chart

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
)

// envelope is one server message of the WebSocket stream.
type envelope struct {
	Type         string          `json:"type"`
	Subscription string          `json:"subscription"`
	Data         json.RawMessage `json:"data"`
}

// stream is one WebSocket connection to the console.
type stream struct {
	conn *websocket.Conn
}

// dialStream opens GET /api/v1/ws (no Origin header, as a non-browser
// client) and closes it when the test ends.
func dialStream(t *testing.T, con *proc) *stream {
	t.Helper()
	url := "ws" + strings.TrimPrefix(con.URL, "http") + "/api/v1/ws"
	conn, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {bearer(t)}})
	status := 0
	if resp != nil {
		status = resp.StatusCode
		_ = resp.Body.Close()
	}
	if err != nil {
		t.Fatalf("dial %s: %v (HTTP %d)", url, err, status)
	}
	t.Cleanup(func() { _ = conn.Close() })
	return &stream{conn: conn}
}

// send writes one client message.
func (s *stream) send(t *testing.T, msg any) {
	t.Helper()
	if err := s.conn.WriteJSON(msg); err != nil {
		t.Fatalf("WebSocket write: %v", err)
	}
}

// next returns the next message of subscription id whose type is one of
// types, skipping bookmarks and failing on errors or a timeout.
func (s *stream) next(t *testing.T, id string, timeout time.Duration, types ...string) envelope {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if err := s.conn.SetReadDeadline(deadline); err != nil {
			t.Fatal(err)
		}
		var e envelope
		if err := s.conn.ReadJSON(&e); err != nil {
			t.Fatalf("WebSocket read, waiting for %v: %v", types, err)
		}
		if e.Type == "error" {
			t.Fatalf("WebSocket error: %s", e.Data)
		}
		if e.Subscription != id {
			continue
		}
		for _, want := range types {
			if e.Type == want {
				return e
			}
		}
	}
}
