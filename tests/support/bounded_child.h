#pragma once
// Runs a piece of a test in a forked child, under a memory limit and a deadline, so that a
// regression to a runaway (memory without end, a read that never returns) fails that one test
// instead of swapping the machine or hanging the suite:
//
//   const ChildOutcome r = run_bounded([] { return load_config_string(",", "c.yaml").error_text(); },
//                                      512 << 20, std::chrono::seconds(10));
//   ASSERT_TRUE(r.exited()) << r.describe();
//   EXPECT_THAT(r.output, HasSubstr("YAML syntax"));
//
// The child runs only `body` (fork() copies the calling thread alone), writes what it returns to
// the parent and exits 0.

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

namespace budgetd::test {

struct ChildOutcome {
  enum class How { kExited, kSignalled, kTimedOut };
  How how = How::kExited;
  int code = 0;        // the exit code, or the signal
  std::string output;  // what body returned (empty unless it returned)

  bool exited() const { return how == How::kExited && code == 0; }
  std::string describe() const;
};

// `max_address_space` bytes of address space (RLIMIT_AS) for the child, and `timeout` for all of
// it. Under AddressSanitizer or ThreadSanitizer, which reserve terabytes of address space, no
// memory limit is set (tests that need one check address_space_limit_works()).
ChildOutcome run_bounded(const std::function<std::string()>& body, uint64_t max_address_space,
                         std::chrono::milliseconds timeout);

bool address_space_limit_works();

}  // namespace budgetd::test
