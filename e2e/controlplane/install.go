package controlplane

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/discovery/cached/memory"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/restmapper"
)

// Versions of the upstream projects whose CRDs InstallCRDs installs. They
// are the versions Envoy AI Gateway v1.1 is released against.
const (
	GatewayAPIModule    = "sigs.k8s.io/gateway-api@v1.5.1"
	EnvoyGatewayModule  = "github.com/envoyproxy/gateway@v1.8.1"
	gatewayAPICRDDir    = "config/crd/standard"
	envoyGatewayCRDFile = "charts/gateway-helm/charts/crds/crds/generated/gateway.envoyproxy.io_backends.yaml"
	fieldManager        = "aigw-console-e2e"
)

// UpstreamCRDs returns the Gateway API standard-channel CRDs (which include
// BackendTLSPolicy v1) and Envoy Gateway's Backend CRD, read from those
// modules in the Go module cache. It runs `go mod download`, so the first
// call needs the Go module proxy.
func UpstreamCRDs(ctx context.Context) ([][]byte, error) {
	gwDir, err := moduleDir(ctx, GatewayAPIModule)
	if err != nil {
		return nil, err
	}
	egDir, err := moduleDir(ctx, EnvoyGatewayModule)
	if err != nil {
		return nil, err
	}
	files, err := filepath.Glob(filepath.Join(gwDir, gatewayAPICRDDir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	files = append(files, filepath.Join(egDir, envoyGatewayCRDFile))
	out := make([][]byte, 0, len(files))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, nil
}

// moduleDir downloads module@version into the module cache (if needed) and
// returns its directory. It runs outside any module so no go.mod changes.
func moduleDir(ctx context.Context, modVersion string) (string, error) {
	cmd := exec.CommandContext(ctx, "go", "mod", "download", "-json", modVersion)
	cmd.Dir = os.TempDir()
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GO111MODULE=on")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("go mod download %s: %w: %s", modVersion, err, stderr.String())
	}
	var info struct{ Dir, Error string }
	if err := json.Unmarshal(out, &info); err != nil {
		return "", fmt.Errorf("go mod download %s: %w", modVersion, err)
	}
	if info.Error != "" || info.Dir == "" {
		return "", fmt.Errorf("go mod download %s: %s", modVersion, info.Error)
	}
	return info.Dir, nil
}

// InstallCRDs applies every CustomResourceDefinition in docs (multi-document
// YAML allowed; other kinds in them are applied too) and waits until each
// CRD is Established.
func InstallCRDs(ctx context.Context, cfg *rest.Config, docs ...[]byte) error {
	var crds []string
	for _, doc := range docs {
		objs, err := DecodeYAML(doc)
		if err != nil {
			return err
		}
		if err := Apply(ctx, cfg, objs...); err != nil {
			return err
		}
		for _, o := range objs {
			if o.GetKind() == "CustomResourceDefinition" {
				crds = append(crds, o.GetName())
			}
		}
	}
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	crdRes := apiextensionsv1.SchemeGroupVersion.WithResource("customresourcedefinitions")
	for _, name := range crds {
		err := wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
			u, err := dyn.Resource(crdRes).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, nil //nolint:nilerr // keep polling until the timeout
			}
			var crd apiextensionsv1.CustomResourceDefinition
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, &crd); err != nil {
				return false, err
			}
			for _, c := range crd.Status.Conditions {
				if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
					return true, nil
				}
			}
			return false, nil
		})
		if err != nil {
			return fmt.Errorf("CustomResourceDefinition/%s not established: %w", name, err)
		}
	}
	return nil
}

// DecodeYAML splits multi-document YAML into objects, skipping empty
// documents.
func DecodeYAML(doc []byte) ([]*unstructured.Unstructured, error) {
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(doc), 4096)
	var out []*unstructured.Unstructured
	for {
		var obj map[string]any
		if err := dec.Decode(&obj); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(obj) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: obj})
	}
}

// Apply server-side-applies objects with the e2e field manager, resolving
// their resources through discovery (fresh for every call, so CRDs
// installed by an earlier call are found).
func Apply(ctx context.Context, cfg *rest.Config, objs ...*unstructured.Unstructured) error {
	dc, err := discovery.NewDiscoveryClientForConfig(cfg)
	if err != nil {
		return err
	}
	mapper := restmapper.NewDeferredDiscoveryRESTMapper(memory.NewMemCacheClient(dc))
	dyn, err := dynamic.NewForConfig(cfg)
	if err != nil {
		return err
	}
	for _, o := range objs {
		gvk := o.GroupVersionKind()
		m, err := mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
		if err != nil {
			return fmt.Errorf("%s/%s: %w", gvk.Kind, o.GetName(), err)
		}
		body, err := json.Marshal(o.Object)
		if err != nil {
			return err
		}
		var ri dynamic.ResourceInterface = dyn.Resource(m.Resource)
		if m.Scope.Name() == meta.RESTScopeNameNamespace {
			ns := o.GetNamespace()
			if ns == "" {
				ns = "default"
			}
			ri = dyn.Resource(m.Resource).Namespace(ns)
		}
		force := true
		if _, err := ri.Patch(ctx, o.GetName(), types.ApplyPatchType, body, metav1.PatchOptions{FieldManager: fieldManager, Force: &force}); err != nil {
			return fmt.Errorf("%s/%s apply failed: %w", gvk.Kind, o.GetName(), err)
		}
	}
	return nil
}
