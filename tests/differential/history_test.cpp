// GET /v1/slos/{name}/history against a brute-force count, at every point. Random event streams
// go through the real server over about five weeks of simulated time; the model keeps every
// event the server accepted (the answer's per-item errors say which it refused) and, for each
// point of each history answer, recomputes by hand the primary window's bounds, its good and
// total, the budget remaining and consumed, the tier, and each burn rate.
//
// Semantics under test (README "History", eval/history.h): points at the multiples of step in
// [from, to]; a point at ts holds the primary budget window as a status at ts does (end =
// floor(ts / R) * R + R, start = end - W, or the start of the local period holding ts for a
// calendar window, whose points reset at each period start); timeslices count bad slices
// (good/total below the target; empty slices good). Burn rates are over completed buckets:
// [floor(ts / r) * r - L, floor(ts / r) * r) with r the resolution of L; one may be null only
// where no ring still holds it, never wrong. Tiers: healthy > 50 %, caution > 25 %, warning > 0 %.

#include <cstdlib>
#include <ctime>
#include <map>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

constexpr int64_t kSec = 1000, kMin = 60 * kSec, kHourMs = 60 * kMin, kDayMs = 24 * kHourMs;
// 2026-10-20T00:00:00Z: the stream crosses the Oct/Nov month boundary in Berlin and its DST change.
constexpr int64_t kStartMs = 1792454400000;

int64_t fdiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t rolling_resolution(int64_t w) {
  return w <= kHourMs ? 10 * kSec : w <= 6 * kHourMs ? kMin : w <= 3 * kDayMs ? 5 * kMin : kHourMs;
}
int64_t parse_ms(const nlohmann::json& rfc3339) {
  return to_unix_ms(parse_rfc3339(rfc3339.get<std::string>()).value());
}

// Local month starts in `zone` around [from, to], by glibc (not the date library budgetd uses).
std::vector<int64_t> month_starts(const char* zone, int64_t from_ms, int64_t to_ms) {
  setenv("TZ", zone, 1);
  tzset();
  std::time_t t = static_cast<std::time_t>(from_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  tm.tm_mday = 1;
  std::vector<int64_t> out;
  for (int64_t start = 0; start <= to_ms; ++tm.tm_mon) {
    tm.tm_isdst = -1;
    std::tm copy = tm;
    start = static_cast<int64_t>(std::mktime(&copy)) * 1000;
    out.push_back(start);
  }
  unsetenv("TZ");
  tzset();
  return out;
}

struct Rec {
  int64_t ts;
  uint64_t good, total;
};

struct ModelSlo {
  std::string name;
  uint64_t budget_per_mille;  // 1 - objective, in 1/1000
  int64_t rolling = 0;        // a rolling window, or a calendar one with these period starts
  std::vector<int64_t> periods;
  int64_t slice = 0;  // timeslices (target 0.75) when set
  std::vector<Rec> events;

  int64_t resolution() const { return slice != 0 ? slice : rolling != 0 ? rolling_resolution(rolling) : kHourMs; }
  std::pair<int64_t, int64_t> bounds(int64_t ts) const {
    const int64_t end = (fdiv(ts, resolution()) + 1) * resolution();
    if (rolling != 0) return {end - rolling, end};
    return {*(std::upper_bound(periods.begin(), periods.end(), ts) - 1), end};
  }
  std::pair<uint64_t, uint64_t> counts(int64_t start, int64_t end) const {
    uint64_t good = 0, total = 0;
    for (const Rec& e : events) {
      if (e.ts >= start && e.ts < end) good += e.good, total += e.total;
    }
    return {good, total};
  }
  // Bad and all slices of [start, end) (rolling windows only here).
  std::pair<uint64_t, uint64_t> slices(int64_t start, int64_t end) const {
    std::map<int64_t, std::pair<uint64_t, uint64_t>> by_slice;
    for (const Rec& e : events) {
      if (e.ts < start || e.ts >= end) continue;
      auto& s = by_slice[fdiv(e.ts, slice)];
      s.first += e.good, s.second += e.total;
    }
    uint64_t bad = 0;
    for (const auto& [k, gt] : by_slice) bad += gt.second != 0 && gt.first * 4 < gt.second * 3 ? 1 : 0;
    return {bad, static_cast<uint64_t>((end - start) / slice)};
  }
};

// "remaining > pct %" of `bad` out of `of` (events or slices), on the integers.
bool left_above(uint64_t bad, uint64_t of, uint64_t budget_per_mille, int pct) {
  if (of == 0) return true;
  // The counts here stay far below 2^40: no overflow in 64 bits.
  return bad * 1000 * 100 < of * budget_per_mille * static_cast<uint64_t>(100 - pct);
}
std::string tier(uint64_t bad, uint64_t of, uint64_t per_mille) {
  if (left_above(bad, of, per_mille, 50)) return "healthy";
  if (left_above(bad, of, per_mille, 25)) return "caution";
  return left_above(bad, of, per_mille, 0) ? "warning" : "exhausted";
}

class History : public ::testing::TestWithParam<uint64_t> {
 protected:
  static constexpr const char* kYaml = R"(
slos:
  - {name: rolling-30d, service: a, objective: 99.9, sli: {type: ratio}, windows: ["30d"]}
  - {name: rolling-1d, service: b, objective: 99, sli: {type: ratio}, windows: ["1d"]}
  - {name: month-berlin, service: c, objective: 99.5, sli: {type: ratio},
     windows: [{calendar: month, timezone: Europe/Berlin}]}
  - {name: slices-7d, service: d, objective: 99, sli: {type: ratio}, windows: ["7d"],
     budgeting: {method: timeslices, slice: 5m, slice_target: 0.75}}
)";

  void SetUp() override {
    slos_.push_back({"rolling-30d", 1, 30 * kDayMs, {}, 0, {}});
    slos_.push_back({"rolling-1d", 10, kDayMs, {}, 0, {}});
    slos_.push_back(
        {"month-berlin", 5, 0, month_starts("Europe/Berlin", kStartMs - 200 * kDayMs, kStartMs + 200 * kDayMs), 0, {}});
    slos_.push_back({"slices-7d", 10, 7 * kDayMs, {}, 5 * kMin, {}});
  }

  // Asks for one history and checks every point against the model.
  void check(HttpClient& client, const ModelSlo& s, const std::string& query, int64_t now) {
    const HttpResult res = client.get("/v1/slos/" + s.name + "/history?" + query);
    ASSERT_EQ(res.status, 200) << s.name << "?" << query << ": " << res.body;
    const auto j = res.json();
    const int64_t step = to_unix_ms(from_unix_ms(0) + parse_duration(j["step"].get<std::string>()).value());
    const auto& points = j["points"];
    ASSERT_FALSE(points.empty());
    int64_t expect_ts = parse_ms(points[0]["ts"]);
    ASSERT_EQ(expect_ts % step, 0) << "points lie on multiples of the step";
    ASSERT_LE(parse_ms(points.back()["ts"]), now);
    for (const auto& p : points) {
      const int64_t ts = parse_ms(p["ts"]);
      ASSERT_EQ(ts, expect_ts) << s.name << "?" << query;
      expect_ts += step;
      const auto [start, end] = s.bounds(ts);
      const auto [good, total] = s.counts(start, end);
      const std::string where = fmt::format("{}?{} at {}", s.name, query, format_rfc3339(from_unix_ms(ts)));
      ASSERT_EQ(p["total"].get<uint64_t>(), total) << where;
      ASSERT_EQ(p["good"].get<uint64_t>(), good) << where;
      ASSERT_EQ(p["no_data"].get<bool>(), total == 0) << where;
      uint64_t bad = total - good, of = total;
      if (s.slice != 0) std::tie(bad, of) = s.slices(start, end);
      const double consumed =
          of == 0 ? 0.0 : static_cast<double>(bad) * 1000 / (s.budget_per_mille * static_cast<double>(of));
      ASSERT_NEAR(p["consumed"].get<double>(), consumed, 1e-9 * std::max(1.0, consumed)) << where;
      ASSERT_NEAR(p["remaining"].get<double>(), 1 - consumed, 1e-9 * std::max(1.0, consumed)) << where;
      ASSERT_EQ(p["tier"], tier(bad, of, s.budget_per_mille)) << where;
      for (const auto& name : j["burn_rate_windows"]) {
        const auto& rate = p["burn_rate"][name.get<std::string>()];
        if (rate.is_null()) {
          ++null_rates_;
          continue;
        }
        const int64_t length = to_unix_ms(from_unix_ms(0) + parse_duration(name.get<std::string>()).value());
        const int64_t r = rolling_resolution(length);
        const auto [g, t] = s.counts(fdiv(ts, r) * r - length, fdiv(ts, r) * r);
        const double expect =
            t == 0 ? 0.0 : static_cast<double>(t - g) * 1000 / (s.budget_per_mille * static_cast<double>(t));
        ASSERT_NEAR(rate.get<double>(), expect, 1e-9 * std::max(1.0, expect)) << where << " burn " << name;
        ++rates_;
      }
      ++points_;
    }
  }

  std::vector<ModelSlo> slos_;
  uint64_t points_ = 0, rates_ = 0, null_rates_ = 0;
};

TEST_P(History, EveryPointMatchesABruteForceCount) {
  TestDaemon d(kYaml, from_unix_ms(kStartMs));
  HttpClient client(d.port());
  std::mt19937_64 rng(GetParam());
  int64_t now = kStartMs;
  const char* services = "abcd";
  for (int round = 0; round < 320; ++round) {
    // About five weeks: more than the month's period and the 30d window, less than twice it.
    now += static_cast<int64_t>(rng() % (5 * kHourMs));
    d.clock().set(from_unix_ms(now));
    std::string body = R"({"events":[)";
    std::vector<std::pair<size_t, Rec>> sent;
    const int n = 1 + static_cast<int>(rng() % 30);
    for (int i = 0; i < n; ++i) {
      const size_t slo = rng() % slos_.size();
      const int when = static_cast<int>(rng() % 100);
      int64_t ts = now - static_cast<int64_t>(rng() % (20 * kMin));
      if (when >= 75) ts = now - static_cast<int64_t>(rng() % (8 * kDayMs));
      if (when >= 95) ts = now - static_cast<int64_t>(rng() % (70 * kDayMs));  // some beyond retention
      const uint64_t total = rng() % 8;
      const uint64_t good = total - (rng() % 3 == 0 ? rng() % (total + 1) : 0);
      body += fmt::format(R"({}{{"service":"{}","ts":{},"good":{},"total":{}}})", i ? "," : "", services[slo], ts, good,
                          total);
      sent.push_back({slo, {ts, good, total}});
    }
    const HttpResult res = client.post("/v1/events", body + "]}");
    ASSERT_EQ(res.status, 200) << res.body;
    std::vector<bool> refused(sent.size());
    const auto answer = res.json();  // named: iterating res.json()[...] would outlive the temporary
    for (const auto& e : answer["errors"]) refused[e["index"].get<size_t>()] = true;
    for (size_t i = 0; i < sent.size(); ++i) {
      if (!refused[i]) slos_[sent[i].first].events.push_back(sent[i].second);
    }
    if (round % 40 != 39) continue;
    // The default query, and others: a step chosen at random, from/to, a fine step over hours.
    // A whole window back from `to` needs `to` within the slack the rings keep beyond twice the
    // window (storage.status_lookback + max_future, and a bucket).
    const int64_t to = now - static_cast<int64_t>(rng() % (50 * kMin));
    for (const ModelSlo& s : slos_) {
      check(client, s, "", now);
      if (HasFatalFailure()) return;
      // The 1d window's ring keeps 2d: its points reach back a day and an hour.
      const bool short_ring = s.name == "rolling-1d";
      const char* steps[] = {"1h", "2h", "6h", "1d", "15m"};
      const char* step = steps[rng() % 5];
      if (s.name == "rolling-30d" || s.name == "month-berlin") step = steps[rng() % 4];
      if (short_ring) step = rng() % 2 ? steps[rng() % 3] : steps[4];  // no 1d over 20h
      check(client, s, fmt::format("step={}&to={}{}", step, to, short_ring ? "&range=20h" : ""), now);
      if (HasFatalFailure()) return;
      check(client, s, fmt::format("from={}&to={}&step=1m", to - 5 * kHourMs, to), now);
      if (HasFatalFailure()) return;
      check(client, s,
            fmt::format("range={}&step=5m&to={}", short_ring ? "20h" : "3d", format_rfc3339(from_unix_ms(to))), now);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(points_, 20000u);
  EXPECT_GT(rates_, 2 * null_rates_) << "burn rates are null only where no ring holds the window";
  EXPECT_GT(now - kStartMs, 31 * kDayMs);
}

INSTANTIATE_TEST_SUITE_P(Streams, History, ::testing::Values(13u, 20261201u));

}  // namespace
}  // namespace budgetd::test
