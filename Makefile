# The two commands of the README: `make run` and `make test`. Both install what is missing,
# configure and build first, so they work on a fresh Debian 12 machine.

BUILD_DIR   ?= build
TSAN_DIR    ?= build-tsan
BENCH_DIR   ?= build-release
FUZZ_DIR    ?= build-fuzz
FUZZ_SECONDS ?= 60
# make test's short run of every fuzzer: its corpus plus a little new input
FUZZ_SMOKE_SECONDS ?= 3
CONFIG      ?= config/budgetd.yaml
JOBS        ?= 2
CMAKE_FLAGS ?=

# x86-64-v3 (AVX2) builds parse faster; build for it only where this machine can run it.
X86_64_V3   ?= $(shell grep -qw avx2 /proc/cpuinfo 2>/dev/null && grep -qw bmi2 /proc/cpuinfo && echo ON || echo OFF)

# Test builds keep assert() on (RelWithDebInfo without -DNDEBUG): a broken invariant fails a test.
TEST_FLAGS   = -DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O2 -g"

# ccache keys on paths relative to the checkout, so a second clone (CI's, or a fresh-clone check)
# reuses the objects of the first instead of compiling everything again.
export CCACHE_BASEDIR  := $(CURDIR)
export CCACHE_NOHASHDIR := 1

CMAKE_COMMON = -G Ninja -DCMAKE_CXX_COMPILER_LAUNCHER=ccache -DBUDGETD_X86_64_V3=$(X86_64_V3)

.PHONY: deps build run test test-tsan fuzz fuzz-build fuzz-smoke bench clean format

deps:
	@./scripts/deps.sh

$(BUILD_DIR)/build.ninja: | deps
	cmake -S . -B $(BUILD_DIR) $(CMAKE_COMMON) $(TEST_FLAGS) $(CMAKE_FLAGS)

build: deps $(BUILD_DIR)/build.ninja
	cmake --build $(BUILD_DIR) -j $(JOBS)

run: build
	mkdir -p data
	./$(BUILD_DIR)/src/budgetd serve --config $(CONFIG)

test: build test-tsan fuzz-smoke
	cd $(BUILD_DIR) && ctest --output-on-failure -j $(JOBS) --timeout 600

# Under ThreadSanitizer: the store's concurrency stress test (scaled up), the server's
# integration tests, the alerting tests (evaluator, notifier and server threads together), the
# gate tests (decisions committed from the ingest executor after the answer) and the cluster
# tests (the replication log's publisher and tailers, the lease and heartbeats, beside the
# server's threads), and the inputs tests (OTLP and remote_write requests on the ingest executor,
# the counter ledger's lock).
test-tsan: deps
	cmake -S . -B $(TSAN_DIR) $(CMAKE_COMMON) $(TEST_FLAGS) -DBUDGETD_TSAN=ON -DBUDGETD_BENCH=OFF
	cmake --build $(TSAN_DIR) -j $(JOBS) --target store_stress_test integration_tests alerting_tests deploys_tests gate_tests cluster_tests cluster_ops_tests inputs_tests episodes_tests
	cd $(TSAN_DIR) && BUDGETD_STRESS_SCALE=5 TSAN_OPTIONS=halt_on_error=1 ctest --output-on-failure -L 'stress|integration|cluster|inputs' -E '^Cli' --timeout 600

# libFuzzer harnesses (tests/fuzz/README.md): Debian's clang, every library instrumented with
# -fsanitize=fuzzer-no-link,address,undefined, in a build dir of their own.
fuzz-build: deps
	cmake -S . -B $(FUZZ_DIR) $(CMAKE_COMMON) -DCMAKE_CXX_COMPILER=clang++-14 -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	  "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g" -DBUDGETD_FUZZ=ON -DBUDGETD_TESTS=OFF -DBUDGETD_BENCH=OFF
	cmake --build $(FUZZ_DIR) -j $(JOBS) --target fuzzers

# Each harness for FUZZ_SECONDS (make fuzz FUZZ_SECONDS=600 for a longer hunt).
fuzz: fuzz-build
	./tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS)

# What make test runs: every harness over its corpus plus a few seconds of new input, so the
# harnesses keep building and a crash they find fails the test.
fuzz-smoke: fuzz-build
	./tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SMOKE_SECONDS)

bench: deps
	cmake -S . -B $(BENCH_DIR) $(CMAKE_COMMON) -DCMAKE_BUILD_TYPE=Release -DBUDGETD_TESTS=OFF
	cmake --build $(BENCH_DIR) -j $(JOBS)
	./bench/run.sh $(BENCH_DIR)

format:
	git ls-files '*.cpp' '*.h' | xargs clang-format -i

clean:
	rm -rf $(BUILD_DIR) $(TSAN_DIR) $(BENCH_DIR) $(FUZZ_DIR)
