package stream

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// protocolSchemas are the compiled message schemas of
// docs/websocket.schema.json, with the REST API's object schemas.
type protocolSchemas struct {
	server, client *jsonschema.Schema
}

// loadSchemas compiles docs/websocket.schema.json, resolving
// "openapi.json" to app/api/openapi.json as a server serves it.
func loadSchemas(t testing.TB) protocolSchemas {
	t.Helper()
	const base = "https://aigw-console.io/api/v1/"
	c := jsonschema.NewCompiler()
	for url, path := range map[string]string{
		base + "websocket.schema.json": filepath.Join("..", "..", "docs", "websocket.schema.json"),
		base + "openapi.json":          filepath.Join("..", "api", "openapi.json"),
	} {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if err := c.AddResource(url, doc); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var s protocolSchemas
	var err error
	if s.server, err = c.Compile(base + "websocket.schema.json#/$defs/ServerMessage"); err != nil {
		t.Fatal(err)
	}
	if s.client, err = c.Compile(base + "websocket.schema.json#/$defs/ClientMessage"); err != nil {
		t.Fatal(err)
	}
	return s
}

// validate checks one message against sch.
func validate(t testing.TB, sch *jsonschema.Schema, msg []byte) {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(msg))
	if err != nil {
		t.Errorf("message is not JSON: %v\n%s", err, msg)
		return
	}
	if err := sch.Validate(v); err != nil {
		t.Errorf("message does not follow docs/websocket.schema.json: %v\n%s", err, msg)
	}
}
