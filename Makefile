# Gyre — developer commands. `make demo` runs the server, `make test` runs the tests.
GO        ?= go
BIN       := bin/gyre
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -X github.com/gyrehq/gyre/server.Version=$(VERSION)
PKGS      := ./...

.PHONY: all build demo demo-server test test-browser test-short vet fmt-check docs fuzz-short bench-go clean

all: build

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/gyre

## demo: the chat example (examples/chat): Gyre on the memory engine with the Go bridge in-process,
## the web page and /login in one command; prints the URL (runs npm ci in examples/chat once)
demo:
	@GO="$(GO)" scripts/demo.sh chat

## demo-server: the plain server on the embedded (memory) engine with examples/config.json
demo-server: build
	@scripts/demo.sh server $(BIN) examples/config.json

## test: everything CI runs: formatting, vet, race tests, docs in step, short fuzzing, the browser test
test: fmt-check vet
	@GO="$(GO)" scripts/gotest.sh -race -count=1 -timeout 10m $(PKGS)
	@# Race builds make socket calls through package syscall (internal/rawsock/sys_race.go): run the
	@# packages that use the raw calls once more without -race, so the production path is tested too.
	@GO="$(GO)" scripts/gotest.sh -count=1 -timeout 5m ./internal/rawsock/ ./internal/ws/ ./internal/netpoll/ ./test/e2e/
	@$(MAKE) --no-print-directory fuzz-short
	@$(MAKE) --no-print-directory test-browser

## test-browser: examples/chat in two headless Chromium pages (playwright-core, Debian's chromium; npm ci
## when node_modules is missing). Skips with the reason when Node.js or Chromium is missing, unless
## GYRE_REQUIRE_SERVICES is set.
test-browser:
	@GO="$(GO)" test/browser/run.sh

test-short:
	$(GO) test -count=1 -short $(PKGS)

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi

## docs: regenerate docs/config.md from the config structs
docs:
	$(GO) test ./config -run TestDocs -update

## fuzz-short: run every fuzz target briefly (FUZZTIME each)
FUZZTIME ?= 5s
fuzz-short:
	@scripts/fuzz.sh $(FUZZTIME)

## bench-go: in-package Go benchmarks (fan-out encoding, broker, writer)
bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./node/ ./broker/memory/ ./internal/ws/

## proto: regenerate bridge/apipb and bridge/proxypb from proto/ (needs protoc 3.21.x)
.PHONY: proto proto-check
proto:
	@scripts/proto.sh generate

## proto-check: fail when the committed generated protobuf code is stale
proto-check:
	@scripts/proto.sh check

clean:
	rm -rf bin

## bench / bench-quick: Gyre vs the centrifuge-based reference side by side (bench/, docs/benchmarks.md).
## Servers pinned to CPU 0, the generator to CPU 1. bench: every scenario (<15 min); bench-quick: idle,
## handshake, fanout 1k (+ramp), channels with small N (<4 min). BENCH_ARGS passes flags (-only, -rounds).
.PHONY: bench bench-quick
bench bench-quick:
	$(GO) build -ldflags "$(LDFLAGS)" -o bench/bin/gyre ./cmd/gyre
	cd bench && $(GO) build -o bin/gyrebench ./cmd/gyrebench && $(GO) build -o bin/reference ./reference
	$$(command -v taskset >/dev/null && echo taskset -c 1) bench/bin/gyrebench $(if $(filter bench-quick,$@),-quick) $(BENCH_ARGS)

## soak: reliability soak against Gyre only (docs/reliability.md): steady connections, fan-out, churn with
## abrupt closes and slow readers for 10 min, samples RSS/goroutines/fds every 10 s, then checks they return
## to baseline. Not part of CI. SOAK_ARGS passes flags (e.g. -soak-duration 2m).
.PHONY: soak
soak:
	$(GO) build -ldflags "$(LDFLAGS)" -o bench/bin/gyre ./cmd/gyre
	cd bench && $(GO) build -o bin/gyrebench ./cmd/gyrebench
	$$(command -v taskset >/dev/null && echo taskset -c 1) bench/bin/gyrebench -only soak $(SOAK_ARGS)
