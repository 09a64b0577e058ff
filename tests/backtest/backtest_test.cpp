// budgetd backtest on synthetic histories: the SRE Workbook's detection times, exact budgets
// against a brute-force count, time order, bad lines, ranges and gaps.

#include <algorithm>
#include <random>
#include <sstream>

#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "budgetd/backtest/backtest.h"
#include "budgetd/config/loader.h"
#include "burn_scenario.h"

namespace budgetd::backtest {
namespace {

using ::testing::HasSubstr;

const Timestamp kT0 = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

constexpr const char* kCheckout = R"(
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    windows: ["30d"]
    sli: {type: ratio}
)";

config::Config load(const std::string& yaml) {
  auto r = config::load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return *r.config;
}

std::string event(Timestamp ts, uint64_t good, uint64_t total, const std::string& service = "checkout") {
  return fmt::format(R"({{"service":"{}","ts":{},"good":{},"total":{}}})", service, to_unix_ms(ts), good, total) + "\n";
}

// 100 requests every 10 s from `from` to `to`, all failing in [outage_start, outage_end).
std::string steady_traffic(Timestamp from, Timestamp to, Timestamp outage_start, Timestamp outage_end) {
  std::string out;
  for (Timestamp t = from; t < to; t += 10 * kSecond) {
    const bool bad = t >= outage_start && t < outage_end;
    out += event(t, bad ? 0 : 100, 100);
  }
  return out;
}

BacktestReport run(const std::string& yaml, const std::string& events, const BacktestOptions& o) {
  std::istringstream in(events);
  auto r = run_backtest(load(yaml), in, o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return std::move(*r);
}

const AlertRecord* find_alert(const SloHistory& h, std::string_view rule) {
  for (const auto& a : h.alerts) {
    if (a.rule == rule) return &a;
  }
  return nullptr;
}

// The SRE Workbook (ch. 5, table 5-8): at 99.9 % a 100 % outage is detected after
// factor x budget x long window of it: 51.84 s for 14.4x over 1h, 129.6 s for 6x over 6h,
// 259.2 s for 3x over 1d and for 1x over 3d. budgetd evaluates completed buckets of each long
// window's resolution (10 s, 1 m, 5 m, 5 m), so each alert comes at most one such bucket, plus
// one step, after the Workbook's time.
void expect_workbook_times(Timestamp outage, Millis step) {
  BacktestOptions o;
  o.step = step;
  o.from = outage - kHour;
  // Three days and an hour of steady traffic before, so every long window is full of it.
  const std::string history = steady_traffic(outage - 3 * kDay - kHour, outage + kHour, outage, outage + 30 * kMinute);
  const BacktestReport r = run(kCheckout, history, o);
  ASSERT_EQ(r.slos.size(), 1u);
  const SloHistory& h = r.slos[0];
  struct Expected {
    const char* rule;
    double workbook_seconds;
    Millis bucket;
  };
  for (const Expected& e : {Expected{"page-1h", 51.84, 10 * kSecond}, Expected{"page-6h", 129.6, kMinute},
                            Expected{"ticket-1d", 259.2, 5 * kMinute}, Expected{"ticket-3d", 259.2, 5 * kMinute}}) {
    SCOPED_TRACE(e.rule);
    const AlertRecord* a = find_alert(h, e.rule);
    ASSERT_NE(a, nullptr);
    ASSERT_TRUE(a->onset.has_value());
    EXPECT_EQ(*a->onset, outage);  // the first bad event
    const double delay = static_cast<double>(a->detection_delay->count()) / 1000.0;
    EXPECT_GE(delay, e.workbook_seconds);
    EXPECT_LT(delay, e.workbook_seconds + static_cast<double>((e.bucket + step).count()) / 1000.0);
  }
  EXPECT_EQ(h.pages, 2u);
  EXPECT_EQ(h.tickets, 2u);
}

TEST(Backtest, AFullOutageIsDetectedInTheWorkbooksTimes) {
  // On bucket edges, every 10 s: exactly the first completed bucket past the Workbook's time.
  expect_workbook_times(kT0, 10 * kSecond);
  const BacktestReport r = run(kCheckout, steady_traffic(kT0 - 3 * kDay - kHour, kT0 + kHour, kT0, kT0 + 30 * kMinute),
                               BacktestOptions{kT0 - kHour, std::nullopt, 10 * kSecond, kMinute, 1 << 20});
  std::vector<double> delays;
  for (const auto& a : r.slos[0].alerts) delays.push_back(static_cast<double>(a.detection_delay->count()) / 1000);
  EXPECT_EQ(delays, (std::vector<double>{60, 180, 300, 300}));
}

TEST(Backtest, DetectionTimesHoldForAnOutageOffTheBucketEdges) {
  expect_workbook_times(kT0 + 2 * kMinute + 37 * kSecond, 10 * kSecond);
  expect_workbook_times(kT0 + 2 * kMinute + 37 * kSecond, kMinute);
}

TEST(Backtest, TheOnsetIsTheOutageNotABackgroundError) {
  // One request in 2,000 fails all along (half the budget); the outage starts at T0.
  std::string history;
  for (Timestamp t = kT0 - 2 * kDay; t < kT0 + kHour; t += 10 * kSecond) {
    const int64_t i = (t - (kT0 - 2 * kDay)) / (10 * kSecond);
    if (t >= kT0 && t < kT0 + 20 * kMinute) {
      history += event(t, 0, 100);
    } else {
      history += event(t, i % 20 == 0 ? 99 : 100, 100);
    }
  }
  BacktestOptions o;
  o.step = 10 * kSecond;
  o.from = kT0 - kHour;
  const BacktestReport r = run(kCheckout, history, o);
  const AlertRecord* page = find_alert(r.slos[0], "page-1h");
  ASSERT_NE(page, nullptr);
  EXPECT_EQ(page->onset, kT0);
  EXPECT_EQ(page->start, kT0 + kMinute);
  ASSERT_TRUE(page->end.has_value());
  EXPECT_GT(page->budget_consumed, 0.3);
  EXPECT_TRUE(page->postmortem_required);
  EXPECT_EQ(r.slos[0].pages, 2u);
}

// The budget at every evaluation equals a brute-force count of the events in its window.
TEST(Backtest, BudgetsMatchABruteForceCount) {
  std::mt19937_64 rng(7);
  struct Ev {
    Timestamp ts;
    uint64_t good, total;
  };
  std::vector<Ev> evs;
  for (Timestamp t = kT0 - 40 * kDay; t < kT0; t += Millis{static_cast<int64_t>(1 + rng() % 3'600'000)}) {
    const uint64_t total = 1 + rng() % 1000;
    evs.push_back({t, total - (rng() % 4 == 0 ? rng() % 3 : 0), total});
  }
  std::string history;
  for (const Ev& e : evs) history += event(e.ts, e.good, e.total);
  BacktestOptions o;
  o.step = kHour;
  const BacktestReport r = run(kCheckout, history, o);
  const SloHistory& h = r.slos[0];
  ASSERT_GE(h.daily.size(), 30u);
  for (const BudgetSample& s : h.daily) {
    // The 30d window at s.at ends with the hour bucket holding it; the evaluation at s.at has
    // seen the events before s.at.
    const Timestamp end = from_unix_ms((floor_div(to_unix_ms(s.at), kHour.count()) + 1) * kHour.count());
    uint64_t good = 0, total = 0;
    for (const Ev& e : evs) {
      if (e.ts >= end - 30 * kDay && e.ts < s.at) {
        good += e.good;
        total += e.total;
      }
    }
    const double want =
        total == 0 ? 1.0 : 1.0 - static_cast<double>(total - good) / (0.001 * static_cast<double>(total));
    EXPECT_DOUBLE_EQ(s.remaining, want) << format_rfc3339(s.at);
  }
}

TEST(Backtest, EventsOutOfOrderWithinTheReorderWindowReplayInTimeOrder) {
  const std::string sorted = steady_traffic(kT0 - 2 * kHour, kT0 + kHour, kT0, kT0 + 10 * kMinute);
  // Swap neighbours up to 50 s apart.
  std::vector<std::string> lines;
  std::istringstream in(sorted);
  for (std::string l; std::getline(in, l);) lines.push_back(l + "\n");
  std::mt19937_64 rng(3);
  for (size_t i = 0; i + 5 < lines.size(); i += 6)
    std::shuffle(lines.begin() + static_cast<long>(i), lines.begin() + static_cast<long>(i) + 6, rng);
  std::string shuffled;
  for (const auto& l : lines) shuffled += l;
  BacktestOptions o;
  o.step = 10 * kSecond;
  const std::string a = report_json(run(kCheckout, sorted, o));
  const BacktestReport b = run(kCheckout, shuffled, o);
  EXPECT_EQ(b.input.late, 0u);
  EXPECT_EQ(report_json(b), a);

  // With no reorder window, the same shuffle is late events: counted, and still in the store.
  o.reorder = Millis{0};
  const BacktestReport c = run(kCheckout, shuffled, o);
  EXPECT_GT(c.input.late, 0u);
  EXPECT_EQ(c.input.applied, lines.size());
  EXPECT_EQ(c.slos[0].daily.back().remaining, b.slos[0].daily.back().remaining);
}

TEST(Backtest, BadLinesAreReportedWithTheirNumberAndTheRestIsReplayed) {
  std::string history = R"({"service":"checkout","good":true})"
                        "\n";  // no ts and no clock yet
  history += event(kT0, 10, 10);
  history += "{not json\n";
  history += "\n";
  history += event(kT0 + kSecond, 11, 10);
  history += std::string(300, 'x') + "\n";
  history += event(kT0 + 2 * kSecond, 5, 10, "payments");
  history += R"({"service":"checkout","good":false})"
             "\n";                             // no ts: at the clock, kT0 + 2 s
  history += event(kT0 + 3 * kSecond, 7, 10);  // the last line has no newline:
  history.pop_back();
  BacktestOptions o;
  o.max_line_bytes = 200;
  const BacktestReport r = run(kCheckout, history, o);
  const InputStats& in = r.input;
  EXPECT_EQ(in.lines, 8u);
  EXPECT_EQ(in.events, 6u);
  EXPECT_EQ(in.applied, 3u);
  EXPECT_EQ(in.unmatched, 1u);
  EXPECT_EQ(in.rejected, 2u);
  EXPECT_EQ(in.malformed, 2u);
  ASSERT_EQ(in.errors.size(), 4u);
  EXPECT_EQ(in.errors[0].line, 1u);
  EXPECT_THAT(in.errors[0].error, HasSubstr("no ts"));
  EXPECT_EQ(in.errors[1].line, 3u);
  EXPECT_THAT(in.errors[1].error, HasSubstr("not valid JSON"));
  EXPECT_THAT(in.errors[1].error, HasSubstr("the line was skipped"));
  EXPECT_EQ(in.errors[2].line, 5u);
  EXPECT_THAT(in.errors[2].error, HasSubstr("good (11) must not exceed total (10)"));
  EXPECT_EQ(in.errors[3].line, 6u);
  EXPECT_THAT(in.errors[3].error, HasSubstr("longer than 200 bytes"));
  // 10/10, 0/1 and 7/10 in the window.
  const BudgetSample& last = r.slos[0].daily.back();
  EXPECT_DOUBLE_EQ(last.sli, 17.0 / 21.0);
}

TEST(Backtest, FromWarmsTheWindowsAndToEndsTheReplay) {
  // A bad hour a day before --from still weighs on the budget at --from.
  std::string history = steady_traffic(kT0 - 2 * kDay, kT0 + kDay, kT0 - kDay, kT0 - kDay + kHour);
  BacktestOptions o;
  o.from = kT0;
  o.to = kT0 + 6 * kHour;
  o.step = kMinute;
  const BacktestReport r = run(kCheckout, history, o);
  EXPECT_EQ(r.from, kT0);
  EXPECT_EQ(r.to, kT0 + 6 * kHour);
  EXPECT_EQ(r.evaluations, 6u * 60 + 1);
  const SloHistory& h = r.slos[0];
  EXPECT_TRUE(h.alerts.empty() || h.alerts.front().start >= kT0);
  // At --from: the bad hour's 360 x 100 requests out of two days of 100 every 10 s.
  const double total = 100.0 * (2 * 24 * 360);
  EXPECT_DOUBLE_EQ(h.daily.front().remaining, 1 - (360 * 100) / (0.001 * total));
  EXPECT_GT(r.input.after_to, 0u);
  EXPECT_LT(r.input.events, 3u * 24 * 360);  // reading stopped soon after --to
}

TEST(Backtest, AGapInTheHistoryIsNotEvaluatedStepByStep) {
  std::string history = steady_traffic(kT0 - 100 * kDay, kT0 - 100 * kDay + kHour, kT0, kT0);
  history += steady_traffic(kT0, kT0 + kHour, kT0, kT0);
  BacktestOptions o;
  o.step = 5 * kMinute;
  const BacktestReport r = run(kCheckout, history, o);
  // Evaluated for 30 days and an hour after the first burst (until its data left every window),
  // then from the second: the 69 days between are skipped.
  EXPECT_GT(r.skipped_evaluations, 12u * 24 * 60);
  EXPECT_LT(r.evaluations, 12u * 24 * 40);
  EXPECT_EQ(r.from, kT0 - 100 * kDay);
  EXPECT_EQ(r.to, kT0 + kHour);
}

TEST(Backtest, TheGateFollowsThePagesAndTiers) {
  BacktestOptions o;
  o.step = 10 * kSecond;
  o.from = kT0 - kHour;
  const BacktestReport r = run(kCheckout, steady_traffic(kT0 - 3 * kDay, kT0 + kHour, kT0, kT0 + 10 * kMinute), o);
  ASSERT_EQ(r.gate.size(), 4u);
  const GateHistory& feature = r.gate[0];
  EXPECT_EQ(feature.service, "checkout");
  EXPECT_EQ(feature.change, config::ChangeType::kFeature);
  EXPECT_EQ(feature.allowed + feature.denied, r.evaluations);
  ASSERT_GE(feature.changes.size(), 2u);
  EXPECT_EQ(feature.changes[0].at, kT0 - kHour);
  EXPECT_EQ(feature.changes[0].verdict, policy::Verdict::kAllow);
  EXPECT_EQ(feature.changes[1].at, kT0 + kMinute);  // page-1h fires
  EXPECT_EQ(feature.changes[1].verdict, policy::Verdict::kDeny);
  EXPECT_THAT(feature.changes[1].reason, HasSubstr("the page alert page-1h is firing"));
  const GateHistory& security = r.gate[3];
  EXPECT_EQ(security.denied, 0u);
  EXPECT_EQ(r.slos[0].tiers.front().tier, "healthy");
  EXPECT_EQ(r.slos[0].tiers.back().tier, "exhausted");
}

TEST(Backtest, PagesPerWeekAndTheReports) {
  // Two outages a day apart, over a week of evaluations.
  std::string history =
      steady_traffic(kT0 - 3 * kDay, kT0 - 2 * kDay, kT0 - 3 * kDay + kHour, kT0 - 3 * kDay + kHour + 5 * kMinute);
  history += steady_traffic(kT0 - 2 * kDay, kT0 + 4 * kDay, kT0, kT0 + 5 * kMinute);
  BacktestOptions o;
  o.step = kMinute;
  const BacktestReport r = run(kCheckout, history, o);
  const SloHistory& h = r.slos[0];
  EXPECT_EQ(h.pages, 4u);  // page-1h and page-6h, twice
  EXPECT_EQ(*r.to - *r.from, 7 * kDay);
  EXPECT_DOUBLE_EQ(r.per_week(h.pages), 4.0);
  const auto j = nlohmann::json::parse(report_json(r));
  EXPECT_EQ(j["slos"][0]["pages"], 4);
  EXPECT_EQ(j["slos"][0]["pages_per_week"], 4.0);
  EXPECT_EQ(j["slos"][0]["alerts"][0]["rule"], "page-1h");
  EXPECT_EQ(j["input"]["events"], r.input.events);
  EXPECT_EQ(j["gate"].size(), 4u);
  const std::string text = report_text(r);
  EXPECT_THAT(text, HasSubstr("SLO checkout-availability (service checkout): objective 99.9 %, budget window 30d"));
  EXPECT_THAT(text, HasSubstr("alerts: 4 pages (4.00 per week)"));
  EXPECT_THAT(text, HasSubstr("page   page-1h    fired "));
}

// The burn of tests/integration/episodes_test.cpp replayed: the same builder gives the same
// episode, figure for figure, as the daemon did live (README "Episodes and postmortems").
TEST(Backtest, ListsTheBurnEpisodesAsTheDaemonRecordsThem) {
  const std::string yaml = test::burn::kSlos;
  std::string history;
  for (int m = test::burn::kFirstMinute; m < 45; ++m) {
    history += event(kT0 + m * kMinute, test::burn::kRequestsPerMinute - test::burn::bad_in_minute(m),
                     test::burn::kRequestsPerMinute);
  }
  BacktestOptions o;
  o.step = kMinute;
  const BacktestReport r = run(yaml, history, o);
  ASSERT_EQ(r.slos[0].episodes.size(), 1u);
  const episodes::Episode& e = r.slos[0].episodes[0].episode;
  EXPECT_EQ(e.id, "checkout-availability@2026-11-24T10:07:00Z");
  EXPECT_EQ(e.start, kT0);
  EXPECT_EQ(e.detection, kT0 + 7 * kMinute);
  EXPECT_EQ(e.end, kT0 + 40 * kMinute);
  ASSERT_EQ(e.spans.size(), 2u);
  EXPECT_EQ(e.spans[0].resolved, kT0 + 15 * kMinute);
  EXPECT_EQ(e.spans[1].fired, kT0 + 8 * kMinute);
  EXPECT_EQ(e.bad_events, 3000u);
  EXPECT_DOUBLE_EQ(e.budget_consumed, 3000.0 / 8880.0);
  EXPECT_TRUE(e.postmortem_required);
  EXPECT_NEAR(e.peak_burn_rate, 3000.0 / 36000.0 / 0.01, 1e-9);
  const auto j = nlohmann::json::parse(report_json(r));
  EXPECT_EQ(j["slos"][0]["episodes"][0]["id"], "checkout-availability@2026-11-24T10:07:00Z");
  EXPECT_EQ(j["slos"][0]["episodes"][0]["end"], "2026-11-24T10:40:00Z");
  EXPECT_EQ(j["slos"][0]["episodes"][0]["contributors"]["labels"], nlohmann::json::array());
  EXPECT_EQ(j["slos"][0]["episodes_omitted"], 0);
  EXPECT_THAT(report_text(r), HasSubstr("  burn episodes: 1\n    checkout-availability@2026-11-24T10:07:00Z: "
                                        "2026-11-24T10:00:00Z to 2026-11-24T10:40:00Z; first alert 7m (420s) after "
                                        "the first bad event; rules page-fast,ticket-slow; peak burn 8.3x; used "
                                        "33.78 % of the 30d budget (postmortem required)\n"));
}

TEST(Backtest, OptionsThatCannotWorkAreRefused) {
  std::istringstream in("");
  BacktestOptions o;
  o.step = 15 * kSecond;
  EXPECT_THAT(run_backtest(load(kCheckout), in, o).status().message(), HasSubstr("multiple of 10s"));
  o.step = kMinute;
  o.from = kT0;
  o.to = kT0;
  EXPECT_THAT(run_backtest(load(kCheckout), in, o).status().message(), HasSubstr("must be after --from"));
  o.to.reset();
  const BacktestReport empty = *run_backtest(load(kCheckout), in, o);
  EXPECT_EQ(empty.evaluations, 0u);
  EXPECT_THAT(report_text(empty), HasSubstr("nothing was evaluated"));
}

}  // namespace
}  // namespace budgetd::backtest
