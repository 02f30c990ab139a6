package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/provider"
	"github.com/aigw-console/aigw-console/app/route"
	"github.com/aigw-console/aigw-console/app/sink"
	"github.com/aigw-console/aigw-console/gitops"
	"github.com/aigw-console/aigw-console/policy"
)

// fuzzRoutes are the write routes FuzzWriteRequest drives; {kind} is one of
// fuzzKinds.
var fuzzRoutes = []struct{ method, path string }{
	{http.MethodPost, "/api/v1/providers"},
	{http.MethodPut, "/api/v1/providers/{name}"},
	{http.MethodDelete, "/api/v1/providers/{name}"},
	{http.MethodPost, "/api/v1/routes"},
	{http.MethodPut, "/api/v1/routes/{name}"},
	{http.MethodDelete, "/api/v1/routes/{name}"},
	{http.MethodPut, "/api/v1/resources/{kind}/{name}"},
	{http.MethodDelete, "/api/v1/resources/{kind}/{name}"},
}

var fuzzKinds = []string{"aigatewayroutes", "aiservicebackends", "backendsecuritypolicies", "backends", "backendtlspolicies", "secrets", "configmaps"}

// credentialFields are the write-only fields of a provider request body.
var credentialFields = map[string]bool{
	"apiKey": true, "credentials": true, "accessKeyID": true, "secretAccessKey": true,
	"clientSecret": true, "serviceAccountJSON": true,
}

// FuzzWriteRequest sends fuzzed requests to the write routes (POST/PUT/DELETE
// of providers, routes and raw resources) of the whole router (New) with the
// real Rego engine (package policy, built-in bundle): fuzzed method/route
// choice, name, namespace, query string, Content-Type, If-Match and body.
//
// A fuzz loop cannot go through an API server at fuzzing speed, so the
// Reader is an in-memory cache (fuzzReader: a provider, a route and
// hand-made objects, as the informer cache holds them) and the sink records
// what it is handed (fuzzSink). The same routes run against the real API
// server in the e2e suite.
//
// Properties: never a 5xx (a panic becomes one through the recover
// middleware); every 4xx is application/problem+json with the status, a
// code and a detail; every 2xx is JSON; no credential of the request body
// appears in the answer or the log (credentials are write-only); every
// object handed to the sink belongs to the request's namespace and renders
// for Git. Seeds: testdata/fuzz/FuzzWriteRequest.
func FuzzWriteRequest(f *testing.F) {
	engine, err := policy.New(context.Background(), policy.Options{})
	if err != nil {
		f.Fatal(err)
	}
	rec := &fuzzSink{}
	var logs bytes.Buffer
	app := New(Options{
		Reader: newFuzzReader(f),
		Sink:   rec,
		Policy: engine,
		Logger: slog.New(slog.NewJSONHandler(&logs, nil)),
	})
	f.Fuzz(func(t *testing.T, op uint8, name, ns, query, contentType, ifMatch string, body []byte) {
		rt := fuzzRoutes[int(op)%len(fuzzRoutes)]
		kind := fuzzKinds[int(op)/len(fuzzRoutes)%len(fuzzKinds)]
		p := strings.NewReplacer("{name}", url.PathEscape(name), "{kind}", kind).Replace(rt.path)
		q := query
		if ns != "" {
			q = "namespace=" + url.QueryEscape(ns) + "&" + query
		}
		req, err := http.NewRequest(rt.method, "http://console.test"+p+"?"+q, bytes.NewReader(body))
		if err != nil {
			return // not a request a client can send
		}
		if contentType != "" {
			req.Header.Set(fiber.HeaderContentType, contentType)
		}
		if ifMatch != "" {
			req.Header.Set(fiber.HeaderIfMatch, ifMatch)
		}
		logs.Reset()
		rec.reset()
		resp, err := app.Test(req, -1)
		if errors.As(err, new(*fasthttp.ErrSmallBuffer)) {
			// A request head over the server's read buffer: a real server
			// answers 431 before any route (TestUnroutedIsToldOfAnswersBeforeTheMiddleware shows
			// it over a real connection); app.Test returns the error instead.
			return
		}
		if err != nil {
			t.Fatalf("%s %s: %v", rt.method, req.URL, err)
		}
		answer, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatalf("read the answer: %v", err)
		}
		what := fmt.Sprintf("%s %s (Content-Type %q) → %d", rt.method, req.URL, contentType, resp.StatusCode)
		checkAnswer(t, what, resp, answer)
		creds := requestCredentials(body, req.URL.String(), contentType, ifMatch)
		noCredentialIn(t, creds, what+": the answer", answer)
		noCredentialIn(t, creds, what+": the log", logs.Bytes())
		for _, cs := range rec.taken() {
			for _, o := range cs.Apply {
				if want := nsOrDefault(ns); o.GetNamespace() != want {
					t.Fatalf("%s: the sink got %s in namespace %q, want %q", what, sink.RefOf(o), o.GetNamespace(), want)
				}
				// A key too long for YAML is left to the API server's
				// dry-run, which refuses it (no Kubernetes key is that long).
				if _, err := gitops.Render(o); err != nil && !errors.Is(err, gitops.ErrKeyTooLong) {
					t.Fatalf("%s: the sink got an object Git cannot hold: %v", what, err)
				}
			}
		}
	})
}

func nsOrDefault(ns string) string {
	if ns == "" {
		return "default"
	}
	return ns
}

// checkAnswer checks the status, Content-Type and body of one answer.
func checkAnswer(t *testing.T, what string, resp *http.Response, body []byte) {
	t.Helper()
	ct := resp.Header.Get(fiber.HeaderContentType)
	switch {
	case resp.StatusCode >= 500:
		t.Fatalf("%s: a server error:\n%s", what, body)
	case resp.StatusCode >= 400:
		if ct != "application/problem+json" {
			t.Fatalf("%s: Content-Type %q, want application/problem+json:\n%s", what, ct, body)
		}
		var p Problem
		dec := json.NewDecoder(bytes.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("%s: the problem does not decode: %v\n%s", what, err, body)
		}
		if p.Status != resp.StatusCode || p.Code == "" || p.Detail == "" || p.Title == "" {
			t.Fatalf("%s: an incomplete problem (status, title, code and detail are required):\n%s", what, body)
		}
	case resp.StatusCode >= 200 && resp.StatusCode < 300:
		if !strings.HasPrefix(ct, fiber.MIMEApplicationJSON) || !json.Valid(body) {
			t.Fatalf("%s: Content-Type %q and a body that is not JSON:\n%s", what, ct, body)
		}
	default:
		t.Fatalf("%s: unexpected status", what)
	}
}

// requestCredentials returns the values of the credential fields anywhere
// in a JSON body that are worth looking for: at least 8 bytes, and not
// part of anything else the client sent (a credential equal to the
// hostname shows up legitimately in the answer).
func requestCredentials(body []byte, others ...string) []string {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return nil
	}
	var creds []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			for k, e := range x {
				if s, ok := e.(string); ok && credentialFields[k] {
					creds = append(creds, s)
					x[k] = ""
					continue
				}
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	public, _ := json.Marshal(v)
	others = append(others, string(public))
	var out []string
next:
	for _, c := range creds {
		if len(c) < 8 {
			continue
		}
		for _, o := range others {
			if strings.Contains(o, c) {
				continue next
			}
		}
		out = append(out, c)
	}
	return out
}

// noCredentialIn fails when a credential appears in text: plain, as JSON
// escapes it, or base64-encoded (a Secret's data).
func noCredentialIn(t *testing.T, creds []string, what string, text []byte) {
	t.Helper()
	for _, c := range creds {
		quoted, _ := json.Marshal(c)
		for _, form := range []string{c, string(quoted[1 : len(quoted)-1]), base64.StdEncoding.EncodeToString([]byte(c))} {
			if bytes.Contains(text, []byte(form)) {
				t.Fatalf("%s holds a credential of the request:\n%s", what, text)
			}
		}
	}
}

// fuzzSink records what it is handed and answers like the direct sink.
type fuzzSink struct {
	mu   sync.Mutex
	seen []sink.ChangeSet
}

func (s *fuzzSink) Apply(_ context.Context, cs sink.ChangeSet) (sink.Result, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, cs)
	res := sink.Result{DryRun: cs.DryRun}
	for _, o := range cs.Apply {
		e := sink.NewEntry(sink.RefOf(o), sink.Created)
		if !cs.DryRun {
			e.ResourceVersion = "2"
		}
		res.Entries = append(res.Entries, e)
	}
	for _, r := range cs.Delete {
		res.Entries = append(res.Entries, sink.NewEntry(r, sink.Deleted))
	}
	return res, nil
}

func (s *fuzzSink) reset() {
	s.mu.Lock()
	s.seen = nil
	s.mu.Unlock()
}

func (s *fuzzSink) taken() []sink.ChangeSet {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seen
}

// fuzzReader is an in-memory Reader holding what the informer cache would
// hold: objects by kind, Secrets reduced to key fingerprints. Get and List
// return copies, so no request can change what the next one sees.
type fuzzReader struct {
	objs map[string][]*unstructured.Unstructured // kind name -> objects
}

// fuzzLongName is a hand-made AIServiceBackend's name that is a valid
// object name but too long for a label value.
var fuzzLongName = strings.Repeat("long", 16) + "-backend"

// newFuzzReader holds the provider "openai" (API key, TLS) and the route
// "chat" to it in default, a provider "bedrock" in team-a, and hand-made
// objects: an AIServiceBackend with a name too long for a label value, and
// an AIGatewayRoute the route API cannot express.
func newFuzzReader(tb testing.TB) *fuzzReader {
	r := &fuzzReader{objs: map[string][]*unstructured.Unstructured{}}
	add := func(objs ...*unstructured.Unstructured) {
		for _, o := range objs {
			k, ok := cluster.KindOf(o.GroupVersionKind().GroupKind())
			if !ok {
				tb.Fatalf("no kind for %s", sink.RefOf(o))
			}
			o.SetResourceVersion("1")
			if k == cluster.Secret {
				o = reducedSecret(o)
			}
			r.objs[k.Name] = append(r.objs[k.Name], o)
		}
	}
	for ns, s := range map[string]provider.Spec{
		"default": {Name: "openai", Template: "openai", Auth: provider.Auth{APIKey: "sk-fuzz-stored-0001"}},
		"team-a":  {Name: "bedrock", Template: "aws-bedrock", Auth: provider.Auth{AWS: &provider.AWSAuth{AccessKeyID: "AKIAFUZZFUZZFUZZ0001", SecretAccessKey: "fuzz/stored+0001"}}},
	} {
		s, errs := provider.ExpandTemplate(s)
		if len(errs) > 0 {
			tb.Fatal(errs.ToAggregate())
		}
		rendered, err := provider.Render(ns, s)
		if err != nil {
			tb.Fatal(err)
		}
		add(rendered.Objects...)
	}
	chat, err := route.Render("default", route.Spec{
		Name:     "chat",
		Gateways: []route.GatewayRef{{Name: "ai-gateway"}},
		Rules:    []route.Rule{{Models: []string{"gpt-4o"}, Backends: []route.Backend{{Provider: "openai"}}}},
	})
	if err != nil {
		tb.Fatal(err)
	}
	add(chat)
	long := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "aigateway.envoyproxy.io/v1beta1", "kind": "AIServiceBackend",
		"metadata": map[string]any{"name": fuzzLongName, "namespace": "default"},
		"spec": map[string]any{
			"schema":     map[string]any{"name": "OpenAI"},
			"backendRef": map[string]any{"group": "gateway.envoyproxy.io", "kind": "Backend", "name": "hand-made"},
		},
	}}
	pool := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "aigateway.envoyproxy.io/v1beta1", "kind": "AIGatewayRoute",
		"metadata": map[string]any{"name": "pool", "namespace": "default"},
		"spec": map[string]any{
			"parentRefs": []any{map[string]any{"name": "ai-gateway"}},
			"rules": []any{map[string]any{"backendRefs": []any{map[string]any{
				"group": "inference.networking.k8s.io", "kind": "InferencePool", "name": "llama",
			}}}},
		},
	}}
	add(long, pool)
	return r
}

// reducedSecret is app/cluster's cache transform of a Secret: metadata,
// type and a fingerprint per key.
func reducedSecret(u *unstructured.Unstructured) *unstructured.Unstructured {
	keys := map[string]any{}
	data, _, _ := unstructured.NestedStringMap(u.Object, "data")
	for k, v := range data {
		raw, _ := base64.StdEncoding.DecodeString(v)
		keys[k] = cluster.Fingerprint(raw)
	}
	return &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": u.GetAPIVersion(), "kind": u.GetKind(), "metadata": u.Object["metadata"],
		"type": u.Object["type"], cluster.SecretKeysField: keys,
	}}
}

func (r *fuzzReader) List(k cluster.Kind, ns string, sel labels.Selector) []*unstructured.Unstructured {
	if sel == nil {
		sel = labels.Everything()
	}
	var out []*unstructured.Unstructured
	for _, o := range r.objs[k.Name] {
		if (ns == "" || o.GetNamespace() == ns) && sel.Matches(labels.Set(o.GetLabels())) {
			out = append(out, o.DeepCopy())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].GetNamespace() != out[j].GetNamespace() {
			return out[i].GetNamespace() < out[j].GetNamespace()
		}
		return out[i].GetName() < out[j].GetName()
	})
	return out
}

func (r *fuzzReader) Get(k cluster.Kind, ns, name string) (*unstructured.Unstructured, error) {
	for _, o := range r.objs[k.Name] {
		if o.GetNamespace() == ns && o.GetName() == name {
			return o.DeepCopy(), nil
		}
	}
	return nil, apierrors.NewNotFound(k.GVR().GroupResource(), name)
}
