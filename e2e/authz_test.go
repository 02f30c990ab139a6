package e2e

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fasthttp/websocket"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/kubernetes"

	"github.com/aigw-console/aigw-console/app"
	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/authz"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/app/sink"
	directsink "github.com/aigw-console/aigw-console/app/sink/direct"
	"github.com/aigw-console/aigw-console/app/stream"
)

// testUser is a user the RBAC tests grant Roles to: a ServiceAccount of a
// namespace of its own, with a token from the TokenRequest API, so that the
// tests run the same on the local control plane and on any other cluster
// (E2E_KUBECONFIG, e.g. kind). Its user name is
// system:serviceaccount:<namespace>:<name>; it has no binding at first.
type testUser struct {
	name, token string
}

func newUser(t *testing.T, name string) testUser {
	t.Helper()
	ns := newNamespace(t)
	tok, err := env.ServiceAccountToken(context.Background(), ns, name, "")
	if err != nil {
		t.Fatal(err)
	}
	return testUser{name: "system:serviceaccount:" + ns + ":" + name, token: tok}
}

// grantTeamRole gives user a Role in ns over the console's kinds (every
// verb, or the verbs given) and returns the RoleBinding's name.
func grantTeamRole(t testing.TB, ns, user string, verbs ...string) string {
	return grantRole(t, ns, rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}, verbs...)
}

// grantRole is grantTeamRole for any subject (a user or a group).
func grantRole(t testing.TB, ns string, subject rbacv1.Subject, verbs ...string) string {
	user := strings.NewReplacer(":", "-").Replace(subject.Name)
	t.Helper()
	c := env.Client(t)
	ctx := context.Background()
	var resources []string
	groups := map[string]bool{}
	for _, k := range cluster.Kinds() {
		resources = append(resources, k.Name)
		groups[k.GVK.Group] = true
	}
	var apiGroups []string
	for g := range groups {
		apiGroups = append(apiGroups, g)
	}
	slices.Sort(apiGroups)
	if len(verbs) == 0 {
		verbs = []string{"get", "list", "watch", "create", "update", "patch", "delete"}
	}
	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: user + "-console"},
		Rules:      []rbacv1.PolicyRule{{APIGroups: apiGroups, Resources: resources, Verbs: verbs}},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: user + "-console"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{subject},
	}
	if err := c.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}
	// The API server's RBAC authorizer learns of the binding through its
	// own informer: wait until it answers for the subject.
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	sar := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{
		ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: verbs[0], Group: cluster.AIServiceBackend.GVK.Group, Resource: cluster.AIServiceBackend.Name, Namespace: ns}}}
	if subject.Kind == rbacv1.GroupKind {
		sar.Spec.User, sar.Spec.Groups = "someone", []string{subject.Name}
	} else {
		sar.Spec.User = subject.Name
	}
	waitFor(t, 10*time.Second, "the RoleBinding to take effect", func() bool {
		res, err := cs.AuthorizationV1().SubjectAccessReviews().Create(ctx, sar, metav1.CreateOptions{})
		return err == nil && res.Status.Allowed
	})
	return binding.Name
}

// as returns the headers of a request by the holder of token.
func as(token string) []string { return []string{"Authorization", "Bearer " + token} }

// openAIProvider is a provider body for the openai template.
func openAIProvider(name, key string) map[string]any {
	return map[string]any{"name": name, "template": "openai", "auth": map[string]any{"apiKey": key}}
}

// providerNames returns namespace/name of every provider in a list answer.
func providerNames(t *testing.T, r response) []string {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("list: status %d: %s", r.Status, r.Body)
	}
	var l struct {
		Items []struct {
			Name      string `json:"name"`
			Namespace string `json:"namespace"`
		} `json:"items"`
	}
	r.decode(t, &l)
	var out []string
	for _, p := range l.Items {
		out = append(out, p.Namespace+"/"+p.Name)
	}
	return out
}

// dialStreamAs connects to con's stream with token.
func dialStreamAs(t *testing.T, con *console, token string) *streamClient {
	t.Helper()
	url := "ws" + strings.TrimPrefix(con.URL, "http") + "/api/v1/ws"
	ws, resp, err := websocket.DefaultDialer.Dial(url, http.Header{"Authorization": {"Bearer " + token}})
	if resp != nil {
		_ = resp.Body.Close()
	}
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	c := &streamClient{t: t, ws: ws, in: make(chan streamMsg, 1<<16)}
	t.Cleanup(func() { _ = ws.Close() })
	c.resume()
	return c
}

// forbidden checks a 403 problem that names verb, resource and namespace.
func forbidden(t *testing.T, r response, verb, resource, ns string) {
	t.Helper()
	if r.Status != http.StatusForbidden {
		t.Fatalf("status %d, want 403: %s", r.Status, r.Body)
	}
	p := r.problem(t)
	if p.Code != "Forbidden" {
		t.Errorf("code %q, want Forbidden", p.Code)
	}
	for _, want := range []string{verb, resource, `"` + ns + `"`} {
		if !strings.Contains(p.Detail, want) {
			t.Errorf("the 403 detail does not name %q: %s", want, p.Detail)
		}
	}
}

// TestRBACDecidesWhatEachUserSeesAndDoes runs a console with
// authentication on and alice's bearer token: a Role in team-a lets her
// manage providers there and nowhere else, she sees nothing of team-b in
// lists or on the stream, and revoking her RoleBinding ends her access,
// the open subscription included, within the stated bounds.
func TestRBACDecidesWhatEachUserSeesAndDoes(t *testing.T) {
	aliceUser := newUser(t, "alice")
	alice := aliceUser.token
	teamA, teamB := newNamespace(t), newNamespace(t)
	ttl, recheck := authz.DefaultCacheTTL, stream.DefaultRecheckInterval
	con := startConsole(t)
	binding := grantTeamRole(t, teamA, aliceUser.name)
	ctx := context.Background()
	c := adminClient(t)

	// The admin (system:masters) makes a provider in team-b.
	if r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+teamB, openAIProvider("b-llm", "sk-team-b")); r.Status != http.StatusCreated {
		t.Fatalf("admin create in team-b: %d %s", r.Status, r.Body)
	}

	t.Run("alice creates a provider in team-a", func(t *testing.T) {
		r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+teamA, openAIProvider("a-llm", "sk-team-a"), as(alice)...)
		if r.Status != http.StatusCreated {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		asb := &aigv1b1.AIServiceBackend{}
		get(t, c, teamA, "a-llm", asb)
	})

	t.Run("alice is refused in team-b with a 403 naming verb, resource and namespace, and nothing is written", func(t *testing.T) {
		r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+teamB, openAIProvider("intruder", "sk-x"), as(alice)...)
		forbidden(t, r, "create", "aiservicebackends", teamB)
		t.Logf("403: %s", r.Body)
		if exists(t, c, teamB, "intruder", &aigv1b1.AIServiceBackend{}) {
			t.Error("an AIServiceBackend was created in team-b")
		}
		forbidden(t, call(t, "DELETE", con.URL+"/api/v1/providers/b-llm?namespace="+teamB, nil, as(alice)...), "delete", "aiservicebackends", teamB)
		forbidden(t, call(t, "PUT", con.URL+"/api/v1/resources/secrets/x?namespace="+teamB,
			map[string]any{"apiVersion": "v1", "kind": "Secret", "metadata": map[string]any{"name": "x"}}, as(alice)...), "patch", "secrets", teamB)
	})

	t.Run("alice's lists leave team-b out; reads in team-b are 403", func(t *testing.T) {
		got := providerNames(t, call(t, "GET", con.URL+"/api/v1/providers", nil, as(alice)...))
		if !slices.Contains(got, teamA+"/a-llm") || slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, teamB+"/") }) {
			t.Errorf("alice's providers: %v; want %s/a-llm and nothing of %s", got, teamA, teamB)
		}
		admin := providerNames(t, call(t, "GET", con.URL+"/api/v1/providers", nil))
		if !slices.Contains(admin, teamB+"/b-llm") {
			t.Errorf("the admin does not see %s/b-llm: %v", teamB, admin)
		}
		r := call(t, "GET", con.URL+"/api/v1/resources/secrets", nil, as(alice)...)
		if strings.Contains(string(r.Body), teamB) {
			t.Errorf("alice's Secret list names team-b: %s", r.Body)
		}
		forbidden(t, call(t, "GET", con.URL+"/api/v1/providers?namespace="+teamB, nil, as(alice)...), "list", "aiservicebackends", teamB)
		forbidden(t, call(t, "GET", con.URL+"/api/v1/providers/b-llm?namespace="+teamB, nil, as(alice)...), "get", "aiservicebackends", teamB)
		forbidden(t, call(t, "GET", con.URL+"/api/v1/resources/secrets/b-llm-credentials?namespace="+teamB, nil, as(alice)...), "get", "secrets", teamB)
	})

	t.Run("carol, with get but not list in team-a, reads a provider by name and no list", func(t *testing.T) {
		carolUser := newUser(t, "carol")
		carol := carolUser.token
		grantTeamRole(t, teamA, carolUser.name, "get")
		if r := call(t, "GET", con.URL+"/api/v1/providers/a-llm?namespace="+teamA, nil, as(carol)...); r.Status != http.StatusOK {
			t.Errorf("GET as carol: %d %s", r.Status, r.Body)
		}
		forbidden(t, call(t, "GET", con.URL+"/api/v1/providers?namespace="+teamA, nil, as(carol)...), "list", "aiservicebackends", teamA)
		if got := providerNames(t, call(t, "GET", con.URL+"/api/v1/providers", nil, as(carol)...)); len(got) != 0 {
			t.Errorf("carol's list across namespaces: %v, want none", got)
		}
	})

	t.Run("GET /api/v1/me says what alice may do per namespace", func(t *testing.T) {
		for ns, want := range map[string][]string{teamA: {"get", "list", "watch", "create", "update", "delete"}, teamB: {}} {
			r := call(t, "GET", con.URL+"/api/v1/me?namespace="+ns, nil, as(alice)...)
			var me struct {
				Authenticated bool       `json:"authenticated"`
				User          *auth.User `json:"user"`
				Namespaces    []struct {
					Namespace string              `json:"namespace"`
					Kinds     map[string][]string `json:"kinds"`
				} `json:"namespaces"`
			}
			r.decode(t, &me)
			if !me.Authenticated || me.User == nil || me.User.Name != aliceUser.name || len(me.Namespaces) != 1 {
				t.Fatalf("me: %s", r.Body)
			}
			for _, kind := range []string{"providers", "routes", "secrets"} {
				if got := me.Namespaces[0].Kinds[kind]; !slices.Equal(got, want) {
					t.Errorf("%s in %s: verbs %v, want %v", kind, ns, got, want)
				}
			}
		}
	})

	ws := dialStreamAs(t, con, alice)
	t.Run("alice's all-namespace subscription shows team-a only, and no team-b events", func(t *testing.T) {
		ws.send(stream.Request{Type: stream.TypeSubscribe, ID: "all", Kinds: []string{"providers", "secrets"}})
		msgs := ws.expect(stream.TypeSubscribed, stream.TypeSnapshot)
		if strings.Contains(string(msgs[1].raw), teamB) || !strings.Contains(string(msgs[1].raw), teamA) {
			t.Errorf("snapshot: %.800s", msgs[1].raw)
		}
		// A change in team-b first, then one in team-a: events are in
		// order, so a team-b event would arrive before the team-a one.
		if r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+teamB, openAIProvider("b-two", "sk-b2")); r.Status != http.StatusCreated {
			t.Fatalf("admin create in team-b: %d %s", r.Status, r.Body)
		}
		if r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+teamA, openAIProvider("a-two", "sk-a2")); r.Status != http.StatusCreated {
			t.Fatalf("admin create in team-a: %d %s", r.Status, r.Body)
		}
		deadline := time.Now().Add(15 * time.Second)
		for sawA := false; !sawA; {
			m := ws.next(time.Until(deadline))
			if strings.Contains(string(m.raw), teamB) {
				t.Fatalf("alice received a team-b message: %.500s", m.raw)
			}
			sawA = m.env.Type == "provider_created" && strings.Contains(string(m.raw), `"a-two"`)
		}
	})

	t.Run("alice may not subscribe to team-b", func(t *testing.T) {
		ws.send(stream.Request{Type: stream.TypeSubscribe, ID: "b", Kinds: []string{"providers"}, Namespace: teamB})
		m := ws.next(10 * time.Second)
		for m.env.Subscription != "b" { // events of "all" may still come
			m = ws.next(10 * time.Second)
		}
		if m.env.Type != stream.TypeError || !strings.Contains(string(m.raw), `"Forbidden"`) {
			t.Fatalf("got %.500s, want an error Forbidden", m.raw)
		}
		t.Logf("refused: %s", m.raw)
	})

	// Revoke.
	if err := c.Delete(ctx, &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: teamA, Name: binding}}); err != nil {
		t.Fatal(err)
	}
	revoked := time.Now()

	t.Run("after the RoleBinding is deleted, writes are refused at once (the API server decides)", func(t *testing.T) {
		var r response
		for i := 0; ; i++ {
			r = call(t, "POST", con.URL+fmt.Sprintf("/api/v1/providers?namespace=%s", teamA), openAIProvider(fmt.Sprintf("late-%d", i), "sk-late"), as(alice)...)
			if r.Status == http.StatusForbidden || time.Since(revoked) > 5*time.Second {
				break
			}
			if r.Status != http.StatusCreated {
				t.Fatalf("status %d: %s", r.Status, r.Body)
			}
			time.Sleep(20 * time.Millisecond)
		}
		took := time.Since(revoked)
		if r.Status != http.StatusForbidden {
			t.Fatalf("writes still accepted %s after the revocation", took)
		}
		t.Logf("write refused %s after the revocation: %s", took.Round(time.Millisecond), r.problem(t).Detail)
		// Refused by the SubjectAccessReview once its cache entry expired,
		// else by the API server itself for the impersonated dry-run: both
		// name the user, verb, resource and namespace.
		p := r.problem(t)
		if !strings.Contains(p.Detail, `"`+aliceUser.name+`"`) || !strings.Contains(p.Detail, `"`+teamA+`"`) ||
			!slices.ContainsFunc([]string{"aiservicebackends", "backends", "backendsecuritypolicies", "secrets"}, func(s string) bool { return strings.Contains(p.Detail, s) }) {
			t.Errorf("the 403 does not name user, resource and namespace: %s", p.Detail)
		}
	})

	var listGone, subGone time.Duration
	done := make(chan struct{})
	go func() {
		defer close(done)
		deadline := time.Now().Add(ttl + recheck + 10*time.Second)
		for time.Now().Before(deadline) {
			m, ok := ws.tryNext(time.Until(deadline))
			if !ok || m.err != nil {
				return
			}
			if m.env.Type == stream.TypeError && m.env.Subscription == "all" && strings.Contains(string(m.raw), `"Forbidden"`) {
				subGone = time.Since(revoked)
				return
			}
		}
	}()
	t.Run("lists stop showing team-a within the cache TTL", func(t *testing.T) {
		waitFor(t, ttl+5*time.Second, "team-a to leave alice's list", func() bool {
			got := providerNames(t, call(t, "GET", con.URL+"/api/v1/providers", nil, as(alice)...))
			return !slices.ContainsFunc(got, func(s string) bool { return strings.HasPrefix(s, teamA+"/") })
		})
		listGone = time.Since(revoked)
		t.Logf("team-a left alice's list %s after the revocation (bound: cache TTL %s)", listGone.Round(time.Millisecond), ttl)
		if listGone > ttl+2*time.Second {
			t.Errorf("took %s, more than the TTL %s (+2s slack)", listGone, ttl)
		}
	})
	t.Run("the open subscription ends with Forbidden within TTL + recheck", func(t *testing.T) {
		<-done
		if subGone == 0 {
			t.Fatalf("no Forbidden error on the subscription within %s", ttl+recheck+10*time.Second)
		}
		t.Logf("the subscription ended with Forbidden %s after the revocation (bound: TTL %s + recheck %s)", subGone.Round(time.Millisecond), ttl, recheck)
		if subGone > ttl+recheck+2*time.Second {
			t.Errorf("took %s, more than TTL + recheck %s (+2s slack)", subGone, ttl+recheck)
		}
	})
}

// TestWritesReachTheAPIServerAsTheCaller shows the impersonation itself:
// the same console identity (a cluster admin) applies as the user in the
// context, so the API server refuses what alice may not do and names her,
// and applies as itself without a user.
func TestWritesReachTheAPIServerAsTheCaller(t *testing.T) {
	ns := newNamespace(t)
	s, err := directsink.NewPerUser(env.Admin, directsink.PerUserOptions{MaxUsers: 2})
	if err != nil {
		t.Fatal(err)
	}
	obj := func(name string) *unstructured.Unstructured {
		u := &unstructured.Unstructured{}
		u.SetGroupVersionKind(cluster.AIServiceBackend.GVK)
		u.SetNamespace(ns)
		u.SetName(name)
		u.Object["spec"] = map[string]any{
			"schema":     map[string]any{"name": string(aigv1b1.APISchemaOpenAI)},
			"backendRef": map[string]any{"name": name, "group": "gateway.envoyproxy.io", "kind": "Backend"},
		}
		return u
	}
	ctx := context.Background()
	aliceCtx := auth.NewContext(ctx, auth.User{Name: "alice", Groups: []string{"team-a"}, Extra: map[string][]string{"scopes": {"console"}}})
	_, err = s.Apply(aliceCtx, sink.ChangeSet{Apply: []*unstructured.Unstructured{obj("as-alice")}})
	if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `User "alice"`) || !strings.Contains(err.Error(), ns) {
		t.Fatalf("apply as alice: %v; want the API server's Forbidden naming alice and the namespace", err)
	}
	t.Logf("as alice: %v", err)
	if _, err := s.Apply(ctx, sink.ChangeSet{Apply: []*unstructured.Unstructured{obj("as-console")}}); err != nil {
		t.Fatalf("apply with the console's identity: %v", err)
	}
	for _, u := range []string{"bob", "carol", "dave"} {
		if _, err := s.Apply(auth.NewContext(ctx, auth.User{Name: u}), sink.ChangeSet{Apply: []*unstructured.Unstructured{obj("x")}, DryRun: true}); !apierrors.IsForbidden(err) {
			t.Errorf("dry run as %s: %v, want Forbidden", u, err)
		}
	}
	if n := s.Users(); n > 2 {
		t.Errorf("%d user clients kept, want at most 2", n)
	}
}

// TestRouteValidationNamesNothingAUserCannotRead: a model collision with a
// route in a namespace the caller may not list is still refused, but the
// answer names neither that route nor its namespace; the admin, who may
// see it, gets it named.
func TestRouteValidationNamesNothingAUserCannotRead(t *testing.T) {
	bobUser := newUser(t, "bob")
	bob := bobUser.token
	teamA, teamB := newNamespace(t), newNamespace(t)
	con := startConsole(t)
	for _, ns := range []string{teamA, teamB} {
		for _, p := range []string{"primary", "secondary", "fallback"} {
			selfHosted(t, con, ns, p)
		}
	}
	grantTeamRole(t, teamB, bobUser.name)
	shared := func(name string) map[string]any {
		r := chatRoute(name, "shared-model", "60s")
		r["gateways"] = []any{map[string]any{"name": "ai-gateway", "namespace": "gateways"}}
		return r
	}
	if r := call(t, "POST", con.URL+"/api/v1/routes?namespace="+teamA, shared("hidden-route")); r.Status != http.StatusCreated {
		t.Fatalf("admin route in team-a: %d %s", r.Status, r.Body)
	}
	waitFor(t, 10*time.Second, "the cache to hold the team-a route", func() bool {
		return call(t, "GET", con.URL+"/api/v1/routes/hidden-route?namespace="+teamA, nil).Status == http.StatusOK
	})

	r := call(t, "POST", con.URL+"/api/v1/routes?namespace="+teamB, shared("bobs-route"), as(bob)...)
	if r.Status != http.StatusUnprocessableEntity || !strings.Contains(string(r.Body), "shared-model") || !strings.Contains(string(r.Body), "already routed") {
		t.Fatalf("bob: status %d, want 422 on the model: %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), teamA) || strings.Contains(string(r.Body), "hidden-route") {
		t.Errorf("bob's 422 names what he may not read: %s", r.Body)
	}
	t.Logf("bob: %s", r.Body)
	admin := call(t, "POST", con.URL+"/api/v1/routes?namespace="+teamB, shared("admins-route"))
	if admin.Status != http.StatusUnprocessableEntity || !strings.Contains(string(admin.Body), teamA+"/hidden-route") {
		t.Errorf("admin: status %d, want 422 naming %s/hidden-route: %s", admin.Status, teamA, admin.Body)
	}
}

// TestWritesStayInTheManagedNamespaces: with --namespaces the console
// writes nowhere else, even for a caller whose RBAC would allow it (with
// impersonation the console's own Roles no longer bound the write).
func TestWritesStayInTheManagedNamespaces(t *testing.T) {
	managed, other := newNamespace(t), newNamespace(t)
	con := startConsole(t, func(cfg *app.Config) { cfg.Namespaces = []string{managed} })
	r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+other, openAIProvider("p", "sk-x"))
	if r.Status != http.StatusForbidden || !strings.Contains(r.problem(t).Detail, "--namespaces") || !strings.Contains(r.problem(t).Detail, other) {
		t.Fatalf("admin POST outside --namespaces: %d %s, want 403 naming --namespaces and %s", r.Status, r.Body, other)
	}
	if exists(t, adminClient(t), other, "p", &aigv1b1.AIServiceBackend{}) {
		t.Error("the provider was written outside --namespaces")
	}
	if r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+managed, openAIProvider("p", "sk-x")); r.Status != http.StatusCreated {
		t.Fatalf("admin POST in the managed namespace: %d %s", r.Status, r.Body)
	}
}
