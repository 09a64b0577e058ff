#pragma once
// An in-process budgetd on a loopback port, on simulated time, for integration tests.
//
//   TestDaemon d(R"(slos: [...])");          // YAML; server.listen defaults to 127.0.0.1:0
//   HttpClient c(d.port());
//   d.clock().advance(std::chrono::minutes(5));

#include <memory>
#include <string>

#include "budgetd/config/loader.h"
#include "budgetd/core/clock.h"
#include "budgetd/daemon/daemon.h"

namespace budgetd::test {

// 2026-11-24T10:00:00Z: a fixed, bucket-aligned start for simulated time.
inline constexpr int64_t kT0Ms = 1795514400000;
inline Timestamp t0() { return from_unix_ms(kT0Ms); }

// Loads YAML that must be valid; fails the test (and aborts) otherwise.
config::Config parse_config(const std::string& yaml);

class TestDaemon {
 public:
  explicit TestDaemon(const std::string& yaml, Timestamp start = t0());
  ~TestDaemon();

  uint16_t port() const { return daemon_->port(); }
  ManualClock& clock() { return clock_; }
  Daemon& daemon() { return *daemon_; }

 private:
  ManualClock clock_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace budgetd::test
