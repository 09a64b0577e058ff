#!/usr/bin/env bash
# Runs the micro-benchmarks from a Release build tree and prints their table.
# Usage: bench/run.sh BUILD_DIR [extra google-benchmark flags]
set -euo pipefail
build=${1:-build-release}
shift || true
echo "machine: $(nproc) cores, $(lscpu | sed -n 's/^Model name: *//p'), $(date -u +%Y-%m-%d)"
"$build/bench/budgetd_micro_bench" --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
  --benchmark_counters_tabular=true "$@"
