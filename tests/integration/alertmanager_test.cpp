// budgetd against the real Alertmanager (Debian's prometheus-alertmanager, installed by
// scripts/deps.sh), started here on a loopback port with a throwaway config and storage dir.
//
// Alertmanager judges alerts by its own wall clock, so budgetd's simulated clock is pinned to
// real "now", and the burn is driven by event timestamps instead of by moving time: a fast burn
// over the last ten minutes fires the page; a flood of good events in the same minutes ends it.

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "external_process.h"
#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;

constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";

class Alertmanager {
 public:
  explicit Alertmanager(const std::string& dir)
      : port_(free_port()),
        config_(write_config(dir)),
        process_(kAlertmanager,
                 {"--config.file=" + config_, "--storage.path=" + dir + "/data",
                  "--web.listen-address=127.0.0.1:" + std::to_string(port_), "--cluster.listen-address="},
                 dir + "/alertmanager.log") {}
  uint16_t port() const { return port_; }
  bool wait_ready() { return process_.wait_http_ok(port_, "/-/ready", 10); }
  // Alertmanager's active alerts with alertname ErrorBudgetBurn and rule `rule`.
  std::vector<json> active(const std::string& rule) {
    std::vector<json> out;
    const json all = http_get(port_, "/api/v2/alerts").json();
    for (const auto& a : all) {
      if (a["labels"].value("alertname", "") == "ErrorBudgetBurn" && a["labels"].value("rule", "") == rule)
        out.push_back(a);
    }
    return out;
  }

 private:
  static std::string write_config(const std::string& dir) {
    const std::string path = dir + "/alertmanager.yml";
    std::ofstream(path) << "route: {receiver: blackhole, group_wait: 0s}\n"
                        << "receivers: [{name: blackhole}]\n";
    return path;
  }

  uint16_t port_;
  std::string config_;
  ExternalProcess process_;
};

std::string events(int64_t from_ms, int64_t to_ms, uint64_t good, uint64_t total) {
  std::string e;
  for (int64_t t = from_ms; t < to_ms; t += 10'000) {
    e += (e.empty() ? "" : ",") + std::string(R"({"service":"checkout","ts":)") + std::to_string(t) + R"(,"good":)" +
         std::to_string(good) + R"(,"total":)" + std::to_string(total) + "}";
  }
  return R"({"events":[)" + e + "]}";
}

TEST(Alertmanager, PageFiresThenResolvesInTheRealAlertmanager) {
  ASSERT_EQ(access(kAlertmanager, X_OK), 0)
      << kAlertmanager << " is missing: scripts/deps.sh installs prometheus-alertmanager";
  TempDir am_dir;
  Alertmanager am(am_dir.path());
  ASSERT_TRUE(am.wait_ready()) << "Alertmanager did not start";

  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() /
      10'000 * 10'000;
  TestDaemon d("notify: {alertmanager: [{url: \"http://127.0.0.1:" + std::to_string(am.port()) +
                   "\"}], resend_interval: 10s, external_url: \"http://budgetd.test\"}\n"
                   "alerting: {evaluation_interval: 10m}\n"
                   "slos:\n  - {name: checkout-availability, service: checkout, objective: 99.9, sli: {type: ratio}}\n",
               from_unix_ms(now_ms));
  HttpClient c(d.port());
  // Two good hours, then ten minutes of half the requests failing: 500x the sustainable rate.
  ASSERT_EQ(c.post("/v1/events", events(now_ms - 2 * 3'600'000, now_ms - 600'000, 1000, 1000)).status, 200);
  ASSERT_EQ(c.post("/v1/events", events(now_ms - 600'000, now_ms, 500, 1000)).status, 200);
  d.daemon().evaluate_now();

  std::vector<json> firing;
  for (int i = 0; i < 100 && firing.empty(); ++i) {
    firing = am.active("page-1h");
    if (firing.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  ASSERT_EQ(firing.size(), 1u) << "the page never reached Alertmanager";
  const json& a = firing[0];
  EXPECT_EQ(a["labels"]["slo"], "checkout-availability");
  EXPECT_EQ(a["labels"]["service"], "checkout");
  EXPECT_EQ(a["labels"]["severity"], "page");
  EXPECT_EQ(a["status"]["state"], "active");
  EXPECT_THAT(a["annotations"]["summary"].get<std::string>(), ::testing::HasSubstr("error budget burning"));
  EXPECT_EQ(a["generatorURL"], "http://budgetd.test/v1/slos/checkout-availability");
  EXPECT_FALSE(am.active("page-6h").empty());

  // A flood of good requests in the same minutes brings both windows below 14.4x: it resolves.
  ASSERT_EQ(c.post("/v1/events", events(now_ms - 600'000, now_ms, 10'000'000, 10'000'000)).status, 200);
  d.daemon().evaluate_now();
  for (int i = 0; i < 100 && !am.active("page-1h").empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_TRUE(am.active("page-1h").empty()) << "Alertmanager still shows the page as active";
  const std::string metrics = c.get("/metrics").body;
  EXPECT_THAT(metrics, ::testing::HasSubstr("result=\"sent\"}"));
  EXPECT_THAT(metrics, ::testing::Not(::testing::HasSubstr("result=\"refused\"} 1")));
}

}  // namespace
}  // namespace budgetd::test
