package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigw-console/aigw-console/app"
	aigv1b1 "github.com/aigw-console/aigw-console/app/apis/v1beta1"
)

// denyTeam is a team policy dropped into the policy folder at run time.
const denyTeam = `package aigw.team

deny contains {"msg": "team rule: no providers named blocked-*", "field": "name"} if {
	input.kind == "provider"
	input.operation in {"create", "update"}
	some obj in input.objects
	startswith(obj.metadata.labels["aigw-console.io/provider"], "blocked-")
}
`

func TestPolicyFolderIsReloadedAtRunTime(t *testing.T) {
	ns := newNamespace(t)
	dir := t.TempDir()
	con := startConsole(t, func(cfg *app.Config) { cfg.PolicyDir = dir })
	c := adminClient(t)
	url := con.URL + "/api/v1/providers?namespace=" + ns

	step(t, "before the team policy exists a provider is accepted", func(t *testing.T) {
		if r := call(t, "POST", url, selfHostedBody("before")); r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
	})

	step(t, "a new rego file in the folder starts refusing blocked-* providers with its message", func(t *testing.T) {
		// Write under a dot name (never loaded) and rename, so the reloader
		// never reads half a file.
		tmp := filepath.Join(dir, ".deny_team.rego.tmp")
		if err := os.WriteFile(tmp, []byte(denyTeam), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, filepath.Join(dir, "deny_team.rego")); err != nil {
			t.Fatal(err)
		}
		// Poll with dry runs (the same policies apply) so that a POST made
		// before the reload cannot create the provider.
		var last response
		waitFor(t, 20*time.Second, "the reloaded policy to deny blocked-x", func() bool {
			last = call(t, "POST", url+"&dryRun=true", selfHostedBody("blocked-x"))
			if last.Status != 200 && last.Status != 422 {
				t.Fatalf("dry run: status %d: %s", last.Status, last.Body)
			}
			return last.Status == 422
		})
		r := call(t, "POST", url, selfHostedBody("blocked-x"))
		p := r.problem(t)
		if r.Status != 422 || p.Code != "PolicyDenied" || !strings.Contains(p.Detail, "team rule: no providers named blocked-*") {
			t.Fatalf("status %d problem %+v", r.Status, p)
		}
		if len(p.Causes) != 1 || p.Causes[0].Field != "name" || p.Causes[0].Message != "team rule: no providers named blocked-*" {
			t.Errorf("causes: %+v", p.Causes)
		}
		if exists(t, c, ns, "blocked-x", &aigv1b1.AIServiceBackend{}) {
			t.Error("the denied provider was created")
		}
	})

	step(t, "a provider with another name is still accepted", func(t *testing.T) {
		if r := call(t, "POST", url, selfHostedBody("allowed-y")); r.Status != 201 {
			t.Fatalf("status %d: %s", r.Status, r.Body)
		}
		if !exists(t, c, ns, "allowed-y", &aigv1b1.AIServiceBackend{}) {
			t.Error("the accepted provider is not in the API server")
		}
	})
}
