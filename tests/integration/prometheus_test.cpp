// GET /metrics: the per-SLO families against the status API, `promtool check metrics` on the
// output, and Debian's real Prometheus scraping budgetd on a loopback port.

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <regex>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "external_process.h"
#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kPromtool = "/usr/bin/promtool";

constexpr const char* kSlos = R"(
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    sli: {type: ratio}
  - name: search-latency
    service: search
    objective: 99
    windows: ["7d", {calendar: month, timezone: UTC}]
    primary: "month:UTC"
    sli: {type: latency, threshold_ms: 200}
)";

// Events into both SLOs; checkout's last minutes burn fast enough to fire its pages.
void push(HttpClient& c) {
  const int64_t t0 = 1795514400000;  // TestDaemon's clock
  std::string events;
  for (int i = 1; i <= 10; ++i) {
    const int64_t ts = t0 - i * 10'000;
    events += R"({"service":"checkout","ts":)" + std::to_string(ts) +
              R"(,"good":90,"total":100})"
              "\n";
    events += R"({"service":"search","ts":)" + std::to_string(ts) + R"(,"good":true,"latency_ms":)" +
              std::to_string(i * 30) + "}\n";
  }
  const HttpResult r = c.post("/v1/events", events, "application/x-ndjson");
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["accepted"], 20);
}

// "name{labels}" -> value, for every sample line.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

TEST(Metrics, PerSloFamiliesAgreeWithTheStatus) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  push(c);
  d.daemon().evaluate_now();
  const HttpResult m = c.get("/metrics");
  ASSERT_EQ(m.status, 200);
  const auto s = samples(m.body);
  const auto at = [&](const std::string& key) {
    const auto it = s.find(key);
    EXPECT_NE(it, s.end()) << key << " is missing";
    return it == s.end() ? -12345.0 : it->second;
  };
  const std::string checkout = R"(slo="checkout-availability",service="checkout")";
  const std::string search = R"(slo="search-latency",service="search")";
  EXPECT_EQ(at("budgetd_slo_objective_ratio{" + checkout + "}"), 0.999);
  EXPECT_EQ(at("budgetd_slo_objective_ratio{" + search + "}"), 0.99);
  EXPECT_EQ(at("budgetd_slo_events_total{" + checkout + ",result=\"good\"}"), 900);
  EXPECT_EQ(at("budgetd_slo_events_total{" + checkout + ",result=\"bad\"}"), 100);
  EXPECT_EQ(at("budgetd_slo_events_total{" + search + ",result=\"good\"}"), 6);  // 30 .. 180 ms
  EXPECT_EQ(at("budgetd_slo_events_total{" + search + ",result=\"bad\"}"), 4);
  EXPECT_EQ(at("budgetd_slo_alert_firing{" + checkout + ",rule=\"page-1h\",severity=\"page\"}"), 1);
  EXPECT_EQ(at("budgetd_slo_alert_firing{" + search + ",rule=\"page-1h\",severity=\"page\"}"), 1);
  EXPECT_EQ(at("budgetd_slo_tier{" + checkout + ",tier=\"exhausted\"}"), 1);
  EXPECT_EQ(at("budgetd_slo_tier{" + checkout + ",tier=\"healthy\"}"), 0);

  // Every window's SLI and burn rate, and every budget, as the status reports them.
  for (const auto& [name, labels] :
       {std::pair{"checkout-availability", checkout}, std::pair{"search-latency", search}}) {
    const json st = c.get(std::string("/v1/slos/") + name).json();
    for (const json& w : st["windows"]) {
      const std::string key = "{" + labels + ",window=\"" + w["window"].get<std::string>() + "\"}";
      EXPECT_DOUBLE_EQ(at("budgetd_slo_burn_rate" + key), w["burn_rate"].get<double>()) << key;
    }
    for (const json& b : st["budgets"]) {
      const std::string window = ",window=\"" + b["window"].get<std::string>() + "\"";
      EXPECT_DOUBLE_EQ(at("budgetd_slo_sli_ratio{" + labels + window + "}"), b["sli"].get<double>());
      EXPECT_DOUBLE_EQ(at("budgetd_slo_error_budget_remaining_ratio{" + labels + window + ",primary=\"" +
                          (b["primary"].get<bool>() ? "true" : "false") + "\"}"),
                       b["remaining"].get<double>());
    }
  }
  EXPECT_EQ(s.count("budgetd_slo_error_budget_remaining_ratio{" + search + ",window=\"month:UTC\",primary=\"true\"}"),
            1u);

  EXPECT_EQ(at("budgetd_snapshot_age_seconds"), -1);
  ASSERT_EQ(c.post("/-/snapshot", "").status, 200);
  d.clock().advance(30 * kSecond);
  EXPECT_EQ(samples(c.get("/metrics").body)["budgetd_snapshot_age_seconds"], 30);
}

TEST(Metrics, PromtoolFindsNothingToCriticise) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " is missing: scripts/deps.sh installs prometheus";
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  push(c);
  ASSERT_EQ(c.get("/v1/gate?service=checkout&change=feature").status, 200);
  d.daemon().evaluate_now();
  const std::string body = c.get("/metrics").body;
  const std::string file = d.dir() + "/metrics.txt";
  std::ofstream(file) << body;
  const CommandResult promtool = run_command(std::string(kPromtool) + " check metrics < " + file + " 2>&1");
  EXPECT_EQ(promtool.exit_code, 0) << promtool.out;
  EXPECT_EQ(promtool.out, "");
  // The families the issue asks for are all there, with HELP and TYPE.
  for (const char* family :
       {"budgetd_slo_objective_ratio gauge", "budgetd_slo_sli_ratio gauge", "budgetd_slo_burn_rate gauge",
        "budgetd_slo_error_budget_remaining_ratio gauge", "budgetd_slo_events_total counter", "budgetd_slo_tier gauge",
        "budgetd_slo_alert_firing gauge", "budgetd_http_requests_total counter",
        "budgetd_http_request_duration_seconds histogram", "budgetd_events_rejected_total counter",
        "budgetd_wal_appends_total counter", "budgetd_wal_fsync_duration_seconds histogram",
        "budgetd_snapshot_age_seconds gauge", "budgetd_gate_decisions_total counter", "budgetd_build_info gauge",
        "budgetd_process_start_time_seconds gauge"}) {
    EXPECT_NE(body.find(std::string("# TYPE ") + family + "\n"), std::string::npos) << family;
  }
}

TEST(Metrics, TheRealPrometheusScrapesEverySloBudget) {
  ASSERT_EQ(access(kPrometheus, X_OK), 0) << kPrometheus << " is missing: scripts/deps.sh installs prometheus";
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  push(c);
  d.daemon().evaluate_now();  // the per-SLO samples are those of the last evaluation tick
  TempDir dir;
  const std::string config = dir.path() + "/prometheus.yml";
  std::ofstream(config) << "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
                        << "scrape_configs:\n"
                        << "  - job_name: budgetd\n"
                        << "    static_configs: [{targets: [\"127.0.0.1:" << d.port() << "\"]}]\n";
  const uint16_t port = free_port();
  ExternalProcess prometheus(kPrometheus,
                             {"--config.file=" + config, "--storage.tsdb.path=" + dir.path() + "/data",
                              "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                             dir.path() + "/prometheus.log");
  ASSERT_TRUE(prometheus.wait_http_ok(port, "/-/ready", 30)) << prometheus.log();

  // Prometheus scrapes every second; give it up to 30 s to have both SLOs' budgets.
  std::map<std::string, json> found;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (found.size() < 2 && std::chrono::steady_clock::now() < deadline) {
    // budgetd_slo_error_budget_remaining_ratio{primary="true"}
    const HttpResult r =
        http_get(port, "/api/v1/query?query=budgetd_slo_error_budget_remaining_ratio%7Bprimary%3D%22true%22%7D");
    if (r.status == 200) {
      const json answer = r.json();
      for (const json& series : answer["data"]["result"]) found[series["metric"]["slo"]] = series;
    }
    if (found.size() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  ASSERT_EQ(found.size(), 2u) << prometheus.log();
  const json& checkout = found["checkout-availability"];
  EXPECT_EQ(checkout["metric"]["service"], "checkout");
  EXPECT_EQ(checkout["metric"]["job"], "budgetd");
  EXPECT_EQ(checkout["metric"]["window"], "30d");
  // 100 bad of 1,000 at 99.9 %: the budget is 1, so -99 of it is left.
  EXPECT_EQ(checkout["value"][1], "-99");
  EXPECT_EQ(found["search-latency"]["metric"]["window"], "month:UTC");
}

}  // namespace
}  // namespace budgetd::test
