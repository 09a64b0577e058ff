// The evaluator's kept block sums (eval/evaluation_cache.h) against evaluating from the buckets
// alone. Random streams write into SLOs of every kind of window (rolling budgets of several
// lengths, calendar periods in zones with odd offsets, timeslice methods, latency), mostly
// recent events, some late by minutes to weeks, while time moves in steps of seconds to a day.
// At every tick the status with the cache must equal the status without it in every figure:
// each window's bounds and counts, each budget's counts, slices, coverage and shares, each alert
// rule's windows and state, the forecast; and the alert tracker fed with each (the budget each
// firing alert's episode consumed so far is read with the cache too) holds the same state.
// (The status without it is checked against a brute-force count by differential_test.cpp and
// budgets_test.cpp.)

#include <random>

#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/eval/evaluation_cache.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {
namespace {

constexpr const char* kYaml = R"(
slos:
  - {name: avail-30d, service: s, objective: 99.9, sli: {type: ratio}}
  - {name: avail-7d-28d, service: s, objective: 99.5, windows: ["7d", "28d", "2h"], sli: {type: ratio}}
  - {name: month-berlin, service: s, objective: 99.9, sli: {type: ratio},
     windows: [{calendar: month, timezone: Europe/Berlin}]}
  - {name: week-kolkata, service: s, objective: 99, sli: {type: ratio},
     windows: [{calendar: week, timezone: Asia/Kolkata}]}
  - {name: slices-7d, service: s, objective: 99, sli: {type: ratio}, windows: ["7d"],
     budgeting: {method: timeslices, slice: 1m, slice_target: 0.75}}
  - {name: ratio-day-ny, service: s, objective: 98, sli: {type: ratio},
     windows: [{calendar: day, timezone: America/New_York}], budgeting: {method: ratio_timeslices, slice: 5m}}
  - {name: fast, service: s, objective: 99, windows: ["1d"], sli: {type: latency, threshold_ms: 250}}
)";

std::shared_ptr<const store::SloSet> make_set() {
  auto r = config::load_config_string(kYaml, "cache.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return store::SloSet::build(*r.config, nullptr);
}

void expect_same(const WindowReport& got, const WindowReport& want, const std::string& where) {
  EXPECT_EQ(got.name, want.name) << where;
  EXPECT_EQ(got.bounds.start, want.bounds.start) << where << " " << want.name;
  EXPECT_EQ(got.bounds.end, want.bounds.end) << where << " " << want.name;
  EXPECT_EQ(got.counts, want.counts) << where << " " << want.name;
  EXPECT_EQ(got.saturated, want.saturated) << where << " " << want.name;
}

void expect_same(const SloStatus& got, const SloStatus& want, const std::string& where) {
  ASSERT_EQ(got.windows.size(), want.windows.size()) << where;
  for (size_t i = 0; i < want.windows.size(); ++i) expect_same(got.windows[i], want.windows[i], where);
  ASSERT_EQ(got.budgets.size(), want.budgets.size()) << where;
  for (size_t i = 0; i < want.budgets.size(); ++i) {
    const BudgetReport& g = got.budgets[i];
    const BudgetReport& w = want.budgets[i];
    expect_same(g.window, w.window, where + " budget");
    EXPECT_EQ(g.covered_minutes, w.covered_minutes) << where << " " << w.window.name;
    EXPECT_EQ(g.elapsed_minutes, w.elapsed_minutes) << where << " " << w.window.name;
    EXPECT_EQ(g.consumed, w.consumed) << where << " " << w.window.name;
    EXPECT_EQ(g.remaining, w.remaining) << where << " " << w.window.name;
    EXPECT_EQ(g.slices.has_value(), w.slices.has_value()) << where;
    if (g.slices && w.slices) {
      EXPECT_EQ(g.slices->bad, w.slices->bad) << where;
      EXPECT_EQ(g.slices->empty, w.slices->empty) << where;
      EXPECT_EQ(g.slices->nonempty, w.slices->nonempty) << where;
    }
  }
  ASSERT_EQ(got.alerts.size(), want.alerts.size()) << where;
  for (size_t i = 0; i < want.alerts.size(); ++i) {
    expect_same(got.alerts[i].long_window, want.alerts[i].long_window, where + " alert");
    expect_same(got.alerts[i].short_window, want.alerts[i].short_window, where + " alert");
    EXPECT_EQ(got.alerts[i].firing, want.alerts[i].firing) << where;
    EXPECT_EQ(got.alerts[i].low_traffic, want.alerts[i].low_traffic) << where;
  }
  EXPECT_EQ(got.forecast.burn_rate_1h, want.forecast.burn_rate_1h) << where;
  EXPECT_EQ(got.forecast.exhausted_at, want.forecast.exhausted_at) << where;
}

class EvaluationCacheSeeds : public ::testing::TestWithParam<uint64_t> {};

TEST_P(EvaluationCacheSeeds, TicksWithKeptBlocksEqualTicksWithout) {
  const auto set = make_set();
  EvaluationCache cache(set);
  AlertTracker cached_alerts;
  AlertTracker fresh_alerts;
  std::mt19937_64 rng(GetParam());
  Timestamp now = from_unix_ms(1795514400000);
  store::WriteStats st;
  uint64_t ticks = 0;
  uint64_t late = 0;
  uint64_t firing_seen = 0;
  for (int step = 0; step < 3000; ++step) {
    // Mostly seconds, sometimes minutes, now and then a jump of up to a day.
    const int64_t advance = rng() % 100 == 0  ? static_cast<int64_t>(rng() % kDay.count())
                            : rng() % 10 == 0 ? static_cast<int64_t>(rng() % (20 * kMinute.count()))
                                              : static_cast<int64_t>(rng() % (30 * kSecond.count()));
    now += Millis{advance};
    for (int e = 0; e < 8; ++e) {
      const store::StoredSlo& slo = set->slos()[rng() % set->slos().size()];
      const int pick = static_cast<int>(rng() % 100);
      // Recent (within the seal margin), late by up to a few hours, or by up to 35 days.
      const int64_t back = pick < 80   ? static_cast<int64_t>(rng() % (4 * kMinute.count()))
                           : pick < 95 ? static_cast<int64_t>(rng() % (6 * kHour.count()))
                                       : static_cast<int64_t>(rng() % (35 * kDay.count()));
      late += back > 5 * kMinute.count() ? 1 : 0;
      const uint64_t total = 1 + rng() % 20;
      const uint64_t good = rng() % 4 == 0 ? rng() % (total + 1) : total;
      const int64_t bucket = bucket_index(now - Millis{back}, kFinestResolution);
      if (to_unix_ms(now - Millis{back}) >= to_unix_ms(slo.series->oldest_retained(now))) {
        slo.series->add(now, bucket, good, total, st);
      }
    }
    if (rng() % 3 != 0) continue;
    ++ticks;
    for (size_t i = 0; i < set->slos().size(); ++i) {
      const store::StoredSlo& slo = set->slos()[i];
      auto cached = evaluate_slo(slo, now, now, kHour, cache.blocks(i));
      auto fresh = evaluate_slo(slo, now, now, kHour);
      ASSERT_EQ(cached.ok(), fresh.ok()) << slo.spec->name;
      if (!fresh.ok()) continue;
      expect_same(*cached, *fresh, slo.spec->name + " at " + format_rfc3339(now));
      cached_alerts.observe(slo, *cached, now, cache.blocks(i));
      fresh_alerts.observe(slo, *fresh, now);
      if (HasFailure()) return;
    }
    ASSERT_EQ(cached_alerts.save(), fresh_alerts.save()) << "at " << format_rfc3339(now);
    firing_seen += fresh_alerts.firing().size();
  }
  EXPECT_GT(ticks, 800u);
  EXPECT_GT(late, 3000u);
  EXPECT_GT(firing_seen, 100u);  // alerts fired, so their episodes' counts were compared
  // Most blocks were answered from earlier ticks: the cache was used, not bypassed.
  EXPECT_GT(cache.blocks_reused(), 100'000u);
}

INSTANTIATE_TEST_SUITE_P(Streams, EvaluationCacheSeeds, ::testing::Values(20261204u, 7u, 1234u));

}  // namespace
}  // namespace budgetd::eval
