#!/usr/bin/env bash
# Two budgetd binaries in turn under single-event requests, for a before/after figure whose two
# sides share one machine and one noisy hour (bench/RESULTS.md).
# Usage: bench/ab_single_events.sh LOADGEN BUDGETD_A BUDGETD_B [ROUNDS=5] [loadgen flags...]
# Each round starts each binary on a fresh data dir and a 100-SLO config that LOADGEN writes,
# then runs LOADGEN --connections 8 --batch 1 --duration 5 --slos 100 against it.
set -euo pipefail
loadgen=$1 a=$2 b=$3 rounds=${4:-5}
shift $(($# < 4 ? $# : 4))
port=18181
for round in $(seq 1 "$rounds"); do
  for bin in "$a" "$b"; do
    dir=$(mktemp -d /tmp/budgetd-ab.XXXXXX)
    "$loadgen" --write-config "$dir/budgetd.yaml" --slos 100 --port $port --fsync interval --data "$dir/store" >/dev/null
    "$bin" serve --config "$dir/budgetd.yaml" >/dev/null 2>&1 &
    pid=$!
    for _ in $(seq 1 500); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.02; done
    rate=$("$loadgen" --port $port --connections 8 --batch 1 --duration 5 --slos 100 "$@" 2>/dev/null |
      python3 -c 'import json, sys; print(round(json.load(sys.stdin)["requests_per_s"]))')
    echo "round $round  $bin  $rate requests/s"
    kill "$pid"
    wait "$pid" 2>/dev/null || true
    rm -rf "$dir"
  done
done
