#pragma once
// An in-process budgetd on a loopback port, on simulated time, for integration tests.
//
//   TestDaemon d(R"(slos: [...])");          // YAML; listens on 127.0.0.1:0, stores in a temp dir
//   HttpClient c(d.port());
//   d.clock().advance(std::chrono::minutes(5));
//   d.restart();                             // stop, then start again on the same storage dir

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "budgetd/config/loader.h"
#include "budgetd/core/clock.h"
#include "budgetd/daemon/daemon.h"
#include "budgetd/durable/env.h"

namespace budgetd::test {

// 2026-11-24T10:00:00Z: a fixed, bucket-aligned start for simulated time.
inline constexpr int64_t kT0Ms = 1795514400000;
inline Timestamp t0() { return from_unix_ms(kT0Ms); }

// A fresh directory under the system temp dir, removed on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Loads YAML that must be valid; fails the test (and aborts) otherwise. Adds server.listen
// 127.0.0.1:0 and storage.dir `dir` unless the YAML sets them.
config::Config parse_config(const std::string& yaml, const std::string& dir = "");
// The YAML with those defaults added.
std::string complete_yaml(const std::string& yaml, const std::string& dir);

class TestDaemon {
 public:
  // Runs on each new Daemon before its start(), e.g. to add_state().
  using BeforeStart = std::function<void(Daemon&)>;

  explicit TestDaemon(const std::string& yaml, Timestamp start = t0(), durable::Env* env = nullptr,
                      BeforeStart before_start = {});
  ~TestDaemon();

  uint16_t port() const { return daemon_->port(); }
  ManualClock& clock() { return clock_; }
  Daemon& daemon() { return *daemon_; }
  const std::string& dir() const { return dir_.path(); }
  // Stops the daemon (drain, final snapshot) and starts a new one on the same storage dir,
  // optionally with another config.
  void restart(const std::string& yaml = "");
  // Rewrites the config file the daemon reloads from (POST /-/reload, SIGHUP).
  void write_config(const std::string& yaml);
  std::string config_path() const { return dir_.path() + "/budgetd.yaml"; }

 private:
  void start();

  ManualClock clock_;
  TempDir dir_;
  std::string yaml_;
  durable::Env* env_;
  BeforeStart before_start_;
  std::unique_ptr<Daemon> daemon_;
};

}  // namespace budgetd::test
