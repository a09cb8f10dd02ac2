# hoggo: every target works from a fresh clone. `make help` lists them.
SHELL := /bin/bash
GO ?= go
MODULES := $(shell $(GO) list -m -f '{{.Dir}}' 2>/dev/null)
STATICCHECK_VERSION ?= v0.8.2
BIN := $(CURDIR)/bin
# Per-package test timeout; the whole suite must stay well under CI's budget.
TEST_FLAGS ?= -race -timeout 15m
SERVICES := capture feature-flags cymbal property-defs batch-import-worker kafka-deduplicator \
	cyclotron-janitor cyclotron-fetch hogvm hook-api hook-worker hook-janitor migrate

.DEFAULT_GOAL := help

.PHONY: help
help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

.PHONY: services
services: ## check that Postgres and Redis answer (starts the local ones if installed but down)
	@./scripts/ensure-services.sh

.PHONY: dev
dev: services ## run every service in one process on embedded defaults (Ctrl-C stops it)
	$(GO) run ./devstack/cmd/devstack

.PHONY: test
test: services ## go vet + go test -race across the workspace (needs Postgres and Redis)
	$(GO) vet work
	$(GO) test $(TEST_FLAGS) work

.PHONY: lint
lint: ## gofmt, go vet and staticcheck on every module
	@out=$$(gofmt -l $(MODULES)); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet work
	@test -x $(BIN)/staticcheck || GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	@set -e; for d in $(MODULES); do echo "staticcheck $$d"; (cd $$d && $(BIN)/staticcheck ./...); done

.PHONY: bench
bench: services ## run every testing.B benchmark once (figures go to BENCHMARKS.md by hand)
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1s work

.PHONY: migrate
migrate: services ## apply every database's migrations at DATABASE_URL
	$(GO) run ./migrations/cmd/migrate up --db all

.PHONY: build
build: ## build every binary into ./bin
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./capture/cmd/... ./feature-flags/cmd/... ./cymbal/cmd/... ./property-defs/cmd/... \
		./batch-import-worker/cmd/... ./kafka-deduplicator/cmd/... ./cyclotron/cmd/... ./hogvm/cmd/... \
		./hooks/cmd/... ./migrations/cmd/... ./devstack/cmd/...

.PHONY: images
images: ## build one container image per service (needs a Docker engine)
	@set -e; for s in $(SERVICES); do docker build --build-arg SERVICE=$$s -t hoggo/$$s:dev .; done

.PHONY: up
up: ## docker compose up: Kafka, Postgres, Redis, MinIO and every service
	docker compose up -d --build

.PHONY: down
down: ## docker compose down
	docker compose down

.PHONY: tidy
tidy: ## go mod tidy in every module
	@set -e; for d in $(MODULES); do (cd $$d && $(GO) mod tidy); done
