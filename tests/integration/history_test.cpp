// GET /v1/slos/{name}/history over HTTP on simulated time: a burn-down over a whole 30d window
// with exact figures, calendar points resetting at the period start and periods=N, points equal
// to the status at their instant, every 400 saying what can be asked, and a history that
// survives a restart (snapshot, and a snapshot written under another plan).

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr int64_t kMin = 60'000, kHourMs = 60 * kMin, kDayMs = 24 * kHourMs;

constexpr const char* kSlos = R"(
slos:
  - {name: checkout, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
  - {name: monthly, service: billing, objective: 99, sli: {type: ratio}, windows: [{calendar: month, timezone: UTC}]}
)";

std::string count(const char* service, int64_t ts_ms, uint64_t good, uint64_t total) {
  return fmt::format(R"({{"events":[{{"service":"{}","ts":{},"good":{},"total":{}}}]}})", service, ts_ms, good, total);
}

json get_json(HttpClient& c, const std::string& target) {
  const HttpResult r = c.get(target);
  EXPECT_EQ(r.status, 200) << target << ": " << r.body;
  return r.status == 200 ? r.json() : json::object();
}

// The point at `ts` (RFC 3339) of a history answer.
const json& point_at(const json& h, const std::string& ts) {
  for (const json& p : h["points"]) {
    if (p["ts"] == ts) return p;
  }
  ADD_FAILURE() << "no point at " << ts;
  static const json none = json::object();
  return none;
}

void post(HttpClient& c, const std::string& body) {
  const HttpResult r = c.post("/v1/events", body);
  ASSERT_EQ(r.status, 200) << r.body;
  ASSERT_EQ(r.json()["accepted"], 1) << r.body;
}

TEST(History, BurnDownOverAWhole30dWindowWithExactFigures) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  // 25 days ago (older than every status window but the 30d one), 10 days ago, an hour ago.
  post(c, count("checkout", kT0Ms - 25 * kDayMs, 100'000, 100'000));
  post(c, count("checkout", kT0Ms - 10 * kDayMs, 49'960, 50'000));  // 40 bad: 26.7 % of 150,000's budget
  post(c, count("checkout", kT0Ms - kHourMs, 9'930, 10'000));       // 70 more: 110 of 160,000
  const json h = get_json(c, "/v1/slos/checkout/history");
  EXPECT_EQ(h["window"], "30d");
  EXPECT_EQ(h["calendar"], false);
  EXPECT_EQ(h["step"], "1h");  // the default: 30d in at most ~720 points
  EXPECT_EQ(h["from"], "2026-10-25T10:00:00Z");
  EXPECT_EQ(h["to"], "2026-11-24T10:00:00Z");
  EXPECT_EQ(h["burn_rate_windows"], json({"1h", "6h", "1d", "3d"}));
  ASSERT_EQ(h["points"].size(), 721u);
  EXPECT_GT(h["memory_bytes"].get<uint64_t>(), 0u);

  // Before the first count: no data, the whole budget, healthy.
  const json& first = h["points"][0];
  EXPECT_EQ(first["total"], 0);
  EXPECT_EQ(first["no_data"], true);
  EXPECT_EQ(first["remaining"], 1.0);
  EXPECT_EQ(first["tier"], "healthy");
  // The window ending with the hour that holds 10 days ago: 150,000 events, 40 bad.
  const json& mid = point_at(h, "2026-11-14T10:00:00Z");
  EXPECT_EQ(mid["good"], 149'960);
  EXPECT_EQ(mid["total"], 150'000);
  EXPECT_NEAR(mid["consumed"].get<double>(), 40.0 / 150.0, 1e-12);
  EXPECT_EQ(mid["tier"], "healthy");
  EXPECT_NEAR(mid["burn_rate"]["1h"].get<double>(), 0.0, 0) << "completed hour before 10:00 had nothing";
  const json& after = point_at(h, "2026-11-14T11:00:00Z");
  EXPECT_NEAR(after["burn_rate"]["1h"].get<double>(), 40.0 / 50'000 / 0.001, 1e-12);
  EXPECT_NEAR(after["burn_rate"]["1d"].get<double>(), 40.0 / 50'000 / 0.001, 1e-12);
  // Now: 110 bad of 160,000 is 68.75 % of the budget; the last hour burnt at 7.
  const json& last = h["points"].back();
  EXPECT_EQ(last["good"], 159'890);
  EXPECT_EQ(last["total"], 160'000);
  EXPECT_NEAR(last["remaining"].get<double>(), 1 - 110.0 / 160.0, 1e-12);
  EXPECT_EQ(last["tier"], "caution");
  EXPECT_NEAR(last["burn_rate"]["1h"].get<double>(), 7.0, 1e-12);

  // Each point is the status at its instant, to the event and the tier.
  for (const char* ts : {"2026-11-24T09:00:00Z", "2026-11-24T10:00:00Z"}) {
    const json status = get_json(c, std::string("/v1/slos/checkout?at=") + ts);
    const json& p = point_at(h, ts);
    EXPECT_EQ(p["good"], status["budget"]["good"]) << ts;
    EXPECT_EQ(p["total"], status["budget"]["total"]) << ts;
    EXPECT_EQ(p["remaining"], status["budget"]["remaining"]) << ts;
    EXPECT_EQ(p["tier"], status["tier"]["name"]) << ts;
    EXPECT_EQ(h["memory_bytes"], status["memory_bytes"]);
  }
}

TEST(History, CalendarPointsResetAtThePeriodStartAndPeriodsReportEachClosedPeriod) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  post(c, count("billing", to_unix_ms(parse_rfc3339("2026-10-28T12:00:00Z").value()), 980, 1000));
  post(c, count("billing", to_unix_ms(parse_rfc3339("2026-11-02T12:00:00Z").value()), 995, 1000));
  const json h = get_json(c, "/v1/slos/monthly/history?step=1d&periods=3");
  EXPECT_EQ(h["calendar"], true);
  EXPECT_EQ(h["window"], "month:UTC");
  const json& october = point_at(h, "2026-10-31T00:00:00Z");
  EXPECT_EQ(october["total"], 1000);
  EXPECT_NEAR(october["remaining"].get<double>(), -1.0, 1e-12);  // 20 bad of an allowed 10
  EXPECT_EQ(october["tier"], "exhausted");
  const json& reset = point_at(h, "2026-11-01T00:00:00Z");
  EXPECT_EQ(reset["total"], 0);
  EXPECT_EQ(reset["no_data"], true);
  EXPECT_EQ(reset["tier"], "healthy");
  const json& november = point_at(h, "2026-11-03T00:00:00Z");
  EXPECT_EQ(november["total"], 1000);
  EXPECT_NEAR(november["remaining"].get<double>(), 0.5, 1e-12);
  EXPECT_EQ(november["tier"], "caution") << "exactly 50 % left is not above 50 %";

  ASSERT_EQ(h["periods"].size(), 3u);
  EXPECT_EQ(h["periods"][0], json({{"start", "2026-08-01T00:00:00Z"},
                                   {"end", "2026-09-01T00:00:00Z"},
                                   {"good", 0},
                                   {"total", 0},
                                   {"compliance", 100.0},
                                   {"remaining", 1.0},
                                   {"met", true}}));
  EXPECT_EQ(h["periods"][1]["start"], "2026-09-01T00:00:00Z");
  const json& oct = h["periods"][2];
  EXPECT_EQ(oct["start"], "2026-10-01T00:00:00Z");
  EXPECT_EQ(oct["end"], "2026-11-01T00:00:00Z");
  EXPECT_EQ(oct["good"], 980);
  EXPECT_EQ(oct["total"], 1000);
  EXPECT_NEAR(oct["compliance"].get<double>(), 98.0, 1e-12);
  EXPECT_EQ(oct["met"], false);
  EXPECT_FALSE(get_json(c, "/v1/slos/monthly/history").contains("periods")) << "only when asked";

  // A fourth previous period is older than the ring keeps.
  const HttpResult r = c.get("/v1/slos/monthly/history?periods=4");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("ask for periods=3 at most"));
}

TEST(History, EveryBadQueryIsA400ThatSaysWhatCanBeAsked) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"step=30s", "steps are whole minutes from 1m to 1d"},
      {"step=2d", "steps are whole minutes from 1m to 1d"},
      {"step=90s", "steps are whole minutes from 1m to 1d"},
      {"step=-1h", "step:"},
      {"step=soon", "step:"},
      {"range=0s", "range:"},
      {"range=1d&from=1795400000000", "give range (ending at to, or now) or from (and to), not both"},
      {"from=2026-11-24T09:00:00Z&to=2026-11-24T08:00:00Z", "is after to="},
      {"to=2026-11-24T11:00:00Z", "is after budgetd's clock"},
      {"from=1795400000", "looks like unix seconds"},
      {"range=30d&step=1m", "at most 5000: ask for step=10m or more"},
      {"range=90d&step=1d", "ask for from=2026-10-26T00:00:00Z or later"},
      {"range=20s&step=1m&to=2026-11-24T09:59:50Z", "holds no multiple of step=1m"},
      {"periods=2", "only calendar windows have periods"},
      {"periods=x", "periods: 'x' is not a whole number (0 to 24)"},
      {"window=30d", "unknown query parameter 'window'"},
  };
  for (const auto& [query, message] : cases) {
    const HttpResult r = c.get("/v1/slos/checkout/history?" + query);
    EXPECT_EQ(r.status, 400) << query << ": " << r.body;
    EXPECT_THAT(r.body, HasSubstr(message)) << query;
  }
  const HttpResult big = c.get("/v1/slos/monthly/history?periods=25");
  EXPECT_EQ(big.status, 400);
  EXPECT_THAT(big.body, HasSubstr("ask for 0 to 24 previous periods"));
  EXPECT_EQ(c.get("/v1/slos/nope/history").status, 404);
}

TEST(History, SurvivesARestartAndASnapshotWrittenUnderAnotherPlan) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  for (int day = 1; day <= 50; day += 7) {
    post(c, count("checkout", kT0Ms - day * kDayMs, 1000 - day, 1000));
    post(c, count("billing", kT0Ms - day * kDayMs, 1000 - day, 1000));
  }
  const std::string target = "/v1/slos/checkout/history?range=30d&step=6h";
  const json before = get_json(c, target);
  const json monthly_before = get_json(c, "/v1/slos/monthly/history?periods=2");
  ASSERT_GT(point_at(before, "2026-10-26T00:00:00Z")["total"].get<uint64_t>(), 0u) << "reaches 30d back";
  d.restart();
  HttpClient c2(d.port());
  EXPECT_EQ(get_json(c2, target), before);
  EXPECT_EQ(get_json(c2, "/v1/slos/monthly/history?periods=2"), monthly_before);
  // Another status_lookback: every ring is planned anew, and the snapshot's counts migrate.
  d.restart(std::string(kSlos) + "storage: {status_lookback: 2h}\n");
  HttpClient c3(d.port());
  json after = get_json(c3, target);
  EXPECT_NE(after["memory_bytes"], before["memory_bytes"]);
  EXPECT_EQ(after["points"], before["points"]);
}

}  // namespace
}  // namespace budgetd::test
