package audit

import (
	"io"
	"testing"
	"time"
)

// BenchmarkWrite is the cost the audit trail adds to one write: collecting
// the request's secrets, building the scrubber, and encoding, scrubbing and
// writing the record (Event queued, not created).
func BenchmarkWrite(b *testing.B) {
	a, err := New(Options{Log: io.Discard, Events: &recordedEvents{}, QueueLength: 1})
	if err != nil {
		b.Fatal(err)
	}
	body := []byte(`{"name":"openai","template":"openai","auth":{"apiKey":"` + secret + `"}}`)
	rec := Record{Time: time.Now(), RequestID: "r", User: "alice", Groups: []string{"team-a"}, Method: "POST", Path: "/api/v1/providers",
		Operation: "create", Kind: "provider", Namespace: "team-a", Name: "openai", Mode: "direct",
		Objects: make([]Object, 5), Result: Result{Status: 201}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		a.Write(rec, NewScrubber(Secrets(body, "Bearer some-token-value")))
		select {
		case <-a.queue:
		default:
		}
	}
}
