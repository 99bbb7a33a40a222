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

.PHONY: tools
tools: ## build the developer tools of internal/devtools (bw-bench, bw-synth, bw-geodb, ...) into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/ ./internal/devtools/...

.PHONY: demo-replay
demo-replay: build ## replay the sample capture on the embedded defaults (README's first command)
	$(BIN)/borderwatch replay testdata/sample/scan-inbound.pcap

.PHONY: test
test: ## run all tests (privileged ones run when root, skip otherwise)
	$(GO) test -count=1 $(PKGS)

.PHONY: test-race
test-race: ## run the tests with the race detector
	$(GO) test -race -count=1 $(PKGS)

.PHONY: bench
bench: ## performance table (scripts/bench.sh; raw results in bench-results/)
	scripts/bench.sh

.PHONY: bench-smoke
bench-smoke: ## run every benchmark once (keeps them compiling and running)
	$(GO) test -short -run '^$$' -bench . -benchtime=1x $(PKGS)

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
lint: ## gofmt, go mod tidy -diff, go vet and staticcheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	@$(GO) mod tidy -diff || { echo "go.mod/go.sum not tidy: run go mod tidy"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) tool staticcheck $(PKGS)

.PHONY: clean
clean: ## remove build output
	rm -rf $(BIN)

.PHONY: deps
deps: ## install test dependencies (Debian packages when root, Go modules)
	scripts/install-deps.sh

.PHONY: check
check: deps lint test bench-smoke check-generate e2e ## everything CI runs: deps, lint, tests, benchmark smoke, BPF freshness, lab end to end

PREFIX    ?= /usr/local
DESTDIR   ?=
UNITDIR   ?= /etc/systemd/system

.PHONY: install
install: build ## install binary, systemd unit, example config (copy it to /etc/borderwatch/borderwatch.yaml), logrotate snippet
	install -D -m 0755 $(BIN)/borderwatch $(DESTDIR)$(PREFIX)/bin/borderwatch
	install -D -m 0644 deploy/borderwatch.service $(DESTDIR)$(UNITDIR)/borderwatch.service
	sed -i 's|/usr/local/bin/borderwatch|$(PREFIX)/bin/borderwatch|' $(DESTDIR)$(UNITDIR)/borderwatch.service
	install -D -m 0644 deploy/borderwatch.example.yaml $(DESTDIR)/etc/borderwatch/borderwatch.example.yaml
	install -D -m 0644 deploy/borderwatch.logrotate $(DESTDIR)/etc/logrotate.d/borderwatch
	install -d -m 0750 $(DESTDIR)/var/log/borderwatch

.PHONY: e2e
e2e: ## end-to-end lab: namespaces, real attack tools and services, the sensor on a gateway (root)
	BWL_E2E=1 $(GO) test ./scripts/lab -run E2E -count=1 -v -timeout 15m; rc=$$?; \
	if [ "$$(id -u)" -eq 0 ]; then BWL_STATE=/tmp/bwl-e2e scripts/lab/lab.sh down >/dev/null 2>&1 || true; fi; exit $$rc

.PHONY: demo
demo: ## build the lab, run a short attack sequence showing the alerts live, print per-country counters (root)
	scripts/lab/demo.sh
