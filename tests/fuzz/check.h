#pragma once
// What a harness checks beyond crashes: a broken promise aborts, and libFuzzer keeps the input.
// The message goes to stdout: run.sh closes the harness's stderr (budgetd's own log lines).

#include <cstdio>
#include <cstdlib>

namespace budgetd::fuzz {

inline void check(bool ok, const char* promise) {
  if (ok) return;
  std::printf("broken promise: %s\n", promise);
  std::fflush(stdout);
  std::abort();
}

}  // namespace budgetd::fuzz
