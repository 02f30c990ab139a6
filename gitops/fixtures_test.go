package gitops

import (
	"context"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"os"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	"github.com/aigw-console/aigw-console/app/sink"
)

// newSink returns a Sink on g with its own cache folder (one replica).
func newSink(t testing.TB, g *gitServer, mutate ...func(*Options)) *Sink {
	t.Helper()
	opts := Options{URL: g.URL, CacheDir: newDir(t, "cache-"+t.Name()), Logger: slog.New(slog.DiscardHandler)}
	for _, m := range mutate {
		m(&opts)
	}
	s, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func apply(t testing.TB, s *Sink, cs sink.ChangeSet) sink.Result {
	t.Helper()
	res, err := s.Apply(context.Background(), cs)
	if err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return res
}

// backend is an Envoy Gateway Backend, as the provider templates render it.
func backend(ns, name, host string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "gateway.envoyproxy.io/v1alpha1",
		"kind":       "Backend",
		"metadata": map[string]any{
			"name": name, "namespace": ns,
			"labels": map[string]any{"app.kubernetes.io/managed-by": "aigw-console"},
		},
		"spec": map[string]any{"endpoints": []any{
			map[string]any{"fqdn": map[string]any{"hostname": host, "port": int64(443)}},
		}},
	}}
}

// aiBackend is an AIServiceBackend pointing at the Backend of the same name.
func aiBackend(ns, name, schema string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "aigateway.envoyproxy.io/v1beta1",
		"kind":       "AIServiceBackend",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"spec": map[string]any{
			"schema":     map[string]any{"name": schema},
			"backendRef": map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": name},
		},
	}}
}

// secret is a Secret whose apiKey holds value (base64 in data, as the API
// renders it).
func secret(ns, name, value string) *unstructured.Unstructured {
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1",
		"kind":       "Secret",
		"metadata":   map[string]any{"name": name, "namespace": ns},
		"type":       "Opaque",
		"data":       map[string]any{"apiKey": base64.StdEncoding.EncodeToString([]byte(value))},
	}}
}

// readObjects reads a multi-document YAML file.
func readObjects(t testing.TB, file string) []*unstructured.Unstructured {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	dec := utilyaml.NewYAMLOrJSONDecoder(f, 4096)
	var out []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			t.Fatalf("%s: %v", file, err)
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
	return out
}
