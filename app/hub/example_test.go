package hub_test

import (
	"fmt"

	"github.com/aigw-console/aigw-console/app/hub"
)

// A subscriber gets the state as a snapshot, then the events after it; a
// subscriber that comes back with the last cursor it saw gets exactly what
// it missed.
func Example() {
	h := hub.New(hub.Options{Epoch: "e"})
	h.Publish(hub.Event{Op: hub.Added, Key: hub.Key{Kind: "providers", Namespace: "team-a", Name: "openai"}, Data: []byte(`{"v":1}`)})

	inTeamA := func(e hub.Event) bool { return e.Key.Namespace == "team-a" }
	s, _ := h.Subscribe(hub.SubscribeOptions{Filter: inTeamA})
	for _, m := range s.Next(10) {
		fmt.Println("snapshot at", m.Cursor, "with", len(m.Items), "object")
	}
	h.Publish(hub.Event{Op: hub.Modified, Key: hub.Key{Kind: "providers", Namespace: "team-a", Name: "openai"}, Data: []byte(`{"v":2}`)})
	last := ""
	for _, m := range s.Next(10) {
		fmt.Println(m.Op, m.Event.Key.Name, string(m.Event.Data), "at", m.Cursor)
		last = m.Cursor
	}
	s.Close() // the connection drops

	h.Publish(hub.Event{Op: hub.Deleted, Key: hub.Key{Kind: "providers", Namespace: "team-a", Name: "openai"}})
	again, resumed := h.Subscribe(hub.SubscribeOptions{Filter: inTeamA, From: last})
	fmt.Println("resumed:", resumed)
	for _, m := range again.Next(10) {
		fmt.Println(m.Op, m.Event.Key.Name, string(m.Event.Data), "at", m.Cursor)
	}
	// Output:
	// snapshot at e.1 with 1 object
	// modified openai {"v":2} at e.2
	// resumed: true
	// deleted openai {"v":2} at e.3
}
