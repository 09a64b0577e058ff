#!/usr/bin/env bash
# Installs every Debian package budgetd's build, tests and benchmarks need.
# Idempotent: packages already present are skipped, so a second run does no apt work.
# Runs apt-get as root, or through sudo otherwise.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config git curl ca-certificates
  libboost1.81-dev           # Asio + Beast (header-only parts)
  libsimdjson-dev            # ingest hot path
  nlohmann-json3-dev         # API and config answers
  libspdlog-dev libfmt-dev   # structured logs
  libyaml-cpp-dev            # config
  libssl-dev                 # SHA-256 of bearer tokens (libcrypto)
  libhowardhinnant-date-dev tzdata   # calendar windows in IANA time zones
  libgtest-dev libgmock-dev googletest
  libbenchmark-dev
  prometheus-alertmanager    # alert integration test talks to the real Alertmanager
  prometheus                 # promtool check metrics + live scrape test
  python3                    # tests/packaging/check_packaging.py
  faketime                   # tests/readme: README examples run against budgetd on a frozen clock (libfaketime)
  jq                         # README examples that show part of an answer select it with jq
  clang-14 libclang-rt-14-dev  # libFuzzer + ASan/UBSan runtimes: the harnesses of tests/fuzz (make fuzz, make test)
  libjs-chart.js             # the dashboard's charts (Chart.js 3.9.1), embedded into the binary at build time
  chromium chromium-driver   # tests/dashboard: the dashboard in Debian's headless Chromium, through chromedriver
  python3-selenium           # tests/dashboard drives that Chromium (WebDriver)
  redis-server redis-sentinel  # the cluster's shared log (Redis Streams), Sentinel failover; started by the cluster tests
  libhiredis-dev             # the cluster's Redis client
  libprotobuf-dev protobuf-compiler  # inputs: OTLP/HTTP and remote_write protobuf bodies (protoc-generated from proto/)
  libsnappy-dev              # inputs: remote_write bodies are snappy (block format) compressed
  libre2-dev                 # inputs: Prometheus label matchers =~ and !~ with RE2 semantics, as Prometheus uses
  zlib1g-dev                 # inputs: OTLP/HTTP Content-Encoding: gzip
  nodejs                     # tests/otel: the OpenTelemetry JS SDK (its npm comes with the nodejs package here)
  wrk                        # bench/e2e.py: an independent HTTP client posting the load tool's own batch body
)

# tests/otel: the OpenTelemetry JS SDK at the versions its checked-in package-lock.json pins.
# npm ci only when node_modules is older than the lockfile (npm ci writes
# node_modules/.package-lock.json), so a second run does no network work.
install_otel_sdk() {
  local dir
  dir="$(cd "$(dirname "$0")/.." && pwd)/tests/otel"
  [ -f "$dir/package-lock.json" ] || return 0
  if [ -f "$dir/node_modules/.package-lock.json" ] && [ "$dir/node_modules/.package-lock.json" -nt "$dir/package-lock.json" ]; then
    echo "deps: tests/otel node_modules matches its lockfile"
    return 0
  fi
  echo "deps: npm ci in tests/otel"
  (cd "$dir" && npm ci --no-audit --no-fund --ignore-scripts)
}

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "deps: all ${#packages[@]} packages present"
  install_otel_sdk
  exit 0
fi

if [ "$(id -u)" -eq 0 ]; then sudo=(); else sudo=(sudo); fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when a package cannot be found in the cached ones.
if ! "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"; then
  "${sudo[@]}" apt-get update
  "${sudo[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

install_otel_sdk
