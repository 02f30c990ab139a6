package e2e

import (
	"context"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/dynamic"

	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
	"github.com/aigw-console/aigw-console/app/cluster"
)

// TestTokenFileUsersAreAuthorizedByRBAC proves the control plane enforces
// real RBAC: an ordinary user can do nothing until a Role grants it, and
// then only in that Role's namespace.
func TestTokenFileUsersAreAuthorizedByRBAC(t *testing.T) {
	ctx := context.Background()
	c := adminClient(t)
	nsA, nsB := newNamespace(t), newNamespace(t)
	for _, ns := range []string{nsA, nsB} {
		asb := &unstructured.Unstructured{}
		asb.SetGroupVersionKind(cluster.AIServiceBackend.GVK)
		asb.SetNamespace(ns)
		asb.SetName("openai")
		asb.Object["spec"] = map[string]any{
			"schema":     map[string]any{"name": string(aigv1b1.APISchemaOpenAI)},
			"backendRef": map[string]any{"name": "openai", "group": "gateway.envoyproxy.io", "kind": "Backend"},
		}
		if err := c.Create(ctx, asb); err != nil {
			t.Fatalf("create AIServiceBackend in %s: %v", ns, err)
		}
	}
	cfg, err := env.UserConfig("alice", "team-a")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := dynamic.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	res := alice.Resource(cluster.AIServiceBackend.GVR())

	t.Run("a user without RBAC is forbidden", func(t *testing.T) {
		_, err := res.Namespace(nsA).List(ctx, metav1.ListOptions{})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("list as alice without a Role: got %v, want Forbidden", err)
		}
	})

	role := &rbacv1.Role{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: "asb-reader"},
		Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{cluster.AIServiceBackend.GVK.Group},
			Resources: []string{cluster.AIServiceBackend.Name},
			Verbs:     []string{"get", "list", "watch"},
		}},
	}
	binding := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Namespace: nsA, Name: "alice-asb-reader"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: role.Name},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: "alice"}},
	}
	if err := c.Create(ctx, role); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, binding); err != nil {
		t.Fatal(err)
	}

	t.Run("a user with a Role lists in its namespace only", func(t *testing.T) {
		waitFor(t, 10*time.Second, "RBAC to take effect", func() bool {
			_, err := res.Namespace(nsA).List(ctx, metav1.ListOptions{})
			return err == nil
		})
		list, err := res.Namespace(nsA).List(ctx, metav1.ListOptions{})
		if err != nil {
			t.Fatalf("list in %s: %v", nsA, err)
		}
		if len(list.Items) != 1 || list.Items[0].GetName() != "openai" {
			t.Fatalf("list in %s: got %d items, want the one AIServiceBackend", nsA, len(list.Items))
		}
		if _, err := res.Namespace(nsB).List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Fatalf("list in %s: got %v, want Forbidden", nsB, err)
		}
		if _, err := res.List(ctx, metav1.ListOptions{}); !apierrors.IsForbidden(err) {
			t.Fatalf("list across namespaces: got %v, want Forbidden", err)
		}
	})
}
