# Shardline. `make test` is what CI runs (.ci/run); it needs mariadbd
# (tests start real servers through internal/mariadbtest).
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO ?= go

# Go files to format-check: everything but VCS, demo/bench state and testdata.
GOFILES = $(shell find . -name '*.go' -not -path './.git/*' -not -path './.demo/*' \
	-not -path './.bench/*' -not -path '*/testdata/*')

# Linters run from the Go module proxy at pinned versions, so a fresh machine
# needs nothing but Go. STATICCHECK_VERSION v0.8.2 is staticcheck 2026.2.2.
STATICCHECK_VERSION ?= v0.8.2
GOIMPORTS_VERSION ?= v0.53.0
MODULE = github.com/shardline/shardline

.PHONY: build test lint fuzz-short fmt-check imports-check vet tidy-check staticcheck chaos bench demo demo-down demo-clean

## build: binaries into bin/ (shardline, shardctl, mariadbctl)
build:
	@mkdir -p bin
	$(GO) build -o bin/ $(if $(wildcard cmd/*/*.go),./cmd/...) ./internal/mariadbtest/cmd/mariadbctl

## test: the lint checks, then every test against real MariaDB servers
test: lint
	$(GO) test -count=1 -timeout 25m ./...
	$(MAKE) fuzz-short

## fuzz-short: a few seconds of each fuzz target (the seed corpora also run in `go test`)
FUZZTIME ?= 5s
fuzz-short:
	$(GO) test -run XXX -fuzz '^FuzzPlan$$' -fuzztime $(FUZZTIME) ./router/
	$(GO) test -run XXX -fuzz '^FuzzAdminJSON$$' -fuzztime $(FUZZTIME) ./admin/
	$(GO) test -run XXX -fuzz '^FuzzHandshake$$' -fuzztime $(FUZZTIME) ./proxy/
	$(GO) test -run XXX -fuzz '^FuzzCommand$$' -fuzztime $(FUZZTIME) ./proxy/

## lint: gofmt, goimports grouping, go vet, go mod tidy and staticcheck
lint: fmt-check imports-check vet tidy-check staticcheck

fmt-check:
	@out=$$(gofmt -l $(GOFILES)); \
	if [ -n "$$out" ]; then echo "gofmt: these files need formatting (run gofmt -w):"; echo "$$out"; exit 1; fi

## imports-check: imports grouped as stdlib, third-party, then $(MODULE)
imports-check:
	@out=$$($(GO) run golang.org/x/tools/cmd/goimports@$(GOIMPORTS_VERSION) -local $(MODULE) -l $(GOFILES)); \
	if [ -n "$$out" ]; then echo "goimports: these files need their imports grouped (run goimports -local $(MODULE) -w):"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...

## tidy-check: fails when go.mod or go.sum differ from what go mod tidy writes
tidy-check:
	$(GO) mod tidy -diff

staticcheck:
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION) ./...

## chaos: Go tests named TestChaos*, in full (SHARDLINE_CHAOS=1; env CHAOS_DURATION, default 2m; CHAOS_LOGS=dir keeps node logs)
chaos:
	scripts/chaos.sh

## bench: the benchmark suite (sysbench direct/pass-through/sharded, transfers, Raft, Go benchmarks, CPU/RSS) into BENCHMARKS.md (env: DURATION, ROUNDS, THREADS, SECTIONS; see scripts/bench.sh)
bench: build
	scripts/bench.sh

## demo: start the demo cluster (README.md "Quick start"); demo-down stops it; demo-clean also deletes .demo/
demo: build
	scripts/demo.sh up

demo-down:
	scripts/demo.sh down

demo-clean:
	scripts/demo.sh clean
