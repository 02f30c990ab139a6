package authz_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/aigw-console/aigw-console/app/auth"
	"github.com/aigw-console/aigw-console/app/authz"
	"github.com/aigw-console/aigw-console/app/cluster"
	"github.com/aigw-console/aigw-console/e2e/harness"
)

var env *harness.Env

func TestMain(m *testing.M) { os.Exit(harness.Main(m, &env)) }

// counting passes reviews to the real API server and counts them.
type counting struct {
	next authz.Reviewer
	n    atomic.Int64
}

func (c *counting) Create(ctx context.Context, sar *authorizationv1.SubjectAccessReview, opts metav1.CreateOptions) (*authorizationv1.SubjectAccessReview, error) {
	c.n.Add(1)
	return c.next.Create(ctx, sar, opts)
}

func reviewer(t *testing.T) *counting {
	t.Helper()
	cs, err := kubernetes.NewForConfig(env.Admin)
	if err != nil {
		t.Fatal(err)
	}
	return &counting{next: cs.AuthorizationV1().SubjectAccessReviews()}
}

// bindGroup lets group list and create AIServiceBackends in ns.
func bindGroup(t *testing.T, ns, group string) {
	t.Helper()
	c := env.Client(t)
	ctx := context.Background()
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "asb"}, Rules: []rbacv1.PolicyRule{{
		APIGroups: []string{cluster.AIServiceBackend.GVK.Group}, Resources: []string{cluster.AIServiceBackend.Name}, Verbs: []string{"list", "create"}}}}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "asb-" + group},
		RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: group}}}
	if err := c.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, rb); err != nil {
		t.Fatal(err)
	}
}

func TestDecisionsAreTheClusterRBAC(t *testing.T) {
	ns := env.Namespace(t)
	bindGroup(t, ns, "team-a")
	az := authz.NewWithReviewer(reviewer(t), authz.Options{CacheTTL: time.Millisecond})
	ctx := context.Background()
	member := auth.NewContext(ctx, auth.User{Name: "alice", Groups: []string{"team-a"}})
	outsider := auth.NewContext(ctx, auth.User{Name: "alice"})

	deadline := time.Now().Add(10 * time.Second)
	for {
		err := az.CheckKind(member, "create", cluster.AIServiceBackend, ns)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a member of team-a may not create after 10s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	err := az.CheckKind(outsider, "create", cluster.AIServiceBackend, ns)
	var fe *authz.ForbiddenError
	if !errors.As(err, &fe) {
		t.Fatalf("alice without the group: %v, want a ForbiddenError", err)
	}
	for _, want := range []string{`"alice"`, "create", "aiservicebackends.aigateway.envoyproxy.io", `"` + ns + `"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q does not name %s", err, want)
		}
	}
	if st := fe.Status(); st.Code != http.StatusForbidden || st.Reason != metav1.StatusReasonForbidden || !apierrors.IsForbidden(err) {
		t.Errorf("status %+v", st)
	}
	if err := az.CheckKind(member, "delete", cluster.AIServiceBackend, ns); err == nil {
		t.Error("delete was never granted")
	}
	if err := az.CheckKind(member, "create", cluster.AIServiceBackend, "default"); err == nil {
		t.Error("create in another namespace was never granted")
	}
	if ok, err := az.AllowedKind(ctx, "delete", cluster.Secret, ns); !ok || err != nil {
		t.Errorf("without a user (authentication off) everything is allowed: %v %v", ok, err)
	}
}

func TestDecisionsAreCachedBoundedAndExpire(t *testing.T) {
	ns := env.Namespace(t)
	r := reviewer(t)
	az := authz.NewWithReviewer(r, authz.Options{CacheTTL: 300 * time.Millisecond, CacheSize: 2})
	ctx := context.Background()
	u := auth.User{Name: "bob", Groups: []string{"x", "y"}, Extra: map[string][]string{"scopes": {"a", "b"}}}
	at := authz.For("list", cluster.Secret, ns)

	review := func(u auth.User, at authz.Attributes) {
		t.Helper()
		if _, _, err := az.Review(ctx, u, at); err != nil {
			t.Fatal(err)
		}
	}
	review(u, at)
	// The same user in another order of groups and extra values is the
	// same key.
	review(auth.User{Name: "bob", Groups: []string{"y", "x"}, Extra: map[string][]string{"scopes": {"b", "a"}}}, at)
	if n := r.n.Load(); n != 1 {
		t.Fatalf("%d reviews for one user and access within the TTL, want 1", n)
	}
	// Another extra, group or namespace is another question.
	review(auth.User{Name: "bob", Groups: []string{"x", "y"}}, at)
	review(u, authz.For("list", cluster.Secret, "default"))
	if n := r.n.Load(); n != 3 {
		t.Fatalf("%d reviews, want 3", n)
	}
	// The cache holds 2: the first key was evicted.
	review(u, at)
	if n := r.n.Load(); n != 4 {
		t.Fatalf("%d reviews after eviction, want 4", n)
	}
	time.Sleep(350 * time.Millisecond)
	review(u, at)
	if n := r.n.Load(); n != 5 {
		t.Fatalf("%d reviews after the TTL, want 5", n)
	}
}

func TestAReviewThatCannotBeMadeIs503(t *testing.T) {
	// carol has no RBAC at all, so she may not create SubjectAccessReviews:
	// a console identity without that right.
	cfg, err := env.UserConfig("carol")
	if err != nil {
		t.Fatal(err)
	}
	az, err := authz.New(cfg, authz.Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	err = az.CheckKind(auth.NewContext(context.Background(), auth.User{Name: "alice"}), "get", cluster.Secret, "default")
	var re *authz.ReviewError
	if !errors.As(err, &re) || re.Status().Code != http.StatusServiceUnavailable || !apierrors.IsForbidden(re.Err) {
		t.Fatalf("got %v, want a ReviewError (503) wrapping the API server's Forbidden", err)
	}
}
