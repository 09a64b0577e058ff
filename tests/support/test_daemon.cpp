#include "test_daemon.h"

#include <unistd.h>

#include <atomic>

#include <gtest/gtest.h>

namespace budgetd::test {

TempDir::TempDir() {
  static std::atomic<int> n{0};
  path_ = (std::filesystem::temp_directory_path() /
           ("budgetd-test-" + std::to_string(getpid()) + "-" + std::to_string(n.fetch_add(1))))
              .string();
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

config::Config parse_config(const std::string& yaml, const std::string& dir) {
  std::string full = yaml;
  if (full.find("server:") == std::string::npos) full = "server: {listen: \"127.0.0.1:0\", threads: 2}\n" + full;
  if (!dir.empty() && full.find("storage:") == std::string::npos) full = "storage: {dir: \"" + dir + "\"}\n" + full;
  config::LoadResult r = config::load_config_string(full, "test.yaml");
  if (!r.ok()) {
    ADD_FAILURE() << "test config does not load:\n" << r.error_text();
    std::abort();
  }
  return std::move(*r.config);
}

TestDaemon::TestDaemon(const std::string& yaml, Timestamp start, durable::Env* env)
    : clock_(start), yaml_(yaml), env_(env) {
  this->start();
}

TestDaemon::~TestDaemon() { daemon_->stop(); }

void TestDaemon::start() {
  daemon_ = std::make_unique<Daemon>(parse_config(yaml_, dir_.path()), clock_, env_ ? *env_ : durable::Env::posix());
  const Status s = daemon_->start();
  if (!s.ok()) {
    ADD_FAILURE() << "daemon did not start: " << s.message();
    std::abort();
  }
}

void TestDaemon::restart(const std::string& yaml) {
  daemon_->stop();
  daemon_.reset();
  if (!yaml.empty()) yaml_ = yaml;
  start();
}

}  // namespace budgetd::test
