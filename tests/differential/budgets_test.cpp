// Calendar and timeslice budget windows against a brute-force model. Random event streams go
// through the real server; the model keeps every accepted event and recomputes each budget
// window of each status answer by hand: its bounds, its counts, and (timeslice methods) every
// slice, good, bad or empty.
//
// The model's calendar periods come from glibc (mktime under TZ=zone), not from the date
// library budgetd uses: two implementations of the tz rules must agree on every boundary. They
// are computed before the daemon starts, because setenv("TZ") is not safe once threads run.
//
// Budget semantics under test (DESIGN.md §3, eval/budget.h): resolution R = the slice under the
// timeslice methods, else 1h (5m in zones with :30/:45 offsets) for calendar windows, else the
// rolling window's own; end = floor(t / R) * R + R; start = end - W (rolling) or the start of
// the local period holding t (calendar). A slice is good when good/total >= target; empty
// slices are good; a calendar window's slices are its whole period's.

#include <cstdlib>
#include <ctime>
#include <map>
#include <random>
#include <set>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

constexpr int64_t kSec = 1000, kMin = 60 * kSec, kHourMs = 60 * kMin, kDayMs = 24 * kHourMs;
constexpr int64_t kMaxFuture = 5 * kMin;
constexpr int64_t kLookback = kHourMs;
// 2026-10-20T00:00:00Z: the stream crosses the October DST change in Berlin (Oct 25), the
// November one in New York (Nov 1), and the Oct/Nov month boundary.
constexpr int64_t kStartMs = 1792454400000;

int64_t fdiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t rolling_resolution(int64_t w) {
  return w <= kHourMs ? 10 * kSec : w <= 6 * kHourMs ? kMin : w <= 3 * kDayMs ? 5 * kMin : kHourMs;
}

// Every local period start of `unit` in `zone` between two instants, by glibc.
std::vector<int64_t> period_starts(const std::string& zone, const std::string& unit, int64_t from_ms, int64_t to_ms) {
  const char* old = std::getenv("TZ");
  const std::string saved = old ? old : "";
  setenv("TZ", zone.c_str(), 1);
  tzset();
  std::time_t t = static_cast<std::time_t>(from_ms / 1000);
  std::tm tm{};
  localtime_r(&t, &tm);
  tm.tm_hour = tm.tm_min = tm.tm_sec = 0;
  if (unit == "week") tm.tm_mday -= (tm.tm_wday + 6) % 7;  // back to Monday
  if (unit == "month") tm.tm_mday = 1;
  std::vector<int64_t> out;
  for (;;) {
    tm.tm_isdst = -1;
    std::tm copy = tm;
    const int64_t start = static_cast<int64_t>(std::mktime(&copy)) * 1000;
    if (start > to_ms) break;
    out.push_back(start);
    if (unit == "day") tm.tm_mday += 1;
    if (unit == "week") tm.tm_mday += 7;
    if (unit == "month") tm.tm_mon += 1;
  }
  if (old) {
    setenv("TZ", saved.c_str(), 1);
  } else {
    unsetenv("TZ");
  }
  tzset();
  return out;
}

struct Rec {
  int64_t ts;
  uint64_t good, total;
};

struct ModelSlo {
  std::string name;
  std::string method = "occurrences";  // or timeslices, ratio_timeslices
  int64_t slice = 0;
  double target = 0;             // exact in binary for the values used (0.75, 0.5)
  int64_t rolling = 0;           // a rolling window, or ...
  std::vector<int64_t> periods;  // ... a calendar one: its period starts
  int64_t calendar_resolution = 0;
  std::vector<Rec> events;

  int64_t resolution() const {
    if (slice != 0) return slice;
    return rolling != 0 ? rolling_resolution(rolling) : calendar_resolution;
  }
  int64_t span() const { return rolling != 0 ? rolling : 31 * kDayMs + kHourMs; }  // months here

  // The earliest event time still retained: per ring (resolution), the longest span it serves
  // plus ceil((max_future + lookback) / r) + 1 buckets, counted back from the bucket holding
  // now + max_future; alert windows (the defaults) and 1h at their own resolutions.
  int64_t oldest_retained(int64_t now) const {
    std::map<int64_t, int64_t> longest;
    for (int64_t w : {5 * kMin, 30 * kMin, kHourMs, 2 * kHourMs, 6 * kHourMs, kDayMs, 3 * kDayMs})
      longest[rolling_resolution(w)] = std::max(longest[rolling_resolution(w)], w);
    longest[resolution()] = std::max(longest[resolution()], span());
    int64_t oldest = now;
    for (auto [r, w] : longest) {
      const int64_t slots = std::max((w + r - 1) / r + (kMaxFuture + kLookback + r - 1) / r + 1, kHourMs / r);
      oldest = std::min(oldest, (fdiv(now + kMaxFuture, r) - slots + 1) * r);
    }
    return oldest;
  }
};

class Budgets : public ::testing::TestWithParam<uint64_t> {
 protected:
  static constexpr const char* kYaml = R"(
slos:
  - {name: month-berlin, service: s, objective: 99.9, sli: {type: ratio},
     windows: [{calendar: month, timezone: Europe/Berlin}]}
  - {name: week-kolkata, service: s, objective: 99, sli: {type: ratio},
     windows: [{calendar: week, timezone: Asia/Kolkata}]}
  - {name: slices-7d, service: s, objective: 99, sli: {type: ratio}, windows: ["7d"],
     budgeting: {method: timeslices, slice: 1m, slice_target: 0.75}}
  - {name: ratio-day-ny, service: s, objective: 98, sli: {type: ratio},
     windows: [{calendar: day, timezone: America/New_York}], budgeting: {method: ratio_timeslices, slice: 5m}}
  - {name: slices-month-utc, service: s, objective: 99.5, sli: {type: ratio},
     windows: [{calendar: month, timezone: UTC}], budgeting: {method: timeslices, slice: 1h, slice_target: 0.5}}
)";

  void SetUp() override {
    const int64_t from = kStartMs - 40 * kDayMs, to = kStartMs + 400 * kDayMs;
    const auto add = [&](std::string name, std::string method, int64_t slice, double target, int64_t rolling,
                         std::vector<int64_t> periods, int64_t calendar_resolution) {
      ModelSlo m;
      m.name = std::move(name);
      m.method = std::move(method);
      m.slice = slice;
      m.target = target;
      m.rolling = rolling;
      m.periods = std::move(periods);
      m.calendar_resolution = calendar_resolution;
      slos_.push_back(std::move(m));
    };
    add("month-berlin", "occurrences", 0, 0, 0, period_starts("Europe/Berlin", "month", from, to), kHourMs);
    add("week-kolkata", "occurrences", 0, 0, 0, period_starts("Asia/Kolkata", "week", from, to), 5 * kMin);
    add("slices-7d", "timeslices", kMin, 0.75, 7 * kDayMs, {}, 0);
    add("ratio-day-ny", "ratio_timeslices", 5 * kMin, 0, 0, period_starts("America/New_York", "day", from, to),
        kHourMs);
    add("slices-month-utc", "timeslices", kHourMs, 0.5, 0, period_starts("UTC", "month", from, to), kHourMs);
    ASSERT_GT(slos_[0].periods.size(), 10u);
  }

  void check(HttpClient& client, const ModelSlo& s, int64_t at, int64_t now) {
    const std::string target = at == now ? "/v1/slos/" + s.name : fmt::format("/v1/slos/{}?at={}", s.name, at);
    const HttpResult res = client.get(target);
    ASSERT_EQ(res.status, 200) << res.body;
    const auto j = res.json();
    const auto& b = j["budget"];
    const int64_t r = s.resolution();
    const int64_t end = (fdiv(at, r) + 1) * r;
    int64_t start = end - s.rolling, period_end = 0;
    if (s.rolling == 0) {
      const auto it = std::upper_bound(s.periods.begin(), s.periods.end(), at);
      start = *(it - 1);
      period_end = *it;
      ASSERT_EQ(b["period_end"], format_rfc3339(from_unix_ms(period_end))) << s.name << " at " << at;
    }
    ASSERT_EQ(b["start"], format_rfc3339(from_unix_ms(start))) << s.name << " at " << at;
    ASSERT_EQ(b["end"], format_rfc3339(from_unix_ms(end))) << s.name << " at " << at;
    uint64_t good = 0, total = 0;
    std::map<int64_t, std::pair<uint64_t, uint64_t>> slices;  // slice start -> good, total
    for (const Rec& e : s.events) {
      if (e.ts < start || e.ts >= end) continue;
      good += e.good;
      total += e.total;
      if (s.slice != 0) {
        auto& sl = slices[fdiv(e.ts, s.slice) * s.slice];
        sl.first += e.good;
        sl.second += e.total;
      }
    }
    ASSERT_EQ(b["total"].get<uint64_t>(), total) << s.name << " at " << at;
    ASSERT_EQ(b["good"].get<uint64_t>(), good) << s.name << " at " << at;
    ++checked_;
    if (s.slice == 0) return;
    uint64_t bad = 0, nonempty = 0;
    long double ratio_sum = 0;
    for (const auto& [first, gt] : slices) {
      if (gt.second == 0) continue;  // events with total 0 leave a slice empty
      ++nonempty;
      const double ratio = static_cast<double>(gt.first) / static_cast<double>(gt.second);
      ratio_sum += static_cast<long double>(gt.first) / static_cast<long double>(gt.second);
      if (s.method == "timeslices" && ratio < s.target) ++bad;
    }
    const uint64_t begun = static_cast<uint64_t>((end - start) / s.slice);
    const uint64_t in_window = s.rolling != 0 ? begun : static_cast<uint64_t>((period_end - start) / s.slice);
    const auto& sl = b["slices"];
    ASSERT_EQ(sl["total"].get<uint64_t>(), in_window) << s.name;
    ASSERT_EQ(sl["bad"].get<uint64_t>(), bad) << s.name << " at " << at;
    ASSERT_EQ(sl["good"].get<uint64_t>(), in_window - bad) << s.name;
    ASSERT_EQ(sl["empty"].get<uint64_t>(), begun - nonempty) << s.name << " at " << at;
    ASSERT_EQ(sl["upcoming"].get<uint64_t>(), in_window - begun) << s.name;
    const double budget = 1.0 - j["objective"].get<double>() / 100;
    if (s.method == "timeslices") {
      const double consumed = static_cast<double>(bad) / (budget * static_cast<double>(in_window));
      ASSERT_NEAR(b["remaining"].get<double>(), 1 - consumed, 1e-9) << s.name << " at " << at;
    } else {
      const double mean = nonempty == 0 ? 1.0 : static_cast<double>(ratio_sum / nonempty);
      ASSERT_NEAR(sl["mean_ratio"].get<double>(), mean, 1e-12) << s.name << " at " << at;
      ASSERT_NEAR(b["remaining"].get<double>(), 1 - (1 - mean) / budget, 1e-9) << s.name << " at " << at;
    }
  }

  std::vector<ModelSlo> slos_;
  uint64_t checked_ = 0;
};

TEST_P(Budgets, CalendarAndTimesliceWindowsMatchABruteForceModel) {
  TestDaemon d(kYaml, from_unix_ms(kStartMs));
  HttpClient client(d.port());
  std::mt19937_64 rng(GetParam());
  int64_t now = kStartMs;
  uint64_t accepted = 0;
  for (int step = 0; step < 1200; ++step) {
    // Small steps, and jumps of up to 30 hours that cross periods and recycle ring slots.
    now += rng() % 25 == 0 ? static_cast<int64_t>(rng() % (30 * kHourMs)) : static_cast<int64_t>(rng() % (3 * kMin));
    d.clock().set(from_unix_ms(now));
    std::string body = R"({"events":[)";
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      // Mostly recent, some late by hours or days (some beyond retention), some ahead.
      const int when = static_cast<int>(rng() % 100);
      int64_t ts = now - static_cast<int64_t>(rng() % (10 * kMin));
      if (when >= 70 && when < 90) ts = now - static_cast<int64_t>(rng() % (3 * kDayMs));
      if (when >= 90 && when < 97) ts = now - static_cast<int64_t>(rng() % (40 * kDayMs));
      if (when >= 97) ts = now + static_cast<int64_t>(rng() % (4 * kMin));
      const uint64_t total = rng() % 6;  // zero totals too: they leave a slice empty
      const uint64_t good = total - (rng() % 3 == 0 ? rng() % (total + 1) : 0);
      body += fmt::format(R"({}{{"service":"s","ts":{},"good":{},"total":{}}})", i ? "," : "", ts, good, total);
      for (ModelSlo& s : slos_) {
        if (ts >= s.oldest_retained(now)) s.events.push_back({ts, good, total});
      }
    }
    const HttpResult res = client.post("/v1/events", body + "]}");
    ASSERT_EQ(res.status, 200) << res.body;
    accepted += res.json()["accepted"].get<uint64_t>();
    if (step % 6 == 5) {
      for (const ModelSlo& s : slos_) {
        check(client, s, now, now);
        if (HasFatalFailure()) return;
        check(client, s, now - static_cast<int64_t>(rng() % kLookback), now);
        if (HasFatalFailure()) return;
      }
    }
  }
  EXPECT_GT(accepted, 10000u);
  EXPECT_GE(checked_, 1500u);
  EXPECT_GT(now - kStartMs, 20 * kDayMs) << "the stream should cross periods and DST changes";
}

INSTANTIATE_TEST_SUITE_P(Streams, Budgets, ::testing::Values(7u, 20261124u, 99u));

}  // namespace
}  // namespace budgetd::test
