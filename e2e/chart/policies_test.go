package chart

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeConfigMapVolume lays files out the way the kubelet fills a ConfigMap
// or projected volume: the files in a timestamped folder behind the ..data
// link, and one link per key at the top.
func writeConfigMapVolume(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	real := filepath.Join(dir, "..2026_01_01_00_00_00.000000001")
	if err := os.Mkdir(real, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(real, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(filepath.Join("..data", name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink(filepath.Base(real), filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestChartPoliciesAreEnforced runs the console with the policy folder the
// chart mounts (its own ConfigMap and a team's, projected into one folder)
// and shows both are in force.
func TestChartPoliciesAreEnforced(t *testing.T) {
	t.Parallel()
	ns := env.Namespace(t)
	objs := render(t, renderOptions{namespace: ns, valuesFiles: []string{filepath.Join(chartDir(t), "testdata", "policies.in.yaml")}})
	cms := find(objs, "ConfigMap")
	if len(cms) != 1 {
		t.Fatalf("want the chart's policy ConfigMap, got %d ConfigMaps", len(cms))
	}
	files := map[string]string{}
	data, _ := cms[0].Object["data"].(map[string]any)
	for k, v := range data {
		files[k], _ = v.(string)
	}
	// The team's own ConfigMap (policies.existingConfigMap), projected into
	// the same folder.
	files["team-review.rego"] = `package aigw.team_review

import data.aigw.lib

warn contains {"msg": "team review: new providers are announced in #ai-gateway", "field": ""} if {
	lib.writing
	input.kind == "provider"
}
`
	dir := writeConfigMapVolume(t, files)
	id := installIdentity(t, objs)
	con := startConsole(t, containerArgs(t, objs), id, dir)
	con.waitReady(t)

	t.Run("the chart's policy denies a provider without a team prefix", func(t *testing.T) {
		r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, providerBody("openai", "api.openai.com", true))
		var p problem
		r.decode(t, &p)
		if r.Status != http.StatusUnprocessableEntity || p.Code != "PolicyDenied" || len(p.Causes) != 1 ||
			p.Causes[0].Reason != "PolicyDenied:aigw.chart_example" || !strings.Contains(p.Causes[0].Message, "must be named team-<name>") {
			t.Fatalf("got %d %s, want 422 PolicyDenied by aigw.chart_example", r.Status, r.Body)
		}
	})
	t.Run("the team's policy warns on a provider that passes", func(t *testing.T) {
		r := call(t, "POST", con.URL+"/api/v1/providers?namespace="+ns, providerBody("team-openai", "api.openai.com", true))
		if r.Status != http.StatusCreated || !strings.Contains(string(r.Body), "new providers are announced in #ai-gateway") {
			t.Fatalf("got %d %s, want 201 with the team's warning", r.Status, r.Body)
		}
	})
}
