# aigw-console — the two set-up commands are `make run` and `make test`.
# `make help` lists every target.

SHELL := /usr/bin/env bash -o pipefail -o errexit -o nounset
.DEFAULT_GOAL := help

LOCAL        := $(CURDIR)/.local
BIN          := $(LOCAL)/bin
VERSION      ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
GO_LDFLAGS   := -s -w -X main.version=$(VERSION)
K8S_VERSION  := v1.37.2
K8S_LDFLAGS  := -s -w -X k8s.io/component-base/version.gitVersion=$(K8S_VERSION) \
                -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=37
CONTROLLER_GEN := go run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0
GOLANGCI_LINT  := go run github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0
COVER_MIN    ?= 80
COVER_PKGS   := ./app/...,./policy/...,./gitops/...
TOOLS_SRC    := e2e/tools/go.mod e2e/tools/go.sum e2e/tools/etcd/main.go

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-14s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Newcomer

.PHONY: run
run: cluster-tools ## Start a local control plane (etcd + kube-apiserver) with the CRDs and demo data, and the console on 127.0.0.1:8080.
	go run ./e2e/localdev --bin-dir $(BIN) --dir $(LOCAL)/run

.PHONY: test
test: tools ## Unit, integration and e2e tests against the real local control plane, with coverage.
	@mkdir -p $(LOCAL)
	go test -count=1 -timeout 30m -covermode=atomic -coverpkg=$(COVER_PKGS) -coverprofile=$(LOCAL)/cover.raw.out ./... 2>&1 | tee $(LOCAL)/test.log
	@grep -v '/zz_generated' $(LOCAL)/cover.raw.out > $(LOCAL)/cover.out
	@total=$$(go tool cover -func=$(LOCAL)/cover.out | awk '/^total:/ {sub("%","",$$3); print $$3}'); \
	  echo "coverage of app/, policy/, gitops/ (e2e included, generated deepcopy excluded): $${total}% (minimum $(COVER_MIN)%)"; \
	  awk -v t="$$total" -v m="$(COVER_MIN)" 'BEGIN { exit (t+0 >= m+0) ? 0 : 1 }' || { echo "coverage below $(COVER_MIN)%"; exit 1; }

##@ Development

.PHONY: tools
tools: cluster-tools flux-tools gitea ## Build every test server from the Go module proxy into .local/bin (cached): cluster-tools, flux-tools and gitea.

.PHONY: cluster-tools
cluster-tools: $(BIN)/kube-apiserver $(BIN)/etcd $(BIN)/kubectl $(BIN)/helm ## Build kube-apiserver, etcd, kubectl and helm (what `make run` needs).

$(BIN)/kube-apiserver: $(TOOLS_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools && CGO_ENABLED=0 go build -ldflags '$(K8S_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(BIN)/kubectl: $(TOOLS_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools && CGO_ENABLED=0 go build -ldflags '$(K8S_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kubectl

$(BIN)/etcd: $(TOOLS_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools && CGO_ENABLED=0 go build -ldflags '-s -w' -o $@ ./etcd

# Flux v1.9.6 (e2e/flux) and Gitea v1.26.0 (e2e/gitea), each from its own
# module under e2e/tools so that their dependency trees stay out of go.mod.
FLUX_SRC  := e2e/tools/flux/go.mod e2e/tools/flux/go.sum
GITEA_SRC := e2e/tools/gitea/go.mod e2e/tools/gitea/go.sum

.PHONY: flux-tools
flux-tools: $(BIN)/source-controller $(BIN)/kustomize-controller ## Build Flux's source-controller and kustomize-controller v1.9.6 into .local/bin (about 2 min each).

$(BIN)/source-controller: $(FLUX_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools/flux && CGO_ENABLED=0 go build -ldflags '-s -w' -o $@ github.com/fluxcd/source-controller

$(BIN)/kustomize-controller: $(FLUX_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools/flux && CGO_ENABLED=0 go build -ldflags '-s -w' -o $@ github.com/fluxcd/kustomize-controller

.PHONY: gitea
gitea: $(BIN)/gitea ## Build Gitea v1.26.0 (cgo, sqlite) into .local/bin (about 4 min).

$(BIN)/gitea: $(GITEA_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools/gitea && CGO_ENABLED=1 go build -tags 'sqlite sqlite_unlock_notify' \
	  -ldflags '-s -w -X main.Version=1.26.0 -X "main.Tags=sqlite sqlite_unlock_notify"' -o $@ code.gitea.io/gitea

# Helm for the chart tests (e2e/chart pins the same version). The -X flags are
# those of Helm's own Makefile: without them `helm template` assumes
# Kubernetes v1.20 and refuses the chart's kubeVersion.
HELM_VERSION := v3.22.0
HELM_LDFLAGS := -s -w -X helm.sh/helm/v3/internal/version.version=$(HELM_VERSION) \
                -X helm.sh/helm/v3/internal/version.metadata= \
                -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=37 \
                -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=37

$(BIN)/helm:
	@mkdir -p $(BIN)
	GOBIN=$(BIN) CGO_ENABLED=0 GOFLAGS= go install -ldflags '$(HELM_LDFLAGS)' helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

.PHONY: build
build: ## Build bin/aigw-console (static).
	CGO_ENABLED=0 go build -trimpath -ldflags '$(GO_LDFLAGS)' -o bin/aigw-console ./cmd/aigw-console

##@ Container image (buildah, no daemon, nothing pulled)

IMAGE    ?= aigw-console:$(VERSION)
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
BUILDAH  := buildah --storage-driver vfs

.PHONY: image
image: build ## Build the image aigw-console:<version> with buildah from bin/aigw-console (Dockerfile target prebuilt, FROM scratch).
	$(BUILDAH) bud --pull-never --target prebuilt --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMAGE) .

.PHONY: image-check
image-check: image ## Build the image, then check its config (user, entrypoint, labels) and run its binary's --version from its rootfs.
	bash .ci/image-check $(IMAGE) $(VERSION)

.PHONY: bench
bench: cluster-tools ## Benchmarks of BENCHMARKS.md: provider list cache vs API server, create vs kubectl, Rego evaluation.
	go test -count=1 -run '^$$' -bench . -benchtime 20x ./e2e/
	go test -count=1 -run '^$$' -bench . -benchmem ./policy/ ./app/provider/

.PHONY: wsload
wsload: cluster-tools build ## WebSocket load test of BENCHMARKS.md: 2,000 subscribed clients on loopback, one change at a time, delivery p50/p99, RSS per idle connection.
	go run ./e2e/cmd/wsload --console bin/aigw-console --bin-dir $(BIN) --clients 2000 --changes 5 --timeout 5m

.PHONY: generate
generate: ## Regenerate deepcopy code and the AI Gateway CRDs from app/apis.
	go generate ./app/apis/...

.PHONY: lint
lint: ## gofmt, go vet and golangci-lint.
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	go vet ./...
	cd e2e/tools && go vet ./...
	$(GOLANGCI_LINT) run ./...

##@ kind (needs Docker; not available on every machine)

KIND_CLUSTER ?= aigw-console
KIND         := go run sigs.k8s.io/kind@v0.33.0

.PHONY: kind-up
kind-up: ## Create a kind cluster from kind-config.yaml and install the Gateway API, Envoy Gateway Backend and AI Gateway CRDs.
	$(KIND) create cluster --name $(KIND_CLUSTER) --config kind-config.yaml --kubeconfig $(LOCAL)/kind.kubeconfig
	go run ./e2e/localdev --install-crds-only --kubeconfig $(LOCAL)/kind.kubeconfig

.PHONY: kind-e2e
kind-e2e: ## Run the e2e suite against the kind cluster.
	E2E_KUBECONFIG=$(LOCAL)/kind.kubeconfig go test -count=1 -timeout 30m ./e2e/...

KIND_IMAGE := aigw-console:kind

.PHONY: kind-install
kind-install: $(BIN)/helm ## Build the image with Docker, load it into the kind cluster and helm-install the chart with ci/kind-values.yaml (console on 127.0.0.1:8080).
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(KIND_IMAGE) .
	$(KIND) load docker-image $(KIND_IMAGE) --name $(KIND_CLUSTER)
	$(BIN)/helm upgrade --install aigw-console charts/aigw-console --kubeconfig $(LOCAL)/kind.kubeconfig \
	  --namespace aigw-system --create-namespace --values charts/aigw-console/ci/kind-values.yaml --wait --timeout 3m

.PHONY: kind-down
kind-down: ## Delete the kind cluster.
	$(KIND) delete cluster --name $(KIND_CLUSTER)

.PHONY: clean
clean: ## Remove build output and local state (keeps the built tools).
	rm -rf bin $(LOCAL)/run $(LOCAL)/cover*.out $(LOCAL)/test.log
