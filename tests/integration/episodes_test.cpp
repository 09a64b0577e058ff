// Burn episodes through the real server (README "Episodes and postmortems"): a burn seeded on
// the injected clock, GET /v1/slos/{name}/episodes with every figure counted by hand, episodes
// across restarts (ended, and ongoing), and `budgetd postmortem` against checked-in files.

#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "budgetd/config/loader.h"
#include "burn_scenario.h"
#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using json = nlohmann::json;
using ::testing::HasSubstr;

constexpr int64_t kMinuteMs = 60'000;

// The burn of tests/support/burn_scenario.h, evaluated every minute of budgetd's clock.
std::string burn_yaml(const std::string& extra = "") {
  return std::string("alerting: {evaluation_interval: 1m}") + test::burn::kSlos + extra;
}

// One event of 600 requests per minute at kT0 + m minutes; `endpoints` splits each into /pay
// (every failure) and /cart (never failing).
std::string minute_event(int m, uint64_t bad, bool endpoints) {
  const std::string ts = std::to_string(kT0Ms + m * kMinuteMs);
  if (!endpoints) {
    return R"({"service":"checkout","ts":)" + ts + R"(,"good":)" +
           std::to_string(test::burn::kRequestsPerMinute - bad) + R"(,"total":600})";
  }
  return R"({"service":"checkout","ts":)" + ts + R"(,"good":)" + std::to_string(300 - bad) +
         R"(,"total":300,"labels":{"endpoint":"/pay"}},{"service":"checkout","ts":)" + ts +
         R"(,"good":300,"total":300,"labels":{"endpoint":"/cart"}})";
}

class Burn {
 public:
  explicit Burn(TestDaemon& d, bool endpoints = false) : d_(d), endpoints_(endpoints) {
    std::string all;
    for (int m = test::burn::kFirstMinute; m < 0; ++m) all += (all.empty() ? "" : ",") + minute_event(m, 0, endpoints_);
    post("{\"events\":[" + all + "]}");
  }
  // Minute m - 1's events (300 bad during minutes 0 to 9), then the clock at kT0 + m minutes and an evaluation.
  void to_minute(int m) {
    for (; minute_ < m; ++minute_) {
      post("{\"events\":[" + minute_event(minute_, test::burn::bad_in_minute(minute_), endpoints_) + "]}");
      d_.clock().advance(std::chrono::minutes(1));
      d_.daemon().evaluate_now();
    }
  }

 private:
  void post(const std::string& body) {
    const HttpResult r = HttpClient(d_.port()).post("/v1/events", body);
    ASSERT_EQ(r.status, 200) << r.body;
  }
  TestDaemon& d_;
  bool endpoints_;
  int minute_ = 0;
};

json episodes(TestDaemon& d, const std::string& query = "") {
  const HttpResult r = http_get(d.port(), "/v1/slos/checkout-availability/episodes" + query);
  EXPECT_EQ(r.status, 200) << r.body;
  return r.json();
}

void post_deploy(TestDaemon& d, const json& body) {
  const HttpResult r = HttpClient(d.port()).post("/v1/deploys", body.dump());
  ASSERT_EQ(r.status, 201) << r.body;
}

// Every figure of the seeded burn, counted by hand (see burn_yaml and Burn).
void expect_the_seeded_episode(const json& e) {
  EXPECT_EQ(e["id"], "checkout-availability@2026-11-24T10:07:00Z");
  EXPECT_EQ(e["status"], "resolved");
  EXPECT_EQ(e["start"], "2026-11-24T10:00:00Z") << "the first failing minute";
  EXPECT_EQ(e["detection"], "2026-11-24T10:07:00Z") << "the 1h window burns at exactly 5 at 10:06: not above";
  EXPECT_EQ(e["end"], "2026-11-24T10:40:00Z") << "ticket-slow's 30m window is clean 30 minutes after the burn";
  EXPECT_EQ(e["duration_seconds"], 40 * 60);
  EXPECT_EQ(e["detection_delay_seconds"], 7 * 60);
  EXPECT_EQ(e["rules"], json::parse(R"(["page-fast","ticket-slow"])"));
  EXPECT_EQ(e["alerts"], json::parse(R"([
      {"rule":"page-fast","severity":"page","fired":"2026-11-24T10:07:00Z","resolved":"2026-11-24T10:15:00Z"},
      {"rule":"ticket-slow","severity":"ticket","fired":"2026-11-24T10:08:00Z","resolved":"2026-11-24T10:40:00Z"}])"));
  EXPECT_EQ(e["bad_events"], 3000);
  // 1 % of the 30d window's events when it ended: a day of 600 a minute, then 40 minutes.
  EXPECT_DOUBLE_EQ(e["allowed_bad_events"].get<double>(), 0.01 * (24 * 60 + 40) * 600);
  EXPECT_DOUBLE_EQ(e["budget_consumed"].get<double>(), 3000.0 / 8880.0);
  EXPECT_EQ(e["budget_window"], "30d");
  EXPECT_EQ(e["postmortem_required"], true);
  EXPECT_NEAR(e["peak_burn_rate"].get<double>(), 3000.0 / 36000.0 / 0.01, 1e-9);
  EXPECT_EQ(e["peak_rule"], "page-fast");
  EXPECT_EQ(e["peak_at"], "2026-11-24T10:10:00Z");
}

TEST(Episodes, ABurnIsOneEpisodeWithItsFiguresDeploysAndRangeChecks) {
  TestDaemon d(burn_yaml());
  post_deploy(d, {{"service", "checkout"}, {"version", "v1.4.1"}, {"ts", kT0Ms - 180 * kMinuteMs}});
  post_deploy(d, {{"service", "checkout"}, {"version", "v1.4.2"}, {"change", "risky"}, {"ts", kT0Ms - 10 * kMinuteMs}});
  Burn burn(d);
  burn.to_minute(8);
  json now = episodes(d);
  ASSERT_EQ(now["episodes"].size(), 1u) << now;
  EXPECT_EQ(now["episodes"][0]["status"], "ongoing");
  EXPECT_EQ(now["episodes"][0]["end"], nullptr);
  EXPECT_EQ(now["episodes"][0]["rules"], json::parse(R"(["page-fast","ticket-slow"])"));
  burn.to_minute(12);
  post_deploy(d, {{"service", "checkout"}, {"version", "v1.4.3"}, {"change", "reliability"}});
  burn.to_minute(45);
  const json answer = episodes(d);
  EXPECT_EQ(answer["slo"], "checkout-availability");
  EXPECT_EQ(answer["range"], "30d") << "the longest budget window by default";
  ASSERT_EQ(answer["episodes"].size(), 1u) << answer;
  const json& e = answer["episodes"][0];
  expect_the_seeded_episode(e);
  // The deploy just before it (not the one before that) and the one inside, oldest first.
  ASSERT_EQ(e["deploys"].size(), 2u) << e["deploys"];
  EXPECT_EQ(e["deploys"][0]["version"], "v1.4.2");
  EXPECT_EQ(e["deploys"][0]["when"], "before");
  EXPECT_EQ(e["deploys"][1]["version"], "v1.4.3");
  EXPECT_EQ(e["deploys"][1]["when"], "inside");
  EXPECT_EQ(e["deploys"][1]["ts"], "2026-11-24T10:12:00Z");
  EXPECT_EQ(e["contributors"]["labels"], json::array()) << "no attribution:";

  EXPECT_EQ(episodes(d, "?range=1h")["episodes"].size(), 1u) << "ended 5 minutes ago";
  EXPECT_EQ(episodes(d, "?range=4m")["episodes"].size(), 0u);
  for (const char* bad : {"?range=31d", "?range=0s", "?range=soon", "?range=-1h"}) {
    const HttpResult r = http_get(d.port(), std::string("/v1/slos/checkout-availability/episodes") + bad);
    EXPECT_EQ(r.status, 400) << bad;
    EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("from 1s to 30d")) << bad;
  }
  EXPECT_EQ(http_get(d.port(), "/v1/slos/nope/episodes").status, 404);
}

TEST(Episodes, SurviveARestartAndAnOngoingOneGoesOnAcrossIt) {
  TestDaemon d(burn_yaml());
  Burn burn(d);
  burn.to_minute(8);
  ASSERT_EQ(episodes(d)["episodes"][0]["status"], "ongoing");
  d.restart();  // final snapshot: alert states and episodes
  burn.to_minute(20);
  d.restart();
  burn.to_minute(45);
  const json before = episodes(d);
  ASSERT_EQ(before["episodes"].size(), 1u) << before;
  expect_the_seeded_episode(before["episodes"][0]);
  d.restart();
  EXPECT_EQ(episodes(d), before);
}

TEST(Episodes, VersionsAfterTheLastSnapshotAreReplayedFromTheLog) {
  const std::string yaml = burn_yaml() + "storage: {snapshot_interval: 1d}\n";
  TestDaemon d(yaml);
  Burn burn(d);
  burn.to_minute(8);
  ASSERT_TRUE(d.daemon().take_snapshot().ok());  // the episode, ongoing; the rest is only in the log
  burn.to_minute(45);
  const json before = episodes(d);
  ASSERT_EQ(before["episodes"].size(), 1u) << before;
  // What a crash leaves: that snapshot and the log, no final snapshot.
  TempDir crashed;
  for (const auto& f : std::filesystem::directory_iterator(d.dir())) {
    if (f.path().filename() == "LOCK" || f.path().filename() == "budgetd.yaml") continue;
    std::filesystem::copy(f.path(), std::filesystem::path(crashed.path()) / f.path().filename(),
                          std::filesystem::copy_options::recursive);
  }
  ManualClock clock(t0() + std::chrono::minutes(45));
  Daemon second(parse_config(yaml, crashed.path()), clock);
  ASSERT_TRUE(second.start().ok());
  EXPECT_GT(second.recovery().state_records_applied, 0u);
  const HttpResult r = http_get(second.port(), "/v1/slos/checkout-availability/episodes");
  EXPECT_EQ(r.json(), before);
  expect_the_seeded_episode(r.json()["episodes"][0]);
  second.stop();
}

// Depends on the attribution half of issue 15: skipped while this build does not take
// `attribution:`; exact once it does.
TEST(Episodes, NameTheLabelValuesThatBurnedTheBudget) {
  const std::string yaml = burn_yaml("    attribution: {labels: [endpoint]}\n");
  if (!config::load_config_string(complete_yaml(yaml, "/tmp"), "t.yaml").ok()) {
    GTEST_SKIP() << "this build does not take attribution: (issue 15's contributors half)";
  }
  TestDaemon d(yaml);
  Burn burn(d, true);
  burn.to_minute(45);
  const json e = episodes(d)["episodes"][0];
  expect_the_seeded_episode(e);
  // Over [10:00, 10:40): 40 minutes of 300 /pay and 300 /cart requests; every failure on /pay.
  EXPECT_EQ(e["contributors"]["labels"], json::parse(R"([{"label":"endpoint","bad":3000,"total":24000,"values":[
      {"value":"/pay","bad":3000,"total":12000,"error_ratio":0.25,"share_of_bad":1.0,"other":false},
      {"value":"/cart","bad":0,"total":12000,"error_ratio":0.0,"share_of_bad":0.0,"other":false}]}])"));
  EXPECT_THAT(e["contributors"]["top"].get<std::string>(), ::testing::StartsWith("endpoint=/pay: 100 % of bad events"));
}

struct Cli {
  int exit_code;
  std::string out;
};
Cli postmortem_cli(const std::string& args) {
  FILE* p = popen((std::string(BUDGETD_BINARY) + " postmortem " + args + " 2>&1").c_str(), "r");
  std::string out;
  char buf[4096];
  while (size_t n = fread(buf, 1, sizeof buf, p)) out.append(buf, n);
  const int status = pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// The checked-in expected output. BUDGETD_UPDATE_EXPECTED=1 writes what was printed instead,
// for a deliberate change (then read the diff before committing it).
std::string expected_file(const std::string& name, const std::string& actual) {
  const std::string path = std::string(BUDGETD_SOURCE_DIR) + "/tests/data/postmortem/" + name;
  if (const char* update = std::getenv("BUDGETD_UPDATE_EXPECTED"); update != nullptr && std::string(update) == "1") {
    std::ofstream(path) << actual;
  }
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(PostmortemCli, PrintsTheSeededIncidentsFirstPageAsTheCheckedInFiles) {
  TestDaemon d(burn_yaml());
  post_deploy(d, {{"service", "checkout"}, {"version", "v1.4.2"}, {"change", "risky"}, {"ts", kT0Ms - 10 * kMinuteMs}});
  Burn burn(d);
  burn.to_minute(12);
  post_deploy(d, {{"service", "checkout"}, {"version", "v1.4.3"}, {"change", "reliability"}});
  burn.to_minute(45);
  const std::string url = "--url http://127.0.0.1:" + std::to_string(d.port());
  Cli r = postmortem_cli(url + " --slo checkout-availability");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(r.out, expected_file("checkout-burn.md", r.out));
  r = postmortem_cli(url + " --slo checkout-availability --episode checkout-availability@2026-11-24T10:07:00Z --json");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_EQ(json::parse(r.out), json::parse(expected_file("checkout-burn.json", r.out)));
  // Refused: an episode or SLO it does not have (exit 3); could not ask: nothing listening (exit 2).
  r = postmortem_cli(url + " --slo checkout-availability --episode nope");
  EXPECT_EQ(r.exit_code, 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("has no episode nope"));
  r = postmortem_cli(url + " --slo nope");
  EXPECT_EQ(r.exit_code, 3) << r.out;
  r = postmortem_cli("--url http://127.0.0.1:1 --slo checkout-availability --timeout 2s");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  r = postmortem_cli("--slo checkout-availability");
  EXPECT_EQ(r.exit_code, 2) << r.out;
  EXPECT_THAT(r.out, HasSubstr("--url"));
}

TEST(PostmortemCli, AnOngoingEpisodeSaysSoAndRunsToNow) {
  TestDaemon d(burn_yaml());
  Burn burn(d);
  burn.to_minute(9);
  const Cli r = postmortem_cli("--url http://127.0.0.1:" + std::to_string(d.port()) + " --slo checkout-availability");
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_THAT(r.out, HasSubstr("- **Status:** ongoing\n"));
  EXPECT_THAT(r.out, HasSubstr("- **Duration:** 9m (2026-11-24T10:00:00Z to ongoing at 2026-11-24T10:09:00Z)\n"));
}

}  // namespace
}  // namespace budgetd::test
