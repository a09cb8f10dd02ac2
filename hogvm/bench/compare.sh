#!/usr/bin/env sh
# Runs the benchmark programs through this VM (go test -bench BenchmarkPrograms)
# and through the reference TypeScript VM on Node (bench/run.js), side by side,
# and prints per-program times and the Node/Go ratio. Needs ./setup.sh first.
#
# The two runners alternate for ROUNDS rounds and the best (minimum) CPU time
# per op of each is kept: on a shared machine the least-disturbed run is the
# most faithful figure. Wall time of the best round is printed too.
set -eu
cd "$(dirname "$0")/.."
if [ ! -d bench/node_modules/@posthog/hogvm ]; then
  echo "run bench/setup.sh first" >&2
  exit 1
fi
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
HOGVM_BENCH_FIXTURES=$dir go test -count=1 -run TestWriteBenchFixtures . >/dev/null
go test -c -o "$dir/hogvm.test" .
programs="mandelbrot printLoops printLoops2 stl json arrays strings fib20 geoip"
rounds=${ROUNDS:-5}
r=0
while [ "$r" -lt "$rounds" ]; do
  "$dir/hogvm.test" -test.run XXX -test.bench BenchmarkPrograms -test.benchtime "${BENCHTIME:-100x}" >> "$dir/go.txt"
  # shellcheck disable=SC2086
  node bench/run.js bench "$dir" $programs --iterations "${NODE_ITERATIONS:-300}" >> "$dir/node.txt"
  r=$((r + 1))
done
awk '
  FNR == NR {
    if (!($1 in node_cpu) || $3 < node_cpu[$1]) { node_cpu[$1] = $3; node_wall[$1] = $2 }
    next
  }
  /^BenchmarkPrograms\// {
    split($1, parts, "/"); name = parts[2]; sub(/-[0-9]+$/, "", name)
    for (i = 1; i <= NF; i++) { if ($(i+1) == "ns/op") wall = $i; if ($(i+1) == "cpu-ns/op") cpu = $i; if ($(i+1) == "allocs/op") allocs = $i }
    if (!(name in go_cpu)) order[++n] = name
    if (!(name in go_cpu) || cpu < go_cpu[name]) { go_cpu[name] = cpu; go_wall[name] = wall; go_allocs[name] = allocs }
  }
  END {
    printf "%-12s %14s %15s %14s %15s %8s %10s\n", "program", "go cpu µs/op", "node cpu µs/op", "go wall µs/op", "node wall µs/op", "ratio", "go allocs"
    for (i = 1; i <= n; i++) {
      k = order[i]
      if (!(k in node_cpu)) continue
      printf "%-12s %14.1f %15.1f %14.1f %15.1f %7.1fx %10s\n", k, go_cpu[k]/1000, node_cpu[k]/1000, go_wall[k]/1000, node_wall[k]/1000, node_cpu[k]/go_cpu[k], go_allocs[k]
    }
  }' "$dir/node.txt" "$dir/go.txt"
