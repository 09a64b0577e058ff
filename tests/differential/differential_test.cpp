// The evaluator against a brute-force count. Random event streams go through the real server
// (HTTP, decoder, router, store); a model written independently of budgetd's code keeps every
// accepted event, and every window of every status answer must match it to the event.
//
// Window semantics under test (DESIGN.md §3): at time t a window of length W with bucket
// resolution r covers [end - W, end) with end = floor(t / r) * r + r; r = 10s up to 1h, 1m up
// to 6h, 5m up to 3d, 1h beyond. An event lands if it is at most max_future ahead and not older
// than the SLO's retention: per resolution r, its longest window (the primary budget window
// counting twice, for the history) plus ceil((max_future + lookback) / r) + 1 buckets, counted
// back from the bucket holding now + max_future.

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

int64_t fdiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t resolution(int64_t w) {
  return w <= kHourMs ? 10 * kSec : w <= 6 * kHourMs ? kMin : w <= 3 * kDayMs ? 5 * kMin : kHourMs;
}

struct Rec {
  int64_t ts;
  uint64_t good, total;
};

struct ModelSlo {
  std::string name, service;
  bool latency = false;
  double threshold = 0;
  bool failed_bad = true;
  std::map<std::string, std::string> match;
  std::vector<int64_t> budget_windows;  // ms, first is primary
  std::vector<int64_t> all_windows;     // budget + default alert windows
  std::vector<Rec> events;

  int64_t oldest_retained(int64_t now) const {
    std::map<int64_t, int64_t> longest;  // resolution -> longest window
    for (int64_t w : all_windows) longest[resolution(w)] = std::max(longest[resolution(w)], w);
    // The primary window's ring keeps it twice, for the history.
    const int64_t primary = budget_windows.front();
    longest[resolution(primary)] = std::max(longest[resolution(primary)], 2 * primary);
    int64_t oldest = now;
    for (auto [r, w] : longest) {
      const int64_t slots = w / r + (kMaxFuture + kLookback + r - 1) / r + 1;
      oldest = std::min(oldest, (fdiv(now + kMaxFuture, r) - slots + 1) * r);
    }
    return oldest;
  }
};

struct GenEvent {
  std::string json;
  bool valid = true;
  std::string service;
  int64_t ts = 0;
  std::map<std::string, std::string> labels;
  enum { kFlag, kCounts, kLatency } form = kFlag;
  bool has_flag = false, flag = false;
  uint64_t good = 0, total = 0;
  double latency = 0;
};

class Differential : public ::testing::Test {
 protected:
  static constexpr const char* kYaml = R"(
slos:
  - {name: co-avail, service: checkout, objective: 99.9, windows: ["30d", "7d"], sli: {type: ratio}}
  - {name: co-avail-eu, service: checkout, objective: 99.5, windows: ["7d"], sli: {type: ratio}, match: {region: eu}}
  - {name: co-fast, service: checkout, objective: 99, windows: ["28d"], sli: {type: latency, threshold_ms: 250}}
  - {name: co-fast-lenient, service: checkout, objective: 95, windows: ["1d"], sli: {type: latency, threshold_ms: 250, failed_requests_are_bad: false}}
  - {name: search-avail, service: search, objective: 99.95, windows: ["30d"], sli: {type: ratio}, match: {region: us, tier: gold}}
)";

  void SetUp() override {
    const std::vector<int64_t> alert = {5 * kMin, 30 * kMin, kHourMs, 2 * kHourMs, 6 * kHourMs, kDayMs, 3 * kDayMs};
    auto add = [&](ModelSlo s) {
      s.all_windows = alert;
      for (int64_t w : s.budget_windows) s.all_windows.push_back(w);
      slos_.push_back(std::move(s));
    };
    add({"co-avail", "checkout", false, 0, true, {}, {30 * kDayMs, 7 * kDayMs}, {}, {}});
    add({"co-avail-eu", "checkout", false, 0, true, {{"region", "eu"}}, {7 * kDayMs}, {}, {}});
    add({"co-fast", "checkout", true, 250, true, {}, {28 * kDayMs}, {}, {}});
    add({"co-fast-lenient", "checkout", true, 250, false, {}, {kDayMs}, {}, {}});
    add({"search-avail", "search", false, 0, true, {{"region", "us"}, {"tier", "gold"}}, {30 * kDayMs}, {}, {}});
  }

  GenEvent random_event(std::mt19937_64& rng, int64_t now) {
    GenEvent e;
    const int pick = static_cast<int>(rng() % 100);
    e.service = pick < 60 ? "checkout" : pick < 90 ? "search" : "unknown-svc";
    // ts: absent (= now), recent, late by hours or weeks (some beyond retention), or ahead.
    const int t = static_cast<int>(rng() % 100);
    bool has_ts = true;
    if (t < 15) {
      has_ts = false;
      e.ts = now;
    } else if (t < 60)
      e.ts = now - static_cast<int64_t>(rng() % (2 * kHourMs));
    else if (t < 80)
      e.ts = now - static_cast<int64_t>(rng() % (3 * kDayMs));
    else if (t < 92)
      e.ts = now - static_cast<int64_t>(rng() % (40 * kDayMs));
    else
      e.ts = now + static_cast<int64_t>(rng() % (7 * kMin));  // some beyond max_future
    if (rng() % 3 == 0) e.labels["region"] = rng() % 2 ? "eu" : "us";
    if (rng() % 3 == 0) e.labels["tier"] = rng() % 2 ? "gold" : "silver";
    const int form = static_cast<int>(rng() % 3);
    std::string fields;
    if (form == 0) {
      e.form = GenEvent::kFlag;
      e.has_flag = true;
      e.flag = rng() % 10 != 0;
      fields = fmt::format(R"("good":{})", e.flag);
    } else if (form == 1) {
      e.form = GenEvent::kCounts;
      e.total = rng() % 50;  // zero totals too
      e.good = e.total == 0 ? 0 : e.total - rng() % (e.total / 5 + 1);
      fields = fmt::format(R"("good":{},"total":{})", e.good, e.total);
    } else {
      e.form = GenEvent::kLatency;
      e.latency = static_cast<double>(rng() % 600) + (rng() % 2 ? 0.5 : 0);
      fields = fmt::format(R"("latency_ms":{})", e.latency);
      if (rng() % 4 == 0) {
        e.has_flag = true;
        e.flag = rng() % 2;
        fields += fmt::format(R"(,"good":{})", e.flag);
      }
    }
    if (rng() % 40 == 0) {  // an invalid event: good > total
      e.valid = false;
      fields = R"("good":5,"total":2)";
    }
    std::string labels;
    for (const auto& [k, v] : e.labels) labels += fmt::format(R"({}"{}":"{}")", labels.empty() ? "" : ",", k, v);
    std::string ts;
    if (has_ts)
      ts = rng() % 2 ? fmt::format(R"(,"ts":{})", e.ts)
                     : fmt::format(R"(,"ts":"{}")", format_rfc3339(from_unix_ms(e.ts)));
    e.json = fmt::format(R"({{"service":"{}"{},{}{}}})", e.service, ts, fields,
                         labels.empty() ? "" : R"(,"labels":{)" + labels + "}");
    return e;
  }

  // Applies one event to the model; returns "accepted", "rejected" or "unmatched".
  std::string model_apply(const GenEvent& e, int64_t now) {
    if (!e.valid) return "rejected";
    if (e.ts > now + kMaxFuture) return "rejected";
    bool matched = false, fed = false;
    for (ModelSlo& s : slos_) {
      if (s.service != e.service) continue;
      bool labels_ok = true;
      for (const auto& [k, v] : s.match) {
        auto it = e.labels.find(k);
        labels_ok = labels_ok && it != e.labels.end() && it->second == v;
      }
      if (!labels_ok) continue;
      Rec r{e.ts, 0, 0};
      if (!s.latency) {
        if (e.form == GenEvent::kCounts)
          r = {e.ts, e.good, e.total};
        else if (e.has_flag)
          r = {e.ts, e.flag ? 1u : 0u, 1};
        else
          continue;
      } else {
        if (e.form != GenEvent::kLatency) continue;
        const bool failed = s.failed_bad && e.has_flag && !e.flag;
        r = {e.ts, (!failed && e.latency <= s.threshold) ? 1u : 0u, 1};
      }
      matched = true;
      if (e.ts < s.oldest_retained(now)) continue;
      s.events.push_back(r);
      fed = true;
    }
    if (fed) return "accepted";
    return matched ? "rejected" : "unmatched";
  }

  void check_status(HttpClient& client, const ModelSlo& s, int64_t at, int64_t now) {
    const std::string target = at == now ? "/v1/slos/" + s.name : fmt::format("/v1/slos/{}?at={}", s.name, at);
    const HttpResult res = client.get(target);
    ASSERT_EQ(res.status, 200) << res.body;
    const auto j = res.json();
    for (const auto& w : j["windows"]) {
      const int64_t len = parse_duration(w["window"].get<std::string>()).value().count();
      const int64_t r = resolution(len);
      const int64_t end = (fdiv(at, r) + 1) * r;
      const int64_t start = end - len;
      uint64_t good = 0, total = 0;
      for (const Rec& e : s.events) {
        if (e.ts >= start && e.ts < end) {
          good += e.good;
          total += e.total;
        }
      }
      ASSERT_EQ(w["start"], format_rfc3339(from_unix_ms(start))) << s.name << " " << w["window"];
      ASSERT_EQ(w["end"], format_rfc3339(from_unix_ms(end))) << s.name << " " << w["window"];
      ASSERT_EQ(w["total"].get<uint64_t>(), total) << s.name << " " << w["window"] << " at " << at;
      ASSERT_EQ(w["good"].get<uint64_t>(), good) << s.name << " " << w["window"] << " at " << at;
      ++windows_checked_;
    }
    // Coverage of the primary budget window: minutes up to `at` with at least one event.
    const auto& b = j["budget"];
    const int64_t start = to_unix_ms(parse_rfc3339(b["start"].get<std::string>()).value());
    const int64_t end = to_unix_ms(parse_rfc3339(b["end"].get<std::string>()).value());
    const int64_t elapsed_end = std::min(end, (fdiv(at, kMin) + 1) * kMin);
    std::set<int64_t> minutes;
    for (const Rec& e : s.events) {
      if (e.total > 0 && e.ts >= start && e.ts < elapsed_end) minutes.insert(fdiv(e.ts, kMin));
    }
    ASSERT_EQ(b["covered_minutes"].get<uint64_t>(), minutes.size()) << s.name;
    ASSERT_EQ(b["elapsed_minutes"].get<int64_t>(), (elapsed_end - start) / kMin) << s.name;
  }

  std::vector<ModelSlo> slos_;
  uint64_t windows_checked_ = 0;
};

class DifferentialSeeds : public Differential, public ::testing::WithParamInterface<uint64_t> {};

TEST_P(DifferentialSeeds, EveryWindowMatchesABruteForceCount) {
  TestDaemon d(kYaml);
  HttpClient client(d.port());
  std::mt19937_64 rng(GetParam());
  int64_t now = kT0Ms;
  uint64_t accepted = 0, rejected = 0, unmatched = 0;
  for (int step = 0; step < 1500; ++step) {
    // Time moves in small steps, with jumps of hours to a day that recycle ring slots.
    const int64_t advance =
        rng() % 30 == 0 ? static_cast<int64_t>(rng() % (30 * kHourMs)) : static_cast<int64_t>(rng() % (2 * kMin));
    now += advance;
    d.clock().set(from_unix_ms(now));

    const int n = 1 + static_cast<int>(rng() % 60);
    std::vector<GenEvent> events;
    for (int i = 0; i < n; ++i) events.push_back(random_event(rng, now));
    const bool ndjson = rng() % 2 == 0;
    std::string body;
    if (ndjson) {
      for (const auto& e : events) body += e.json + "\n";
    } else {
      body = R"({"events":[)";
      for (size_t i = 0; i < events.size(); ++i) body += (i ? "," : "") + events[i].json;
      body += "]}";
    }
    uint64_t want_a = 0, want_r = 0, want_u = 0;
    for (const auto& e : events) {
      const std::string outcome = model_apply(e, now);
      (outcome == "accepted" ? want_a : outcome == "rejected" ? want_r : want_u)++;
    }
    const HttpResult res = client.post("/v1/events", body, ndjson ? "application/x-ndjson" : "application/json");
    ASSERT_EQ(res.status, 200) << res.body;
    const auto j = res.json();
    ASSERT_EQ(j["accepted"].get<uint64_t>(), want_a) << "step " << step << "\n" << body << "\n" << res.body;
    ASSERT_EQ(j["rejected"].get<uint64_t>(), want_r) << "step " << step << "\n" << res.body;
    ASSERT_EQ(j["unmatched"].get<uint64_t>(), want_u) << "step " << step << "\n" << res.body;
    accepted += want_a;
    rejected += want_r;
    unmatched += want_u;

    if (step % 8 == 7) {
      for (const ModelSlo& s : slos_) {
        check_status(client, s, now, now);
        if (HasFatalFailure()) return;
        check_status(client, s, now - static_cast<int64_t>(rng() % kLookback), now);
        if (HasFatalFailure()) return;
      }
    }
  }
  // The stream exercised every outcome and many windows.
  EXPECT_GT(accepted, 20000u);
  EXPECT_GT(rejected, 500u);
  EXPECT_GT(unmatched, 2000u);
  EXPECT_GE(windows_checked_, 10000u);
}

INSTANTIATE_TEST_SUITE_P(Streams, DifferentialSeeds, ::testing::Values(20261124u, 1u, 42u, 977u));

}  // namespace
}  // namespace budgetd::test
