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
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Newcomer

.PHONY: run
run: tools ## Start a local control plane (etcd + kube-apiserver) with the CRDs and demo data, and the console on 127.0.0.1:8080.
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
tools: $(BIN)/kube-apiserver $(BIN)/etcd $(BIN)/kubectl ## Build kube-apiserver, etcd and kubectl from the Go module proxy into .local/bin (cached).

$(BIN)/kube-apiserver: $(TOOLS_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools && CGO_ENABLED=0 go build -ldflags '$(K8S_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kube-apiserver

$(BIN)/kubectl: $(TOOLS_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools && CGO_ENABLED=0 go build -ldflags '$(K8S_LDFLAGS)' -o $@ k8s.io/kubernetes/cmd/kubectl

$(BIN)/etcd: $(TOOLS_SRC)
	@mkdir -p $(BIN)
	cd e2e/tools && CGO_ENABLED=0 go build -ldflags '-s -w' -o $@ ./etcd

.PHONY: build
build: ## Build bin/aigw-console (static).
	CGO_ENABLED=0 go build -trimpath -ldflags '$(GO_LDFLAGS)' -o bin/aigw-console ./cmd/aigw-console

.PHONY: bench
bench: tools ## Benchmarks of BENCHMARKS.md: provider list cache vs API server, create vs kubectl, Rego evaluation.
	go test -count=1 -run '^$$' -bench . -benchtime 20x ./e2e/
	go test -count=1 -run '^$$' -bench . -benchmem ./policy/ ./app/provider/

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

.PHONY: kind-down
kind-down: ## Delete the kind cluster.
	$(KIND) delete cluster --name $(KIND_CLUSTER)

.PHONY: clean
clean: ## Remove build output and local state (keeps the built tools).
	rm -rf bin $(LOCAL)/run $(LOCAL)/cover*.out $(LOCAL)/test.log
