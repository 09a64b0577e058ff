#include "test_daemon.h"

#include <gtest/gtest.h>

namespace budgetd::test {

config::Config parse_config(const std::string& yaml) {
  const std::string with_server =
      yaml.find("server:") == std::string::npos ? "server: {listen: \"127.0.0.1:0\", threads: 2}\n" + yaml : yaml;
  config::LoadResult r = config::load_config_string(with_server, "test.yaml");
  if (!r.ok()) {
    ADD_FAILURE() << "test config does not load:\n" << r.error_text();
    std::abort();
  }
  return std::move(*r.config);
}

TestDaemon::TestDaemon(const std::string& yaml, Timestamp start) : clock_(start) {
  daemon_ = std::make_unique<Daemon>(parse_config(yaml), clock_);
  const Status s = daemon_->start();
  if (!s.ok()) {
    ADD_FAILURE() << "daemon did not start: " << s.message();
    std::abort();
  }
}

TestDaemon::~TestDaemon() { daemon_->stop(); }

}  // namespace budgetd::test
