// budgetd against the real Alertmanager (Debian's prometheus-alertmanager, installed by
// scripts/deps.sh), started here on a loopback port with a throwaway config and storage dir.
//
// Alertmanager judges alerts by its own wall clock, so budgetd's simulated clock is pinned to
// real "now", and the burn is driven by event timestamps instead of by moving time: a fast burn
// over the last ten minutes fires the page; a flood of good events in the same minutes ends it.

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <set>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "external_process.h"
#include "http_client.h"
#include "http_receiver.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;

constexpr const char* kAlertmanager = "/usr/bin/prometheus-alertmanager";
constexpr const char* kAmtool = "/usr/bin/amtool";

class Alertmanager {
 public:
  // `config`: alertmanager.yml's text; by default one receiver that sends nowhere.
  explicit Alertmanager(const std::string& dir, const std::string& config = kBlackhole)
      : port_(free_port()),
        config_(write_config(dir, config)),
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
  static constexpr const char* kBlackhole =
      "route: {receiver: blackhole, group_wait: 0s}\n"
      "receivers: [{name: blackhole}]\n";
  static std::string write_config(const std::string& dir, const std::string& config) {
    const std::string path = dir + "/alertmanager.yml";
    std::ofstream(path) << config;
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

// `budgetd export alertmanager` makes Alertmanager send one notification per incident: a burn
// that fires page-1h, page-6h, ticket-1d (and ticket-3d) of one SLO reaches the receiver once,
// with the pages, the tickets inhibited by them.
TEST(Alertmanager, ExportedRouteAndInhibitRulesDeliverOneNotificationPerBurn) {
  ASSERT_EQ(access(kAlertmanager, X_OK), 0) << "scripts/deps.sh installs prometheus-alertmanager";
  ASSERT_EQ(access(kAmtool, X_OK), 0) << "amtool comes with prometheus-alertmanager";
  HttpReceiver oncall;
  const CommandResult exported = run_command(std::string(BUDGETD_BINARY) + " export alertmanager --receiver-url " +
                                             oncall.url() + "/oncall --group-wait 2s");
  ASSERT_EQ(exported.exit_code, 0) << exported.out;
  EXPECT_THAT(exported.out, ::testing::HasSubstr("group_by: [slo]"));
  TempDir am_dir;
  const std::string config_path = am_dir.path() + "/exported.yml";
  std::ofstream(config_path) << exported.out;
  const CommandResult checked = run_command(std::string(kAmtool) + " check-config " + config_path + " 2>&1");
  ASSERT_EQ(checked.exit_code, 0) << checked.out;
  EXPECT_THAT(checked.out, ::testing::HasSubstr("SUCCESS"));
  Alertmanager am(am_dir.path(), exported.out);
  ASSERT_TRUE(am.wait_ready()) << "Alertmanager did not start with the exported config";

  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count() /
      10'000 * 10'000;
  TestDaemon d("notify: {alertmanager: [{url: \"http://127.0.0.1:" + std::to_string(am.port()) +
                   "\"}], resend_interval: 10s}\n"
                   "alerting: {evaluation_interval: 10m}\n"
                   "slos:\n  - {name: checkout-availability, service: checkout, objective: 99.9, sli: {type: ratio}}\n",
               from_unix_ms(now_ms));
  HttpClient c(d.port());
  ASSERT_EQ(c.post("/v1/events", events(now_ms - 2 * 3'600'000, now_ms - 600'000, 1000, 1000)).status, 200);
  ASSERT_EQ(c.post("/v1/events", events(now_ms - 600'000, now_ms, 500, 1000)).status, 200);
  // The alerts start now by the wall clock: Alertmanager sends a group at once, before group_wait
  // and before its inhibitor has seen the pages, when an alert arrives older than group_wait.
  d.clock().set(std::chrono::time_point_cast<Millis>(std::chrono::system_clock::now()));
  d.daemon().evaluate_now();
  std::set<std::string> firing;
  const json alerts = c.get("/v1/alerts").json();
  for (const auto& a : alerts["alerts"]) firing.insert(a["rule"].get<std::string>());
  ASSERT_TRUE(firing.count("page-1h") && firing.count("page-6h") && firing.count("ticket-1d")) << alerts.dump();

  ASSERT_TRUE(oncall.wait_for(1, std::chrono::seconds(20))) << "Alertmanager never notified";
  // Alertmanager has all four alerts; a second notification would come after group_wait (2s)
  // if grouping or inhibition failed. Give it several times that, re-sends included.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  for (const std::string rule : {"page-1h", "page-6h", "ticket-1d"}) {
    ASSERT_EQ(am.active(rule).size(), 1u) << rule << " did not reach Alertmanager";
    EXPECT_EQ(am.active(rule)[0]["labels"]["incident"], am.active("page-1h")[0]["labels"]["incident"])
        << "one incident label for the burn";
  }
  const auto delivered = oncall.requests();
  ASSERT_EQ(delivered.size(), 1u) << "one burn, one notification";
  const json n = json::parse(delivered[0].body);
  EXPECT_EQ(n["groupLabels"], json({{"slo", "checkout-availability"}}));
  EXPECT_EQ(n["status"], "firing");
  std::set<std::string> notified;
  for (const auto& a : n["alerts"]) notified.insert(a["labels"]["rule"].get<std::string>());
  EXPECT_EQ(notified, (std::set<std::string>{"page-1h", "page-6h"})) << "tickets are inhibited by the page";
  EXPECT_EQ(am.active("ticket-1d")[0]["status"]["inhibitedBy"].size(), 1u) << "inhibited by a page";
}

}  // namespace
}  // namespace budgetd::test
