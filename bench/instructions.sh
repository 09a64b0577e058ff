#!/usr/bin/env bash
# Instructions per call of one function under one micro-benchmark, counted by callgrind: a
# figure that does not move with the machine's load, for before/after comparisons on a shared box.
# Usage: bench/instructions.sh BINARY BENCHMARK_FILTER FUNCTION_SUBSTRING
#   bench/instructions.sh build-release/bench/budgetd_micro_bench '^BM_EvaluateSlo$' 'budgetd::eval::evaluate_slo('
set -euo pipefail
bin=$1 filter=$2 fn=$3
out=$(mktemp /tmp/budgetd-callgrind.XXXXXX)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --benchmark_filter="$filter" --benchmark_min_time=0.05 \
  >/dev/null 2>&1
# In the caller tree, the line under a benchmark's "< BM_...(benchmark::State&) (Nx)" is the
# function it calls N times, with its inclusive instruction count.
callgrind_annotate --inclusive=yes --tree=caller "$out" 2>/dev/null |
  grep -A1 '< .*BM_.*(benchmark::State&) ([0-9,]*x)' | grep -B1 -F "*  " | grep -B1 -F "$fn" | head -1 |
  python3 -c '
import re, sys
m = re.match(r"\s*([\d,]+).*\(([\d,]+)x\)", sys.stdin.read())
if not m:
    sys.exit("no such call under the benchmark")
ir, n = int(m.group(1).replace(",", "")), int(m.group(2).replace(",", ""))
print(f"{ir // n} instructions per call ({n} calls)")'
