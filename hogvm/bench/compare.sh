#!/usr/bin/env sh
# Runs the benchmark programs through this VM (go test -bench BenchmarkPrograms)
# and through the reference TypeScript VM on Node (bench/run.js), side by side,
# and prints per-program times and the Node/Go ratio. Needs ./setup.sh first.
# CPU time per op is compared (wall time is printed too) because the machines
# this runs on are often shared.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d bench/node_modules/@posthog/hogvm ]; then
  echo "run bench/setup.sh first" >&2
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HOGVM_BENCH_FIXTURES=$dir go test -count=1 -run TestWriteBenchFixtures . >/dev/null
programs="mandelbrot printLoops printLoops2 stl json arrays strings fib20 geoip"
go test -count=1 -run XXX -bench BenchmarkPrograms -benchtime "${BENCHTIME:-300x}" . > "$dir/go.txt"
# shellcheck disable=SC2086
node bench/run.js bench "$dir" $programs --iterations "${NODE_ITERATIONS:-1000}" > "$dir/node.txt"
awk '
  FNR == NR { node_wall[$1] = $2; node_cpu[$1] = $3; next }
  /^BenchmarkPrograms\// {
    split($1, parts, "/"); name = parts[2]; sub(/-[0-9]+$/, "", name)
    for (i = 1; i <= NF; i++) { if ($(i+1) == "ns/op") wall = $i; if ($(i+1) == "cpu-ns/op") cpu = $i; if ($(i+1) == "allocs/op") allocs = $i }
    go_wall[name] = wall; go_cpu[name] = cpu; go_allocs[name] = allocs; order[++n] = name
  }
  END {
    printf "%-12s %14s %14s %14s %14s %8s %10s\n", "program", "go cpu µs/op", "node cpu µs/op", "go wall µs/op", "node wall µs/op", "ratio", "go allocs"
    for (i = 1; i <= n; i++) {
      k = order[i]
      if (!(k in node_cpu)) continue
      printf "%-12s %14.1f %14.1f %14.1f %14.1f %7.1fx %10s\n", k, go_cpu[k]/1000, node_cpu[k]/1000, go_wall[k]/1000, node_wall[k]/1000, node_cpu[k]/go_cpu[k], go_allocs[k]
    }
  }' "$dir/node.txt" "$dir/go.txt"
