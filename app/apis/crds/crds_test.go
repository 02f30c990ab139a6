package crds_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"

	"github.com/aigw-console/aigw-console/app/apis/crds"
)

const (
	typesDir       = "../v1beta1"
	deepcopyFile   = "zz_generated.deepcopy.go"
	staleHint      = "run make generate (go generate ./app/apis/...) and commit the result"
	generatePrefix = "//go:generate "
	crdOutputFlag  = "output:crd:artifacts:config="
)

// TestGeneratedFilesAreUpToDate re-runs the exact controller-gen command of
// the //go:generate line in ../v1beta1/doc.go into a temporary directory and
// compares the result with the committed CRDs and deepcopy code.
func TestGeneratedFilesAreUpToDate(t *testing.T) {
	if testing.Short() {
		t.Skip("runs controller-gen through go run; skipped in -short mode")
	}
	args := generateArgs(t)
	out := t.TempDir()
	// Same generators and inputs, only the outputs redirected: the CRD
	// artifacts and the deepcopy file both land in out.
	for i, a := range args {
		if strings.HasPrefix(a, crdOutputFlag) {
			args[i] = crdOutputFlag + out
		}
	}
	args = append(args, "output:object:dir="+out)

	cmd := exec.CommandContext(t.Context(), args[0], args[1:]...)
	cmd.Dir = typesDir // go generate runs in the package directory too.
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s failed: %v\n%s", strings.Join(args, " "), err, b)
	}

	generated, err := filepath.Glob(filepath.Join(out, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	committed, err := filepath.Glob("*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(baseNames(generated), baseNames(committed)); diff != "" {
		t.Fatalf("CRD files differ from what controller-gen writes; %s (-generated +committed):\n%s", staleHint, diff)
	}

	pairs := map[string]string{filepath.Join(typesDir, deepcopyFile): filepath.Join(out, deepcopyFile)}
	for _, g := range generated {
		pairs[filepath.Base(g)] = g
	}
	for committedPath, generatedPath := range pairs {
		want := readFile(t, generatedPath)
		got := readFile(t, committedPath)
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s is stale; %s (-generated +committed):\n%s", committedPath, staleHint, diff)
		}
	}
}

// generateArgs returns the command of the //go:generate line in doc.go, so
// the test and `go generate` cannot drift apart.
func generateArgs(t *testing.T) []string {
	t.Helper()
	f, err := os.Open(filepath.Join(typesDir, "doc.go"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	s := bufio.NewScanner(f)
	for s.Scan() {
		line := s.Text()
		if !strings.HasPrefix(line, generatePrefix) || !strings.Contains(line, "controller-gen") {
			continue
		}
		args := strings.Fields(strings.TrimPrefix(line, generatePrefix))
		if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, crdOutputFlag) }) {
			t.Fatalf("the go:generate line in doc.go has no %s flag: %s", crdOutputFlag, line)
		}
		return args
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	t.Fatal("doc.go has no //go:generate line running controller-gen")
	return nil
}

func baseNames(paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		out = append(out, filepath.Base(p))
	}
	slices.Sort(out)
	return out
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// wantCRD is what each embedded CRD must declare.
type wantCRD struct {
	plural, singular, kind string
	labels                 map[string]string
	messages               []string // every CEL message, including inherited Gateway API ones
}

var want = map[string]wantCRD{
	"aigatewayroutes.aigateway.envoyproxy.io": {
		plural: "aigatewayroutes", singular: "aigatewayroute", kind: "AIGatewayRoute",
		messages: []string{
			"only Gateway is supported",
			"rule name must be unique within the route",
			"rule name route-not-found is reserved",
			"cannot mix InferencePool and AIServiceBackend references in the same rule",
			"only one InferencePool backend is allowed per rule",
			"group and kind must be specified together",
			"only InferencePool from inference.networking.k8s.io group is supported",
			"backendRequest timeout cannot be longer than request timeout",
		},
	},
	"aiservicebackends.aigateway.envoyproxy.io": {
		plural: "aiservicebackends", singular: "aiservicebackend", kind: "AIServiceBackend",
		messages: []string{
			"BackendRef must be a Backend resource of Envoy Gateway. See https://github.com/envoyproxy/ai-gateway/issues/902 for more details.",
			"Must have port for Service reference",
		},
	},
	"backendsecuritypolicies.aigateway.envoyproxy.io": {
		plural: "backendsecuritypolicies", singular: "backendsecuritypolicy", kind: "BackendSecurityPolicy",
		labels: map[string]string{"gateway.networking.k8s.io/policy": "direct"},
		messages: []string{
			"targetRefs must reference AIServiceBackend or InferencePool resources",
			"When type is APIKey, only apiKey field should be set",
			"When type is AWSCredentials, only awsCredentials field should be set",
			"When type is AzureAPIKey, only azureAPIKey field should be set",
			"When type is AzureCredentials, only azureCredentials field should be set",
			"When type is GCPCredentials, only gcpCredentials field should be set",
			"When type is AnthropicAPIKey, only anthropicAPIKey field should be set",
			"Exactly one of clientSecretRef or oidcExchangeToken must be specified",
			"At most one of credentialsFile or workloadIdentityFederationConfig may be specified",
			"only one of clientID or clientIDRef must be set",
		},
	},
}

func TestEmbeddedCRDs(t *testing.T) {
	files, err := crds.All()
	if err != nil {
		t.Fatalf("All: %v", err)
	}
	seen := map[string]bool{}
	for _, b := range files {
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.UnmarshalStrict(b, &crd); err != nil {
			t.Fatalf("decode embedded CRD: %v", err)
		}
		w, ok := want[crd.Name]
		if !ok {
			t.Errorf("unexpected CRD %s", crd.Name)
			continue
		}
		seen[crd.Name] = true
		t.Run("the "+w.kind+" CRD declares the upstream v1beta1 API", func(t *testing.T) {
			checkCRD(t, &crd, w)
		})
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("CRD %s is not embedded", name)
		}
	}
}

func checkCRD(t *testing.T, crd *apiextensionsv1.CustomResourceDefinition, w wantCRD) {
	t.Helper()
	if diff := cmp.Diff(apiextensionsv1.CustomResourceDefinitionNames{
		Plural: w.plural, Singular: w.singular, Kind: w.kind, ListKind: w.kind + "List",
	}, crd.Spec.Names); diff != "" {
		t.Errorf("names (-want +got):\n%s", diff)
	}
	if crd.Spec.Group != "aigateway.envoyproxy.io" {
		t.Errorf("group = %q, want aigateway.envoyproxy.io", crd.Spec.Group)
	}
	if crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("scope = %q, want Namespaced", crd.Spec.Scope)
	}
	if diff := cmp.Diff(w.labels, crd.Labels); diff != "" {
		t.Errorf("labels (-want +got):\n%s", diff)
	}
	if len(crd.Spec.Versions) != 1 {
		t.Fatalf("got %d versions, want only v1beta1", len(crd.Spec.Versions))
	}
	v := crd.Spec.Versions[0]
	if v.Name != "v1beta1" || !v.Served || !v.Storage || v.Deprecated {
		t.Errorf("version %s served=%v storage=%v deprecated=%v, want v1beta1 served, storage, not deprecated",
			v.Name, v.Served, v.Storage, v.Deprecated)
	}
	if v.Subresources == nil || v.Subresources.Status == nil {
		t.Errorf("no status subresource")
	}
	if diff := cmp.Diff([]apiextensionsv1.CustomResourceColumnDefinition{{
		Name: "Status", Type: "string", JSONPath: ".status.conditions[-1:].type",
	}}, v.AdditionalPrinterColumns); diff != "" {
		t.Errorf("printer columns (-want +got):\n%s", diff)
	}
	got := celMessages(v.Schema.OpenAPIV3Schema)
	for _, m := range w.messages {
		if !slices.Contains(got, m) {
			t.Errorf("CEL rule with message %q is missing", m)
		}
	}
}

// celMessages collects the message of every x-kubernetes-validations rule in
// the schema tree.
func celMessages(s *apiextensionsv1.JSONSchemaProps) []string {
	if s == nil {
		return nil
	}
	var out []string
	for _, r := range s.XValidations {
		out = append(out, r.Message)
	}
	for _, p := range s.Properties {
		out = append(out, celMessages(&p)...)
	}
	if s.Items != nil {
		out = append(out, celMessages(s.Items.Schema)...)
	}
	return out
}
