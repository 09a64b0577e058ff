#!/usr/bin/env bash
# Runs every libFuzzer harness of tests/fuzz for SECONDS each, from its checked-in seed corpus
# (tests/fuzz/corpus/<harness>/) plus what earlier runs found (BUILD/fuzz-corpus/<harness>/, where
# new inputs go; the checked-in corpus is never written). Prints one line per harness with its
# executions per second. Exits 1 if any harness crashed, broke a promise it checks, leaked, hung
# (10 s on one input) or ran out of memory (2 GiB); the input that did it is kept in
# BUILD/fuzz-artifacts/<harness>/ and the harness's log in BUILD/fuzz-logs/<harness>.log.
#
# Usage: tests/fuzz/run.sh BUILD_DIR SECONDS
set -uo pipefail
build=$1
seconds=$2
src=$(cd "$(dirname "$0")" && pwd)
failed=()
for seeds in "$src"/corpus/*/; do
  name=$(basename "$seeds")
  bin="$build/tests/fuzz/fuzz_$name"
  work="$build/fuzz-corpus/$name"
  artifacts="$build/fuzz-artifacts/$name"
  log="$build/fuzz-logs/$name.log"
  mkdir -p "$work" "$artifacts" "$(dirname "$log")"
  if [ ! -x "$bin" ]; then
    echo "fuzz: $name: no harness at $bin"
    failed+=("$name")
    continue
  fi
  # -close_fd_mask=2: the harness's own stderr (budgetd's log lines) is dropped; libFuzzer's
  # report of a crash still reaches the log.
  if "$bin" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -close_fd_mask=2 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$work" "$seeds" >"$log" 2>&1; then
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    echo "fuzz: $name: ok, ${runs:-?} runs in ${seconds}s (${rate:-?}/s), ${cov:-cov: ?}"
  else
    echo "fuzz: $name: FAILED (log: $log; input: $artifacts/)"
    grep -E 'ERROR|broken promise|SUMMARY|Test unit written' "$log" | head -8 | sed 's/^/  /'
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: failed: ${failed[*]}"
  exit 1
fi
