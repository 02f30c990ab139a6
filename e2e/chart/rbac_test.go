package chart

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/aigw-console/aigw-console/app/cluster"
)

// step runs one subtest and stops the parent when it fails, so later steps
// that build on it do not pile up follow-on failures.
func step(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	if !t.Run(name, f) {
		t.FailNow()
	}
}

// waitFor polls cond every 100ms until it holds or timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// providerBody is an OpenAI provider: all five objects (Secret, Backend,
// BackendTLSPolicy, AIServiceBackend, BackendSecurityPolicy).
func providerBody(name, host string, withKey bool) map[string]any {
	b := map[string]any{"name": name, "template": "openai", "endpoint": map[string]any{"hostname": host}}
	if withKey {
		b["auth"] = map[string]any{"apiKey": "sk-chart-e2e"}
	}
	return b
}

// providerObjects are the five objects of a provider, by kind.
func providerObjects(name string) map[cluster.Kind]string {
	return map[cluster.Kind]string{
		cluster.Secret: name + "-credentials", cluster.Backend: name, cluster.BackendTLSPolicy: name,
		cluster.AIServiceBackend: name, cluster.BackendSecurityPolicy: name,
	}
}

// exists reports whether the API server has the object (read as the admin).
func exists(t *testing.T, k cluster.Kind, ns, name string) bool {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(k.GVK)
	err := env.Client(t).Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u)
	if err != nil && !apierrors.IsNotFound(err) {
		t.Fatalf("get %s %s/%s: %v", k.Name, ns, name, err)
	}
	return err == nil
}

// backendHost is the hostname of the Backend's first endpoint, read from the
// API server.
func backendHost(t *testing.T, ns, name string) string {
	t.Helper()
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(cluster.Backend.GVK)
	if err := env.Client(t).Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		t.Fatal(err)
	}
	eps, _, _ := unstructured.NestedSlice(u.Object, "spec", "endpoints")
	if len(eps) == 0 {
		return ""
	}
	h, _, _ := unstructured.NestedString(eps[0].(map[string]any), "fqdn", "hostname")
	return h
}

// etagOf waits until the console's cache shows all five objects of the
// provider with the Backend on host, and returns the provider's ETag (which
// covers every object, so it is only stable once all of them are cached).
func etagOf(t *testing.T, con *proc, ns, name, host string) string {
	t.Helper()
	var etag string
	waitFor(t, 10*time.Second, "the console to show provider "+name+" on "+host, func() bool {
		r := call(t, "GET", con.URL+"/api/v1/providers/"+name+"?namespace="+ns, nil)
		if r.Status != http.StatusOK {
			return false
		}
		var p struct {
			Endpoint struct{ Hostname string } `json:"endpoint"`
			Objects  []any                     `json:"objects"`
		}
		r.decode(t, &p)
		etag = r.Header.Get("ETag")
		return p.Endpoint.Hostname == host && len(p.Objects) == len(providerObjects(name))
	})
	return etag
}

// smoke runs the REST smoke suite through a console in namespace ns: every
// read and write path the console has, against the real API server.
func smoke(t *testing.T, con *proc, ns string) {
	t.Helper()
	const name = "smoke"
	providers := con.URL + "/api/v1/providers"

	step(t, "readyz turns 200: every informer synced with the chart's permissions", func(t *testing.T) {
		con.waitReady(t)
	})
	step(t, "metrics are served for the ServiceMonitor", func(t *testing.T) {
		r := call(t, "GET", con.URL+"/metrics", nil)
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "# TYPE ") {
			t.Fatalf("GET /metrics: %d %.300s", r.Status, r.Body)
		}
	})
	step(t, "providers are listed", func(t *testing.T) {
		if r := call(t, "GET", providers+"?namespace="+ns, nil); r.Status != http.StatusOK {
			t.Fatalf("GET providers: %d %s", r.Status, r.Body)
		}
	})
	step(t, "a dry-run create renders five objects and creates none", func(t *testing.T) {
		r := call(t, "POST", providers+"?namespace="+ns+"&dryRun=true", providerBody(name, "api.openai.com", true))
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"dryRun":true`) {
			t.Fatalf("dry-run POST: %d %s", r.Status, r.Body)
		}
		if exists(t, cluster.AIServiceBackend, ns, name) {
			t.Fatal("a dry run created the AIServiceBackend")
		}
	})
	// Opened here so that it lives across the steps.
	ws := dialStream(t, con)
	step(t, "a WebSocket subscription to the namespace's providers starts with a snapshot", func(t *testing.T) {
		ws.send(t, map[string]any{"type": "subscribe", "id": "providers", "kinds": []string{"providers"}, "namespace": ns})
		ws.next(t, "providers", 10*time.Second, "subscribed")
		snap := ws.next(t, "providers", 10*time.Second, "snapshot")
		var data struct{ Items []any }
		if err := json.Unmarshal(snap.Data, &data); err != nil || len(data.Items) != 0 {
			t.Fatalf("snapshot of an empty namespace: %s (%v)", snap.Data, err)
		}
	})
	step(t, "a provider is created: all five objects exist", func(t *testing.T) {
		r := call(t, "POST", providers+"?namespace="+ns, providerBody(name, "api.openai.com", true))
		if r.Status != http.StatusCreated {
			t.Fatalf("POST provider: %d %s", r.Status, r.Body)
		}
		for k, n := range providerObjects(name) {
			if !exists(t, k, ns, n) {
				t.Errorf("%s %s/%s missing after the create", k.Name, ns, n)
			}
		}
	})
	step(t, "the WebSocket stream reports the new provider", func(t *testing.T) {
		e := ws.next(t, "providers", 10*time.Second, "provider_created")
		var item struct{ Name string }
		if err := json.Unmarshal(e.Data, &item); err != nil || item.Name != name {
			t.Fatalf("provider_created: %s (%v)", e.Data, err)
		}
	})
	step(t, "the provider is updated with If-Match", func(t *testing.T) {
		etag := etagOf(t, con, ns, name, "api.openai.com")
		r := call(t, "PUT", providers+"/"+name+"?namespace="+ns, providerBody(name, "eu.api.openai.com", true), "If-Match", etag)
		if r.Status != http.StatusOK {
			t.Fatalf("PUT provider: %d %s", r.Status, r.Body)
		}
		if h := backendHost(t, ns, name); h != "eu.api.openai.com" {
			t.Fatalf("Backend host after the PUT: %q", h)
		}
	})
	step(t, "a dry-run update answers a diff and changes nothing", func(t *testing.T) {
		etagOf(t, con, ns, name, "eu.api.openai.com")
		r := call(t, "PUT", providers+"/"+name+"?namespace="+ns+"&dryRun=true", providerBody(name, "us.api.openai.com", false))
		if r.Status != http.StatusOK || !strings.Contains(string(r.Body), "us.api.openai.com") {
			t.Fatalf("dry-run PUT: %d %s", r.Status, r.Body)
		}
		if h := backendHost(t, ns, name); h != "eu.api.openai.com" {
			t.Fatalf("a dry run moved the Backend to %q", h)
		}
	})
	step(t, "a route to the provider is created and deleted", func(t *testing.T) {
		body := map[string]any{
			"name": "chat", "gateways": []any{map[string]any{"name": "ai-gateway"}},
			"rules": []any{map[string]any{"models": []any{"gpt-4o"}, "backends": []any{map[string]any{"provider": name}}, "timeouts": map[string]any{"request": "120s"}}},
		}
		r := call(t, "POST", con.URL+"/api/v1/routes?namespace="+ns, body)
		if r.Status != http.StatusCreated {
			t.Fatalf("POST route: %d %s", r.Status, r.Body)
		}
		waitFor(t, 10*time.Second, "the console to show the route", func() bool {
			return call(t, "GET", con.URL+"/api/v1/routes/chat?namespace="+ns, nil).Status == http.StatusOK
		})
	})
	step(t, "raw resources of every kind are listed from the cache", func(t *testing.T) {
		for _, k := range cluster.Kinds() {
			var list struct{ Items []map[string]any }
			waitFor(t, 10*time.Second, "a "+k.Name+" in the console's list", func() bool {
				r := call(t, "GET", con.URL+"/api/v1/resources/"+k.Name+"?namespace="+ns, nil)
				if r.Status != http.StatusOK {
					t.Fatalf("GET resources/%s: %d %s", k.Name, r.Status, r.Body)
				}
				r.decode(t, &list)
				return len(list.Items) > 0
			})
		}
	})
	step(t, "the route and the provider are deleted", func(t *testing.T) {
		if r := call(t, "DELETE", con.URL+"/api/v1/routes/chat?namespace="+ns, nil); r.Status != http.StatusOK {
			t.Fatalf("DELETE route: %d %s", r.Status, r.Body)
		}
		etag := etagOf(t, con, ns, name, "eu.api.openai.com")
		if r := call(t, "DELETE", providers+"/"+name+"?namespace="+ns, nil, "If-Match", etag); r.Status != http.StatusOK {
			t.Fatalf("DELETE provider: %d %s", r.Status, r.Body)
		}
		for k, n := range providerObjects(name) {
			if exists(t, k, ns, n) {
				t.Errorf("%s %s/%s still exists after the delete", k.Name, ns, n)
			}
		}
		if exists(t, cluster.AIGatewayRoute, ns, "chat") {
			t.Error("the route still exists after the delete")
		}
	})
}

// TestChartRBACIsSufficient is the RBAC proof: the console binary, run with
// the chart's container args and nothing but a token of the chart's own
// ServiceAccount, passes the smoke suite — with the default ClusterRole and
// authentication on (TokenReview, SubjectAccessReviews and writes
// impersonating the caller, all with the chart's rules), and with
// namespaced Roles and the console acting as itself.
func TestChartRBACIsSufficient(t *testing.T) {
	t.Parallel()
	t.Run("with the default ClusterRole", func(t *testing.T) {
		t.Parallel()
		ns := env.Namespace(t)
		objs := render(t, renderOptions{namespace: ns})
		id := installIdentity(t, objs)
		con := startConsole(t, containerArgs(t, objs), id, "")
		smoke(t, con, ns)
	})

	t.Run("with Roles in the watched namespaces only", func(t *testing.T) {
		t.Parallel()
		release, nsA, nsB, outside := env.Namespace(t), env.Namespace(t), env.Namespace(t), env.Namespace(t)
		objs := render(t, renderOptions{namespace: release, set: []string{
			`rbac.namespaced=true`, fmt.Sprintf(`watchNamespaces=[%q,%q]`, nsA, nsB),
		}})
		id := installIdentity(t, objs)
		args := containerArgs(t, objs)
		if !slices.Contains(args, "--namespaces="+nsA+","+nsB) {
			t.Fatalf("args %v do not limit the console to %s,%s", args, nsA, nsB)
		}
		con := startConsole(t, args, id, "", authDisabled)
		smoke(t, con, nsB)
		step(t, "a write outside the watched namespaces is refused by the console, and the Roles refuse it too", func(t *testing.T) {
			r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+outside, providerBody("outside", "api.openai.com", true))
			var p problem
			r.decode(t, &p)
			if r.Status != http.StatusForbidden || !strings.Contains(p.Detail, "--namespaces") || !strings.Contains(p.Detail, outside) {
				t.Fatalf("POST in %s: got %d %s, want 403 naming --namespaces and the namespace", outside, r.Status, r.Body)
			}
			// The console's own identity could not have written there either.
			cs, err := kubernetes.NewForConfig(id.Config)
			if err != nil {
				t.Fatal(err)
			}
			_, err = cs.CoreV1().Secrets(outside).Create(context.Background(), &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "outside"}}, metav1.CreateOptions{})
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), id.User) {
				t.Fatalf("create a Secret in %s as %s: %v, want Forbidden", outside, id.User, err)
			}
		})
	})
}

// withoutVerb returns the rendered objects with verb removed for resource
// from every ClusterRole and Role, the other grants unchanged.
func withoutVerb(t *testing.T, objs []*unstructured.Unstructured, resource, verb string) []*unstructured.Unstructured {
	t.Helper()
	removed := false
	var out []*unstructured.Unstructured
	for _, o := range objs {
		o = o.DeepCopy()
		if o.GetKind() == "ClusterRole" || o.GetKind() == "Role" {
			rules, _, _ := unstructured.NestedSlice(o.Object, "rules")
			var kept []any
			for _, r := range rules {
				rule := r.(map[string]any)
				resources, _, _ := unstructured.NestedStringSlice(rule, "resources")
				if !slices.Contains(resources, resource) {
					kept = append(kept, rule)
					continue
				}
				verbs, _, _ := unstructured.NestedStringSlice(rule, "verbs")
				if others := slices.DeleteFunc(slices.Clone(resources), func(s string) bool { return s == resource }); len(others) > 0 {
					kept = append(kept, map[string]any{"apiGroups": rule["apiGroups"], "resources": toAny(others), "verbs": toAny(verbs)})
				}
				left := slices.DeleteFunc(slices.Clone(verbs), func(s string) bool { return s == verb })
				removed = removed || len(left) < len(verbs)
				if len(left) > 0 { // a rule needs at least one verb
					kept = append(kept, map[string]any{"apiGroups": rule["apiGroups"], "resources": []any{resource}, "verbs": toAny(left)})
				}
			}
			if err := unstructured.SetNestedSlice(o.Object, kept, "rules"); err != nil {
				t.Fatal(err)
			}
		}
		out = append(out, o)
	}
	if !removed {
		t.Fatalf("the chart grants no %s on %s to remove", verb, resource)
	}
	return out
}

func toAny(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// forbidden expects a 403 problem naming the ServiceAccount, the verb and
// the resource, as the API server words it.
func forbidden(t *testing.T, r response, id identity, verb, resource string) {
	t.Helper()
	var p problem
	r.decode(t, &p)
	want := fmt.Sprintf(`User %q cannot %s resource %q`, id.User, verb, resource)
	if r.Status != http.StatusForbidden || p.Code != "Forbidden" || !strings.Contains(p.Detail, want) {
		t.Fatalf("got %d %s\nwant 403 Forbidden with %q", r.Status, r.Body, want)
	}
}

// logged expects the console's log to carry the API server's refusal of
// verb on resource to the ServiceAccount, at least times times (client-go
// logs it with escaped quotes).
func logged(t *testing.T, con *proc, id identity, verb, resource string, times int) {
	t.Helper()
	refusal := fmt.Sprintf(`User \"%s\" cannot %s resource \"%s\"`, id.User, verb, resource)
	waitFor(t, 15*time.Second, fmt.Sprintf("the refusal logged %d times", times), func() bool {
		return strings.Count(con.Logs(), refusal) >= times
	})
}

// neverReady expects /readyz to stay 503 naming exactly the kind that cannot
// sync, and the console's log to carry the API server's refusal.
func neverReady(t *testing.T, con *proc, id identity, verb, resource string) {
	t.Helper()
	want := "not ready: informer caches not synced: " + resource
	var last response
	waitFor(t, 15*time.Second, "/readyz to name only "+resource, func() bool {
		last = call(t, "GET", con.URL+"/readyz", nil)
		if last.Status == http.StatusOK {
			t.Fatalf("/readyz is 200 without %s on %s", verb, resource)
		}
		return string(last.Body) == want
	})
	logged(t, con, id, verb, resource, 2)
	if last = call(t, "GET", con.URL+"/readyz", nil); last.Status != http.StatusServiceUnavailable || string(last.Body) != want {
		t.Fatalf("/readyz: %d %q, want 503 %q", last.Status, last.Body, want)
	}
}

// noWatchList makes client-go read the initial state with LIST, as it does
// against an API server that cannot stream lists (the WatchList feature off,
// or Kubernetes before it was on by default). client-go v0.37 streams them
// by default, with a watch request, and falls back to LIST when that fails.
const noWatchList = "KUBE_FEATURE_WatchListClient=false"

// TestEveryRuleIsNeeded removes one verb of one resource from the chart's
// role at a time and shows the operation that needs it fails, clearly, with
// the rest of the role intact.
func TestEveryRuleIsNeeded(t *testing.T) {
	t.Parallel()
	create := func(t *testing.T, con *proc, ns, name string) response {
		t.Helper()
		return call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, providerBody(name, "api.openai.com", true))
	}
	mustCreate := func(t *testing.T, con *proc, ns, name string) {
		t.Helper()
		if r := create(t, con, ns, name); r.Status != http.StatusCreated {
			t.Fatalf("POST provider: %d %s", r.Status, r.Body)
		}
	}
	cases := []struct {
		resource, verb string
		// env is extra environment for the console.
		env []string
		// auth runs the console with authentication on; the other cases
		// test the rules the console writes with when it acts as itself.
		auth bool
		// check shows what breaks without the verb.
		check func(t *testing.T, con *proc, id identity, ns string)
	}{
		{"users", "impersonate", nil, true, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			// The API server words the refusal after its newest
			// impersonation check (constrained impersonation, e.g.
			// "cannot impersonate-on:user-info:patch resource secrets"),
			// or the classic one ("cannot impersonate resource users").
			r := create(t, con, ns, "p")
			var p problem
			r.decode(t, &p)
			if want := fmt.Sprintf(`User %q cannot impersonate`, id.User); r.Status != http.StatusForbidden || p.Code != "Forbidden" || !strings.Contains(p.Detail, want) {
				t.Fatalf("got %d %s\nwant 403 Forbidden with %q", r.Status, r.Body, want)
			}
		}},
		{"subjectaccessreviews", "create", nil, true, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			r := call(t, "GET", con.URL+"/api/v1/providers?namespace="+ns, nil)
			if r.Status != http.StatusServiceUnavailable || !strings.Contains(string(r.Body), fmt.Sprintf(`User \"%s\" cannot create resource \"subjectaccessreviews\"`, id.User)) {
				t.Fatalf("got %d %s, want 503 naming the refused subjectaccessreview", r.Status, r.Body)
			}
		}},
		{"secrets", "list", []string{noWatchList}, false, func(t *testing.T, con *proc, id identity, ns string) {
			neverReady(t, con, id, "list", "secrets")
		}},
		{"backendsecuritypolicies", "list", []string{noWatchList}, false, func(t *testing.T, con *proc, id identity, ns string) {
			neverReady(t, con, id, "list", "backendsecuritypolicies")
		}},
		{"aigatewayroutes", "watch", nil, false, func(t *testing.T, con *proc, id identity, ns string) {
			// The informer falls back to LIST and syncs, but every watch is
			// refused: the cache only catches up when client-go re-lists
			// after a backoff of up to a minute, and each refusal is logged.
			logged(t, con, id, "watch", "aigatewayroutes", 3)
		}},
		{"backends", "create", nil, false, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			forbidden(t, create(t, con, ns, "p"), id, "create", "backends")
		}},
		{"secrets", "create", nil, false, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			forbidden(t, create(t, con, ns, "p"), id, "create", "secrets")
		}},
		{"aiservicebackends", "patch", nil, false, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			forbidden(t, create(t, con, ns, "p"), id, "patch", "aiservicebackends")
		}},
		{"secrets", "get", nil, false, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			mustCreate(t, con, ns, "p")
			etag := etagOf(t, con, ns, "p", "api.openai.com")
			r := call(t, "PUT", con.URL+"/api/v1/providers/p?namespace="+ns, providerBody("p", "eu.api.openai.com", false), "If-Match", etag)
			forbidden(t, r, id, "get", "secrets")
		}},
		{"backends", "get", nil, false, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			mustCreate(t, con, ns, "p")
			etagOf(t, con, ns, "p", "api.openai.com")
			r := call(t, "PUT", con.URL+"/api/v1/providers/p?namespace="+ns+"&dryRun=true", providerBody("p", "eu.api.openai.com", false))
			forbidden(t, r, id, "get", "backends")
		}},
		{"tokenreviews", "create", nil, true, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			r := call(t, "GET", con.URL+"/api/v1/providers?namespace="+ns, nil)
			var p problem
			r.decode(t, &p)
			if r.Status != http.StatusServiceUnavailable || p.Code != "AuthenticationUnavailable" {
				t.Fatalf("got %d %s, want 503 AuthenticationUnavailable", r.Status, r.Body)
			}
			logged(t, con, id, "create", "tokenreviews", 1)
		}},
		{"backendtlspolicies", "delete", nil, false, func(t *testing.T, con *proc, id identity, ns string) {
			con.waitReady(t)
			mustCreate(t, con, ns, "p")
			etag := etagOf(t, con, ns, "p", "api.openai.com")
			forbidden(t, call(t, "DELETE", con.URL+"/api/v1/providers/p?namespace="+ns, nil, "If-Match", etag), id, "delete", "backendtlspolicies")
			if !exists(t, cluster.BackendTLSPolicy, ns, "p") {
				t.Error("the BackendTLSPolicy is gone although delete was refused")
			}
		}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("without %s on %s", tc.verb, tc.resource), func(t *testing.T) {
			t.Parallel()
			ns := env.Namespace(t)
			objs := withoutVerb(t, render(t, renderOptions{namespace: ns}), tc.resource, tc.verb)
			id := installIdentity(t, objs)
			env := tc.env
			if !tc.auth {
				env = append(env, authDisabled)
			}
			con := startConsole(t, containerArgs(t, objs), id, "", env...)
			tc.check(t, con, id, ns)
		})
	}
}

// TestServiceAccountTokenIsNotAutomounted: only the console Pod, which opts
// in, gets the ServiceAccount's token.
func TestServiceAccountTokenIsNotAutomounted(t *testing.T) {
	t.Parallel()
	objs := render(t, renderOptions{})
	var sa corev1.ServiceAccount
	if err := runtimeConvert(one(t, objs, "ServiceAccount"), &sa); err != nil {
		t.Fatal(err)
	}
	if sa.AutomountServiceAccountToken == nil || *sa.AutomountServiceAccountToken {
		t.Errorf("ServiceAccount automountServiceAccountToken = %v, want false", sa.AutomountServiceAccountToken)
	}
	mount, _, _ := unstructured.NestedBool(one(t, objs, "Deployment").Object, "spec", "template", "spec", "automountServiceAccountToken")
	if !mount {
		t.Error("the console Pod does not mount its token, so it cannot reach the API server")
	}
}
