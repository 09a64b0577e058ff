#include "test_daemon.h"

#include <unistd.h>

#include <atomic>
#include <fstream>

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

std::string complete_yaml(const std::string& yaml, const std::string& dir) {
  std::string full = yaml;
  if (full.find("server:") == std::string::npos) full = "server: {listen: \"127.0.0.1:0\", threads: 2}\n" + full;
  // Each test daemon stores in its own temp dir, even when the YAML sets other storage keys.
  if (!dir.empty() && full.find("storage:") == std::string::npos) {
    full = "storage: {dir: \"" + dir + "\"}\n" + full;
  } else if (!dir.empty() && full.find("storage: {") != std::string::npos && full.find("dir:") == std::string::npos) {
    full.replace(full.find("storage: {"), 10, "storage: {dir: \"" + dir + "\", ");
  }
  return full;
}

config::Config parse_config(const std::string& yaml, const std::string& dir) {
  config::LoadResult r = config::load_config_string(complete_yaml(yaml, dir), "test.yaml");
  if (!r.ok()) {
    ADD_FAILURE() << "test config does not load:\n" << r.error_text();
    std::abort();
  }
  return std::move(*r.config);
}

TestDaemon::TestDaemon(const std::string& yaml, Timestamp start, durable::Env* env, BeforeStart before_start)
    : clock_(start), yaml_(yaml), env_(env), before_start_(std::move(before_start)) {
  this->start();
}

TestDaemon::~TestDaemon() { daemon_->stop(); }

void TestDaemon::write_config(const std::string& yaml) {
  std::ofstream(config_path(), std::ios::trunc) << complete_yaml(yaml, dir_.path());
}

void TestDaemon::start() {
  write_config(yaml_);
  config::LoadResult r = config::load_config_file(config_path());
  if (!r.ok()) {
    ADD_FAILURE() << "test config does not load:\n" << r.error_text();
    std::abort();
  }
  daemon_ = std::make_unique<Daemon>(std::move(*r.config), clock_, env_ ? *env_ : durable::Env::posix());
  if (before_start_) before_start_(*daemon_);
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
