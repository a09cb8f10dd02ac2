#!/usr/bin/env bash
# Builds capture and runs the loopback load benchmark (see main.go).
# Usage: bash bench/run.sh [-duration 10s] [-rate 2000] [-workers 32]
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(mktemp -d)/capture"
go build -o "$bin" ./cmd/capture
go run ./bench -capture "$bin" "$@"
