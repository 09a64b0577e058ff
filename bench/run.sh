#!/usr/bin/env bash
# Runs the benchmarks from a Release build tree and prints their figures.
# Usage: bench/run.sh BUILD_DIR [extra google-benchmark flags]
set -euo pipefail
build=${1:-build-release}
shift || true
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d)"
echo
echo "== micro-benchmarks (median of 3 repetitions)"
"$build/bench/budgetd_micro_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_counters_tabular=true "$@" 2>/dev/null | grep -E '^(Benchmark|-+$|.*_median)'
echo
echo "== history: GET /v1/slos/{name}/history, 30d at 1h steps (median of 5 repetitions)"
"$build/bench/budgetd_history_bench" --benchmark_repetitions=5 --benchmark_report_aggregates_only=true \
  --benchmark_counters_tabular=true 2>/dev/null | grep -E '^(Benchmark|-+$|.*_median)'
echo
echo "== recovery: 1,000 SLOs with full 30d rings + a 1 GiB log (median of 3 recoveries)"
"$build/bench/budgetd_recovery_bench" --slos 1000 --log-mb 1024 --runs 3 2>/dev/null
echo
echo "== start-up after a torn 8 MiB record (median of 5 replays)"
"$build/bench/budgetd_torn_tail_bench" --record-mb 8 --runs 5 2>/dev/null
echo
echo "== inputs: OTLP spans/s and remote_write samples/s beside native JSON, one core (median of 3 repetitions)"
"$build/bench/budgetd_inputs_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_counters_tabular=true 2>/dev/null | grep -E '^(Benchmark|-+$|.*_median)'
echo
echo "== end-to-end: budgetd + budgetd-loadgen on this machine (medians of 3 runs)"
python3 "$(dirname "$0")/e2e.py" "$build" --runs 3
echo
echo "== replication: three replicas on one Redis against one embedded node (medians of 3 runs)"
python3 "$(dirname "$0")/cluster_bench.py" "$build" --runs 3
