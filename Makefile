# borderwatch — run `make help` for the targets.
GO        ?= go
BIN       ?= bin
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
PKGS      := ./...

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z0-9_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## build bin/borderwatch (no clang needed: the BPF objects are committed)
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/borderwatch ./cmd/borderwatch
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/bw-synth ./cmd/bw-synth

.PHONY: demo-replay
demo-replay: build ## replay the sample capture on the embedded defaults
	$(BIN)/borderwatch replay --home DE testdata/sample/scan-cn-to-de.pcap

.PHONY: test
test: ## run all tests (privileged ones run when root, skip otherwise)
	$(GO) test -count=1 $(PKGS)

.PHONY: test-race
test-race: ## run the tests with the race detector
	$(GO) test -race -count=1 $(PKGS)

.PHONY: bench
bench: ## run the benchmarks
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

.PHONY: bench-smoke
bench-smoke: ## run every benchmark once (keeps them compiling and running)
	$(GO) test -run '^$$' -bench . -benchtime=1x $(PKGS)

.PHONY: generate
generate: ## rebuild the committed bpf2go output (needs clang)
	$(GO) generate ./bpf/...

.PHONY: check-generate
check-generate: ## fail if the committed bpf2go output is stale (needs clang)
	scripts/check-bpf-generate.sh

.PHONY: fmt
fmt: ## format the Go code
	gofmt -w $$(git ls-files '*.go')

.PHONY: lint
lint: ## gofmt, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)

.PHONY: deps
deps: ## install test dependencies (Debian packages when root, Go modules)
	scripts/install-deps.sh

.PHONY: check
check: deps lint test bench-smoke check-generate ## everything CI runs: deps, lint, tests, benchmark smoke, BPF freshness
