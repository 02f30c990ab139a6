package route

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// renderCase is the content of a testdata/*.in.json file.
type renderCase struct {
	Namespace string `json:"namespace"`
	Spec      Spec   `json:"spec"`
}

func readRenderCases(t *testing.T) map[string]renderCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", "*.in.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no testdata/*.in.json files")
	}
	cases := make(map[string]renderCase, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var rc renderCase
		dec := json.NewDecoder(strings.NewReader(string(b)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rc); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		cases[strings.TrimSuffix(f, ".in.json")] = rc
	}
	return cases
}

// TestRenderGolden renders every testdata/*.in.json and compares the result
// with the matching *.out.yaml; run with -update to rewrite them.
func TestRenderGolden(t *testing.T) {
	for base, rc := range readRenderCases(t) {
		t.Run(filepath.Base(base)+" renders as in its golden file", func(t *testing.T) {
			u, err := Render(rc.Namespace, rc.Spec)
			if err != nil {
				t.Fatalf("Render() error = %v", err)
			}
			got, err := yaml.Marshal(u.Object)
			if err != nil {
				t.Fatal(err)
			}
			golden := base + ".out.yaml"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(got)); diff != "" {
				t.Errorf("Render() differs from %s (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// TestRenderSatisfiesCRD checks every rendered object against the CRD's
// schema and CEL rules.
func TestRenderSatisfiesCRD(t *testing.T) {
	specs := map[string]renderCase{}
	for base, rc := range readRenderCases(t) {
		specs[filepath.Base(base)] = rc
	}
	specs["the largest route"] = renderCase{Namespace: testNamespace, Spec: largestSpec()}
	for name, rc := range specs {
		t.Run(name+" satisfies the CRD", func(t *testing.T) {
			u, err := Render(rc.Namespace, rc.Spec)
			if err != nil {
				t.Fatalf("Render() error = %v", err)
			}
			assertSatisfiesCRD(t, u)
		})
	}
}

// largestSpec uses every limit of Validate to the full.
func largestSpec() Spec {
	s := Spec{
		Name:            strings.Repeat("r", maxNameLen),
		Gateways:        gateways(maxGateways),
		Hostnames:       numbered("h%d.example.com", maxHostnames),
		Rules:           rules(maxRules),
		LLMRequestCosts: costs(maxCosts),
	}
	s.Rules[0].Models = numbered("model-%d", maxMatches)
	s.Rules[0].Headers = headers(maxHeaders - 1)
	s.Rules[0].Backends = backends(maxBackends)
	s.Rules[1].Models, s.Rules[1].ModelPattern = nil, strings.Repeat("a", maxValueLen)
	s.Rules[2].Timeouts = &Timeouts{Request: "99999h99999m99999s99999ms", BackendRequest: "99999h"}
	return s
}

func TestRenderIsDeterministic(t *testing.T) {
	s := largestSpec()
	first, err := Render(testNamespace, s)
	if err != nil {
		t.Fatal(err)
	}
	for range 5 {
		again, err := Render(testNamespace, s)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(first.Object, again.Object); diff != "" {
			t.Fatalf("Render() changed between calls (-first +again):\n%s", diff)
		}
	}
}

func TestRenderSharesNoMemoryWithTheSpec(t *testing.T) {
	s := validSpec()
	s.Rules[0].Backends[0].Weight = ptr(int32(5))
	u, err := Render(testNamespace, s)
	if err != nil {
		t.Fatal(err)
	}
	before := u.DeepCopy()
	*s.Rules[0].Backends[0].Weight = 7
	s.Rules[0].Models[0] = "changed"
	if diff := cmp.Diff(before.Object, u.Object); diff != "" {
		t.Errorf("changing the Spec changed the rendered object (-before +after):\n%s", diff)
	}
}

func TestRenderSetsIdentityAndLabels(t *testing.T) {
	u, err := Render(testNamespace, validSpec())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]any{
		"apiVersion": u.GetAPIVersion(),
		"kind":       u.GetKind(),
		"name":       u.GetName(),
		"namespace":  u.GetNamespace(),
		"labels":     u.GetLabels(),
	}
	want := map[string]any{
		"apiVersion": "aigateway.envoyproxy.io/v1beta1",
		"kind":       "AIGatewayRoute",
		"name":       "chat",
		"namespace":  testNamespace,
		"labels":     map[string]string{"app.kubernetes.io/managed-by": "aigw-console", "aigw-console.io/route": "chat"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Render() identity (-want +got):\n%s", diff)
	}
	for _, noise := range [][]string{{"status"}, {"metadata", "creationTimestamp"}, {"metadata", "resourceVersion"}} {
		if _, found, _ := unstructured.NestedFieldNoCopy(u.Object, noise...); found {
			t.Errorf("Render() sets %s", strings.Join(noise, "."))
		}
	}
}

func TestRenderReturnsInvalidForAnInvalidSpec(t *testing.T) {
	s := validSpec()
	s.Rules[0].Name = "route-not-found"
	_, err := Render(testNamespace, s)
	if !apierrors.IsInvalid(err) {
		t.Fatalf("Render() error = %v, want an Invalid StatusError", err)
	}
	st := err.(apierrors.APIStatus).Status()
	if st.Details == nil || st.Details.Kind != "AIGatewayRoute" || st.Details.Name != "chat" ||
		len(st.Details.Causes) != 1 || st.Details.Causes[0].Field != "rules[0].name" {
		t.Errorf("Render() status details = %+v, want one cause at rules[0].name of AIGatewayRoute chat", st.Details)
	}
}
