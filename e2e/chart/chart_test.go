package chart

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	yamlv3 "go.yaml.in/yaml/v3"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

var update = flag.Bool("update", false, "rewrite charts/aigw-console/testdata/*.out.yaml from the current chart")

func TestHelmIsThePinnedVersion(t *testing.T) {
	out, _, err := helm(t, "version", "--template", "{{.Version}}")
	if err != nil {
		t.Fatal(err)
	}
	if out != helmVersion {
		t.Fatalf("helm version %q, want %q (rebuild with `rm .local/bin/helm && make tools`)", out, helmVersion)
	}
	mk, err := os.ReadFile(filepath.Join(repoRoot(t), "Makefile"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(mk), "HELM_VERSION := "+helmVersion) {
		t.Errorf("the Makefile does not pin HELM_VERSION := %s like this test", helmVersion)
	}
}

func TestChartLintsStrictlyWithEveryValueSet(t *testing.T) {
	t.Parallel()
	for name, file := range valueSets(t) {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			out, stderr, err := helm(t, "lint", "--strict", "--kube-version", kubeVersion, "--values", file, chartDir(t))
			if err != nil {
				t.Fatalf("helm lint --strict: %v\n%s%s", err, out, stderr)
			}
			if strings.Contains(out, "[WARNING]") || strings.Contains(out, "[ERROR]") {
				t.Errorf("helm lint reports problems:\n%s", out)
			}
		})
	}
}

// TestRendersMatchGoldenFiles renders testdata/<name>.in.yaml and compares it
// with testdata/<name>.out.yaml (`-update` rewrites them).
func TestRendersMatchGoldenFiles(t *testing.T) {
	t.Parallel()
	inputs, err := filepath.Glob(filepath.Join(chartDir(t), "testdata", "*.in.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range inputs {
		name := strings.TrimSuffix(filepath.Base(in), ".in.yaml")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := renderRaw(t, renderOptions{valuesFiles: []string{in}})
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(in, ".in.yaml") + ".out.yaml"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run `go test ./e2e/chart -run TestRendersMatchGoldenFiles -update`)", err)
			}
			if d := cmp.Diff(string(want), got); d != "" {
				t.Errorf("render of %s differs from %s (-want +got):\n%s", filepath.Base(in), filepath.Base(golden), d)
			}
		})
	}
}

// TestSchemaRefusesBadValues: values.schema.json refuses each of these with a
// message naming the value, before anything renders.
func TestSchemaRefusesBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		set  []string
		want string
	}{
		{"an unknown top-level key (a typo)", []string{`replicas=3`}, "additional properties 'replicas' not allowed"},
		{"an unknown nested key", []string{`console={"listenAddress":"0.0.0.0:9090"}`}, "additional properties 'listenAddress' not allowed"},
		{"an unknown mode", []string{`console.mode="kustomize"`}, "at '/console/mode'"},
		{"gitops mode without a URL", []string{`console.mode="gitops"`}, "at '/console/gitops/url': minLength"},
		{"a GitOps URL that is not one", []string{`console.gitops.url="not a url"`}, "at '/console/gitops/url'"},
		{"a GitOps path that climbs out", []string{`console.gitops.path="../etc"`}, "at '/console/gitops/path'"},
		{"GitOps basic auth without a Secret", []string{`console.mode="gitops"`, `console.gitops.url="https://git.example.com/fleet.git"`, `console.gitops.auth="basic"`}, "at '/console/gitops/credentialsSecret': minLength"},
		{"an unknown GitOps auth", []string{`console.gitops.auth="token"`}, "at '/console/gitops/auth'"},
		{"an age recipient that is not one", []string{`console.gitops.ageRecipients=["age1nope"]`}, "at '/console/gitops/ageRecipients/0'"},
		{"an age identity without recipients", []string{`console.gitops.ageIdentitySecret="sops-age"`}, "at '/console/gitops/ageRecipients': minItems"},
		{"pull requests without a forge", []string{`console.gitops.flow="pull-request"`}, "at '/console/gitops/forge/kind': minLength"},
		{"a flow override without a forge", []string{`console.gitops.allowFlowOverride=true`}, "at '/console/gitops/forge/kind': minLength"},
		{"a forge without a token Secret", []string{`console.gitops.forge={"kind":"github","repo":"org/fleet"}`}, "at '/console/gitops/forge/tokenSecret': minLength"},
		{"Gitea without a URL", []string{`console.gitops.forge={"kind":"gitea","repo":"org/fleet","tokenSecret":"t"}`}, "at '/console/gitops/forge/url': minLength"},
		{"an unknown forge", []string{`console.gitops.forge.kind="bitbucket"`}, "at '/console/gitops/forge/kind'"},
		{"an unknown GitOps key", []string{`console.gitops.password="hunter2"`}, "additional properties 'password' not allowed"},
		{"a Flux Kustomization without its namespace", []string{`console.gitops.sync.fluxKustomization="fleet"`}, "at '/console/gitops/sync/fluxKustomization'"},
		{"a sync grace that is not a duration", []string{`console.gitops.sync.grace="two minutes"`}, "at '/console/gitops/sync/grace'"},
		{"no Git port", []string{`networkPolicy.git.ports=[]`}, "at '/networkPolicy/git/ports'"},
		{"an unknown log level", []string{`console.logLevel="verbose"`}, "at '/console/logLevel'"},
		{"an unknown log format", []string{`console.logFormat="xml"`}, "at '/console/logFormat'"},
		{"zero replicas", []string{`replicaCount=0`}, "at '/replicaCount': minimum"},
		{"replicas as a string", []string{`replicaCount="2"`}, "at '/replicaCount': got string, want integer"},
		{"namespaced RBAC without namespaces", []string{`rbac.namespaced=true`}, "at '/watchNamespaces': minItems: got 0, want 1"},
		{"a namespace that is not a DNS label", []string{`watchNamespaces=["Team_A"]`}, "at '/watchNamespaces/0'"},
		{"the same namespace twice", []string{`watchNamespaces=["team-a","team-a"]`}, "at '/watchNamespaces'"},
		{"a Service type the chart does not render", []string{`service.type="ExternalName"`}, "at '/service/type'"},
		{"a node port outside the range", []string{`service.type="NodePort"`, `service.nodePort=8080`}, "at '/service/nodePort'"},
		{"a port out of range", []string{`service.port=70000`}, "at '/service/port'"},
		{"an unknown pull policy", []string{`image.pullPolicy="Sometimes"`}, "at '/image/pullPolicy'"},
		{"a digest that is not sha256", []string{`image.digest="md5:abc"`}, "at '/image/digest'"},
		{"an upper-case repository", []string{`image.repository="GHCR.io/x"`}, "at '/image/repository'"},
		{"a policy file not ending in .rego", []string{`policies.files={"team.yaml":"package aigw.x"}`}, "invalid propertyName 'team.yaml'"},
		{"an empty policy file", []string{`policies.files={"team.rego":""}`}, "at '/policies/files/team.rego'"},
		{"a policy ConfigMap name that is not a DNS name", []string{`policies.existingConfigMap="Team Policies"`}, "at '/policies/existingConfigMap'"},
		{"an Ingress without hosts", []string{`ingress.enabled=true`}, "at '/ingress/hosts': minItems: got 0, want 1"},
		{"an Ingress path without a leading slash", []string{`ingress.enabled=true`, `ingress.hosts=[{"host":"c.example.com","paths":[{"path":"api"}]}]`}, "at '/ingress/hosts/0/paths/0/path'"},
		{"an HTTPRoute without parents", []string{`httpRoute.enabled=true`}, "at '/httpRoute/parentRefs': minItems: got 0, want 1"},
		{"a NetworkPolicy peer with an unknown field", []string{`networkPolicy.ingressFrom=[{"podSelectors":{}}]`}, "at '/networkPolicy/ingressFrom/0'"},
		{"an API server CIDR that is not one", []string{`networkPolicy.apiServer.cidrs=["10.0.0.1"]`}, "at '/networkPolicy/apiServer/cidrs/0'"},
		{"no API server port", []string{`networkPolicy.apiServer.ports=[]`}, "at '/networkPolicy/apiServer/ports'"},
		{"a scrape interval that is not a duration", []string{`serviceMonitor.interval="often"`}, "at '/serviceMonitor/interval'"},
		{"a PDB allowing zero unavailable Pods (drains would hang)", []string{`podDisruptionBudget.maxUnavailable=0`}, "at '/podDisruptionBudget/maxUnavailable'"},
		{"a memory limit that is not a quantity", []string{`resources={"limits":{"memory":"lots"}}`}, "at '/resources/limits/memory'"},
		{"a resource the chart does not know", []string{`resources={"limits":{"nvidia.com/gpu":1}}`}, "at '/resources/limits'"},
		{"zero WebSocket connections (0 would mean the default)", []string{`console.websocket.maxConnections=0`}, "at '/console/websocket/maxConnections'"},
		{"a WebSocket timeout that is not a Go duration", []string{`console.websocket.idleTimeout="5 minutes"`}, "at '/console/websocket/idleTimeout'"},
		{"a WebSocket origin without a scheme", []string{`console.websocket.allowedOrigins=["console.example.com"]`}, "at '/console/websocket/allowedOrigins/0'"},
		{"an unknown WebSocket limit", []string{`console.websocket.maxClients=5`}, "additional properties 'maxClients' not allowed"},
		{"an OIDC issuer over plain http", []string{`auth.oidc.issuerURL="http://login.example.com"`, `auth.oidc.clientID="c"`}, "at '/auth/oidc/issuerURL'"},
		{"an OIDC issuer without a client ID", []string{`auth.oidc.issuerURL="https://login.example.com"`}, "at '/auth/oidc/clientID'"},
		{"a proxy source that is not a CIDR", []string{`auth.proxy.cidrs=["10.0.0.1"]`}, "at '/auth/proxy/cidrs/0'"},
		{"a negative budget of refused tokens", []string{`auth.failuresPerMinute=-1`}, "at '/auth/failuresPerMinute'"},
		{"a trusted proxy that is not a CIDR", []string{`console.trustedProxies.cidrs=["10.0.0.1"]`}, "at '/console/trustedProxies/cidrs/0'"},
		{"an unknown auth key", []string{`auth.enabled=false`}, "additional properties 'enabled' not allowed"},
		{"TLS without a Secret", []string{`tls.enabled=true`}, "at '/tls/secretName'"},
		{"a negative rate limit", []string{`console.rateLimit.qps=-1`}, "at '/console/rateLimit/qps'"},
		{"a zero burst", []string{`console.rateLimit.burst=0`}, "at '/console/rateLimit/burst'"},
		{"a request timeout that is not a Go duration", []string{`console.requestTimeout="1 minute"`}, "at '/console/requestTimeout'"},
		{"a CORS origin with a path", []string{`console.cors.allowedOrigins=["https://ui.example.com/app"]`}, "at '/console/cors/allowedOrigins/0'"},
		{"an unknown audit key", []string{`console.audit={"logPath":"/var/log/a"}`}, "additional properties 'logPath' not allowed"},
		{"a topology spread without a key", []string{`topologySpreadConstraints=[{"maxSkew":1,"whenUnsatisfiable":"ScheduleAnyway"}]`}, "at '/topologySpreadConstraints/0'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			out, err := renderRaw(t, renderOptions{set: tc.set})
			if err == nil {
				t.Fatalf("helm template --set-json %v rendered instead of failing:\n%.400s", tc.set, out)
			}
			msg := err.Error()
			if !strings.Contains(msg, "values don't meet the specifications of the schema") || !strings.Contains(msg, tc.want) {
				t.Errorf("helm template --set-json %v: want a schema error containing %q, got:\n%s", tc.set, tc.want, msg)
			}
		})
	}
}

// readmeRBAC parses the chart README's table of granted rules: rows like
// | `aigateway.envoyproxy.io` | `aiservicebackends` | `get`, `list`, ... | why |
func readmeRBAC(t *testing.T) map[string][]string {
	t.Helper()
	return readmeRBACIn(t, "## RBAC")
}

// consoleRoles returns roles without the ClusterRole of impersonation and
// reviews that namespaced RBAC adds (<name>-auth).
func consoleRoles(roles []*unstructured.Unstructured) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range roles {
		if !strings.HasSuffix(o.GetName(), "-auth") {
			out = append(out, o)
		}
	}
	return out
}

// readmeRBACIn parses the rule table of one README section.
func readmeRBACIn(t *testing.T, heading string) map[string][]string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(chartDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("^\\| `([^`]*)` \\| `([a-z][a-z0-9./-]*)` \\| ((?:`[a-z]+`(?:, )?)+) \\|")
	verb := regexp.MustCompile("`([a-z]+)`")
	out := map[string][]string{}
	for _, line := range strings.Split(readmeSection(t, string(b), heading), "\n") {
		m := row.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		var verbs []string
		for _, v := range verb.FindAllStringSubmatch(m[3], -1) {
			verbs = append(verbs, v[1])
		}
		sort.Strings(verbs)
		group := m[1]
		if group == "core" {
			group = ""
		}
		out[group+"/"+m[2]] = verbs
	}
	if len(out) == 0 {
		t.Fatal("no RBAC table rows found in charts/aigw-console/README.md")
	}
	return out
}

// grantedRules flattens RBAC rules to "group/resource" -> sorted verbs and
// fails on anything that is not a plain grant (wildcards, non-resource URLs).
func grantedRules(t *testing.T, roles []*unstructured.Unstructured) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, role := range roles {
		rules, _, _ := unstructured.NestedSlice(role.Object, "rules")
		for _, r := range rules {
			rule := r.(map[string]any)
			groups, _, _ := unstructured.NestedStringSlice(rule, "apiGroups")
			resources, _, _ := unstructured.NestedStringSlice(rule, "resources")
			verbs, _, _ := unstructured.NestedStringSlice(rule, "verbs")
			if urls, ok := rule["nonResourceURLs"]; ok {
				t.Errorf("%s/%s grants nonResourceURLs %v", role.GetKind(), role.GetName(), urls)
			}
			for _, list := range [][]string{groups, resources, verbs} {
				if slices.Contains(list, "*") {
					t.Errorf("%s/%s has a wildcard: %v", role.GetKind(), role.GetName(), rule)
				}
			}
			for _, g := range groups {
				for _, res := range resources {
					key := g + "/" + res
					out[key] = append(out[key], verbs...)
				}
			}
		}
	}
	for k, v := range out {
		sort.Strings(v)
		out[k] = slices.Compact(v)
	}
	return out
}

func TestDefaultRBACIsLeastPrivilegeAndDocumented(t *testing.T) {
	t.Parallel()
	objs := render(t, renderOptions{})
	documented := readmeRBAC(t)

	t.Run("no binding to a built-in role such as cluster-admin", func(t *testing.T) {
		roles := map[string]bool{}
		for _, kind := range []string{"ClusterRole", "Role"} {
			for _, r := range find(objs, kind) {
				roles[kind+"/"+r.GetName()] = true
			}
		}
		for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
			for _, b := range find(objs, kind) {
				ref, _, _ := unstructured.NestedString(b.Object, "roleRef", "name")
				refKind, _, _ := unstructured.NestedString(b.Object, "roleRef", "kind")
				if ref == "cluster-admin" || ref == "admin" || ref == "edit" || !roles[refKind+"/"+ref] {
					t.Errorf("%s/%s binds %s/%s, which the chart does not define", kind, b.GetName(), refKind, ref)
				}
			}
		}
		if len(find(objs, "ClusterRoleBinding")) != 1 {
			t.Errorf("want exactly one ClusterRoleBinding by default (the console's), got %d", len(find(objs, "ClusterRoleBinding")))
		}
	})

	t.Run("the ClusterRole grants exactly the rules the README justifies, no wildcard", func(t *testing.T) {
		granted := grantedRules(t, consoleRoles(find(objs, "ClusterRole")))
		if d := cmp.Diff(documented, granted); d != "" {
			t.Errorf("granted rules differ from the README's RBAC table (-README +granted):\n%s", d)
		}
	})

	t.Run("Secrets get nothing beyond get, list, watch, create, patch and delete", func(t *testing.T) {
		granted := grantedRules(t, find(objs, "ClusterRole"))
		want := []string{"create", "delete", "get", "list", "patch", "watch"}
		if d := cmp.Diff(want, granted["/secrets"]); d != "" {
			t.Errorf("Secret verbs (-want +got):\n%s", d)
		}
		for key := range granted {
			if strings.HasSuffix(key, "/secrets") && key != "/secrets" || key == "/secrets/status" {
				t.Errorf("unexpected Secret-like grant %s", key)
			}
		}
	})

	t.Run("namespaced RBAC renders Roles in the watched namespaces only; cluster-wide only impersonation and reviews", func(t *testing.T) {
		objs := render(t, renderOptions{set: []string{`rbac.namespaced=true`, `watchNamespaces=["team-a","team-b"]`}})
		// Impersonation and the reviews are cluster-scoped checks: they
		// stay in one ClusterRole that grants no resource access.
		resources, auth := map[string][]string{}, map[string][]string{}
		for k, v := range documented {
			if slices.Equal(v, []string{"impersonate"}) || strings.HasSuffix(k, "reviews") {
				auth[k] = v
			} else {
				resources[k] = v
			}
		}
		if n, m := len(find(objs, "ClusterRole")), len(find(objs, "ClusterRoleBinding")); n != 1 || m != 1 {
			t.Errorf("namespaced RBAC renders %d ClusterRoles and %d ClusterRoleBindings, want 1 and 1", n, m)
		}
		if d := cmp.Diff(auth, grantedRules(t, find(objs, "ClusterRole"))); d != "" {
			t.Errorf("the ClusterRole of namespaced RBAC (-README's impersonation and review rows +granted):\n%s", d)
		}
		var nss []string
		for _, r := range find(objs, "Role") {
			nss = append(nss, r.GetNamespace())
			if d := cmp.Diff(resources, grantedRules(t, []*unstructured.Unstructured{r})); d != "" {
				t.Errorf("Role in %s differs from the README (-README +granted):\n%s", r.GetNamespace(), d)
			}
		}
		if d := cmp.Diff([]string{"team-a", "team-b"}, nss); d != "" {
			t.Errorf("Role namespaces (-want +got):\n%s", d)
		}
		if args := containerArgs(t, objs); !slices.Contains(args, "--namespaces=team-a,team-b") {
			t.Errorf("args %v lack --namespaces=team-a,team-b", args)
		}
	})
}

// TestValuesAreDocumented keeps values.yaml and the chart README in step:
// every value has a comment in values.yaml and a row in the README's values
// table, and the table names no value that does not exist.
func TestValuesAreDocumented(t *testing.T) {
	t.Parallel()
	raw, err := os.ReadFile(filepath.Join(chartDir(t), "values.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	// Values documented as a whole rather than key by key.
	whole := map[string]bool{"resources": true}
	var keys []string
	var walk func(prefix string, m *yamlv3.Node)
	walk = func(prefix string, m *yamlv3.Node) {
		for i := 0; i+1 < len(m.Content); i += 2 {
			k, v := m.Content[i], m.Content[i+1]
			path := prefix + k.Value
			if v.Kind == yamlv3.MappingNode && len(v.Content) > 0 && !whole[path] {
				walk(path+".", v)
				continue
			}
			keys = append(keys, path)
			if strings.TrimSpace(k.HeadComment) == "" {
				t.Errorf("values.yaml:%d: %s has no comment", k.Line, path)
			}
		}
	}
	walk("", doc.Content[0])
	sort.Strings(keys)

	readme, err := os.ReadFile(filepath.Join(chartDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := readmeSection(t, string(readme), "## Values")
	rowKey := regexp.MustCompile("(?m)^\\| `([a-zA-Z.]+)` \\|")
	var documented []string
	for _, m := range rowKey.FindAllStringSubmatch(section, -1) {
		documented = append(documented, m[1])
	}
	sort.Strings(documented)
	if d := cmp.Diff(keys, documented); d != "" {
		t.Errorf("values.yaml keys vs the README's values table (-values.yaml +README):\n%s", d)
	}
}

// readmeSection returns the README's text from the heading to the next
// heading of the same level.
func readmeSection(t *testing.T, readme, heading string) string {
	t.Helper()
	i := strings.Index(readme, "\n"+heading+"\n")
	if i < 0 {
		t.Fatalf("charts/aigw-console/README.md has no %q section", heading)
	}
	rest := readme[i+len(heading)+2:]
	if j := strings.Index(rest, "\n## "); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// notExposed are the console flags the chart deliberately does not set, and
// why. A flag added to the console fails TestChartFlagsExistInTheConsole
// until it is exposed in the chart (values.yaml, the schema, README.md) or
// listed here.
var notExposed = map[string]string{
	"kubeconfig":     "in a Pod the console uses its ServiceAccount (in-cluster config)",
	"auth-disabled":  "development only: the console refuses it on a non-loopback address, and the chart listens on 0.0.0.0",
	"version":        "prints the version and exits",
	"audit-log-path": "audit records go to standard output, collected with the container's logs (the root filesystem is read-only)",
}

// TestChartFlagsExistInTheConsole keeps the chart true to the binary: every
// flag any value set renders is one the console accepts, and every flag of
// the console is either rendered by some value set or listed in notExposed.
func TestChartFlagsExistInTheConsole(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(consoleBinary(t), "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("aigw-console --help: %v\n%s", err, out)
	}
	accepted := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`).FindAllStringSubmatch(string(out), -1) {
		accepted[m[1]] = true
	}
	if len(accepted) == 0 {
		t.Fatalf("no flags in aigw-console --help:\n%s", out)
	}
	// The README's defaults are the console's: a row naming `--flag` with
	// "console default `X`" must match the "(default X)" of --help.
	helpDefault := map[string]string{}
	for _, m := range regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)[^\n]*\n[ \t]+[^\n]*\(default ([^)]*)\)$`).FindAllStringSubmatch(string(out), -1) {
		helpDefault[m[1]] = m[2]
	}
	readme, err := os.ReadFile(filepath.Join(chartDir(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile("(?m)^\\| `([a-zA-Z.]+)` \\| `null` \\(console default `([^`]*)`\\) \\| `--([a-z-]+)`").FindAllStringSubmatch(string(readme), -1) {
		if !accepted[m[3]] {
			t.Errorf("README: %s documents --%s, which aigw-console does not accept", m[1], m[3])
		} else if helpDefault[m[3]] != m[2] {
			t.Errorf("README: %s says the console default of --%s is %q; aigw-console --help says %q", m[1], m[3], m[2], helpDefault[m[3]])
		}
	}
	rendered := map[string]bool{}
	for name, file := range valueSets(t) {
		for _, arg := range containerArgs(t, render(t, renderOptions{valuesFiles: []string{file}})) {
			flagName, _, _ := strings.Cut(strings.TrimPrefix(arg, "--"), "=")
			if !accepted[flagName] {
				t.Errorf("value set %s renders %s, which aigw-console does not accept", name, arg)
			}
			rendered[flagName] = true
		}
	}
	for f := range accepted {
		if !rendered[f] && notExposed[f] == "" {
			t.Errorf("aigw-console --%s is neither set by the chart nor listed in notExposed", f)
		}
	}
}
