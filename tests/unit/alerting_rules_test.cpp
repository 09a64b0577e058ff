// Alert rules and the tracker over a real store: the Workbook's detection time, forecasts, postmortems.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/eval/budget.h"
#include "budgetd/eval/slo_status.h"

namespace budgetd::eval {
namespace {

const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

// SRE Workbook: under steady traffic, a 100 % outage at 99.9 % fires the 1h/5m page once 0.864
// minutes (51.84 s) of errors sit in the hour: never before, and no later than one bucket plus
// one evaluation interval after. Every phase of the outage start within a bucket is tried.
TEST(Alerting, PageFiresAt51Point84SecondsOfErrorsNeverBeforeAndAtMostABucketPlusATickLate) {
  for (int64_t phase_ms : {0, 1, 3'700, 5'000, 9'999}) {
    auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
    auto set = store::SloSet::build(*r.config, nullptr);
    const store::StoredSlo& slo = set->slos()[0];
    store::WriteStats st;
    const Timestamp outage = kNow + Millis{phase_ms};
    const Timestamp start = outage - 2 * kHour;
    // 10 requests a second, one every 100 ms; all bad from `outage` on.
    Timestamp fired{};
    AlertTracker tracker;
    const Millis tick = 10 * kSecond;
    Timestamp next_tick = start + kHour + Millis{3'210};  // evaluations at an arbitrary phase too
    for (Timestamp t = start; t < outage + 5 * kMinute && fired == Timestamp{}; t += Millis{100}) {
      while (next_tick <= t) {
        const auto status = evaluate_slo(slo, next_tick, next_tick, kHour).value();
        const AlertRuleReport& page = status.alerts[0];
        ASSERT_EQ(page.rule->name, "page-1h");
        if (page.firing) {
          fired = next_tick;
          // At that moment the completed hour holds at least 51.84 s of errors ...
          const double error_seconds = static_cast<double>(page.long_window.counts.bad()) / 10.0;
          EXPECT_GT(error_seconds, 51.84) << "phase " << phase_ms;
          EXPECT_EQ(page.long_window.counts.total, 36'000u);  // a full hour of traffic
          break;
        }
        next_tick += tick;
      }
      slo.series->add(t, bucket_index(t, kFinestResolution), t >= outage ? 0 : 1, 1, st);
    }
    ASSERT_NE(fired, Timestamp{}) << "phase " << phase_ms;
    const double delay = static_cast<double>((fired - outage).count()) / 1000.0;
    EXPECT_GE(delay, 51.84) << "never before, phase " << phase_ms;
    EXPECT_LE(delay, 51.84 + 10 + 10) << "no later than a bucket plus an evaluation interval, phase " << phase_ms;
  }
}

TEST(Forecast, ExhaustionAtTheCurrentBurnRateAndRecoveryAsBadEventsAge) {
  auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
  auto set = store::SloSet::build(*r.config, nullptr);
  const store::StoredSlo& slo = set->slos()[0];
  store::WriteStats st;
  // 2 days ago: 1,000,000 events, 800 bad (80 % of the budget of those events spent) ...
  slo.series->add(kNow, bucket_index(kNow - 2 * kDay, kFinestResolution), 1'000'000 - 800, 1'000'000, st);
  // ... and the last hour burns at 2x: 100 events of which... 0.2 % bad.
  slo.series->add(kNow, bucket_index(kNow - 30 * kMinute, kFinestResolution), 99'800, 100'000, st);
  const SloStatus s = evaluate_slo(slo, kNow, kNow, kHour).value();
  EXPECT_DOUBLE_EQ(s.forecast.burn_rate_1h, 2.0);
  const double remaining = s.budgets[0].remaining;  // 1 - 1000 / 1100
  EXPECT_NEAR(remaining, 1 - 1000.0 / 1100.0, 1e-12);
  // remaining x 30d / 2: the hours of budget left at twice the sustainable rate.
  const auto expected = kNow + Millis{static_cast<int64_t>(remaining * static_cast<double>((30 * kDay).count()) / 2.0)};
  ASSERT_TRUE(s.forecast.exhausted_at);
  EXPECT_NEAR(static_cast<double>(to_unix_ms(*s.forecast.exhausted_at)), static_cast<double>(to_unix_ms(expected)),
              1.0);
  // Recovery with no new errors while traffic goes on at the window's average rate: 1,100,000
  // events over the 720 hourly buckets of the 30d window, so k hours on floor(1.1e6 k / 720) good
  // events have arrived, and the 1,000 bad ones (leaving only in 28 days) weigh less. Above 25 %
  // needs 1000 < 0.75 x allowed: more than 1,333,333 events, first at k = 153 (233,750 arrived;
  // k = 152 brings 232,222). Above 50 % needs more than 2,000,000: k = 590 (901,388; k = 589
  // brings 899,861). The window then starts at bucket first + k, i.e. from 10:00 + k hours.
  constexpr int64_t kPercent = 1'000'000'000;
  const auto rec = recovery_times(slo, s.primary(), kNow, {50 * kPercent, 25 * kPercent, 5 * kPercent, 200 * kPercent});
  ASSERT_TRUE(rec[0]);
  EXPECT_EQ(format_rfc3339(*rec[0]), "2026-12-19T00:00:00Z");  // 10:00 + 590 h
  ASSERT_TRUE(rec[1]);
  EXPECT_EQ(format_rfc3339(*rec[1]), "2026-11-30T19:00:00Z");  // 10:00 + 153 h
  EXPECT_EQ(rec[2], kNow);                                     // already above 5 %
  EXPECT_FALSE(rec[3]);                                        // never above 200 %
}

TEST(Alerting, TrackerFiresResolvesAndFlagsExpensiveBurnsForAPostmortem) {
  auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
  auto set = store::SloSet::build(*r.config, nullptr);
  const store::StoredSlo& slo = set->slos()[0];
  store::WriteStats st;
  AlertTracker tracker;
  Timestamp t = kNow - 3 * kDay;
  const auto step = [&](uint64_t good, uint64_t total) {
    slo.series->add(t, bucket_index(t - kSecond, kFinestResolution), good, total, st);
    auto status = evaluate_slo(slo, t, t, kHour).value();
    auto changes = tracker.observe(slo, status, t);
    t += 10 * kSecond;
    return changes;
  };
  for (int i = 0; i < 360 * 24; ++i) step(1000, 1000);  // a good day of 1,000 events / 10 s
  std::vector<AlertChange> all;
  for (int i = 0; i < 60; ++i) {  // 10 minutes of 50 % errors
    auto c = step(500, 1000);
    all.insert(all.end(), c.begin(), c.end());
  }
  auto firing = tracker.firing();
  ASSERT_FALSE(firing.empty());
  const auto page = tracker.find("a", "page-1h");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->state, AlertState::kFiring);
  EXPECT_GT(page->budget_consumed, 0.0);
  for (int i = 0; i < 360; ++i) {  // an hour of good traffic again
    auto c = step(1000, 1000);
    all.insert(all.end(), c.begin(), c.end());
  }
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.front().kind, AlertChange::Kind::kFired);
  const auto after = tracker.find("a", "page-1h");
  EXPECT_EQ(after->state, AlertState::kResolved);
  ASSERT_TRUE(after->resolved_at);
  // 300,000 bad events against an allowed 0.1 % of ~9.0 M: about 33 % of the budget.
  const auto episodes = tracker.episodes("a");
  ASSERT_FALSE(episodes.empty());
  const auto& e = *std::find_if(episodes.begin(), episodes.end(), [](const auto& x) { return x.rule == "page-1h"; });
  ASSERT_TRUE(e.end);
  EXPECT_GE(e.budget_consumed, 0.30);
  EXPECT_TRUE(e.postmortem_required);
}

// episodes(slo) reads only that SLO's alerts (it used to scan every alert of every SLO, which
// made a status answer O(SLOs) and a list of 10,000 SLOs take seconds); neighbours whose names
// share a prefix stay out.
TEST(Alerting, EpisodesAreThoseOfTheSloAskedAbout) {
  auto r = config::load_config_string(
      "slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}},"
      " {name: ab, service: s, objective: 99.9, sli: {type: ratio}},"
      " {name: b, service: s, objective: 99.9, sli: {type: ratio}}]",
      "t.yaml");
  auto set = store::SloSet::build(*r.config, nullptr);
  store::WriteStats st;
  AlertTracker tracker;
  for (Timestamp t = kNow - kHour; t <= kNow; t += 10 * kSecond) {  // an hour of 50 % errors
    for (const store::StoredSlo& slo : set->slos()) {
      slo.series->add(t, bucket_index(t - kSecond, kFinestResolution), 500, 1000, st);
      tracker.observe(slo, evaluate_slo(slo, t, t, kHour).value(), t);
    }
  }
  size_t firing_a = 0;
  for (const AlertInstance& f : tracker.firing()) firing_a += f.slo == "a";
  ASSERT_GT(firing_a, 0u);
  const auto episodes = tracker.episodes("a");
  EXPECT_EQ(episodes.size(), firing_a);
  for (const AlertEpisode& e : episodes) {
    EXPECT_TRUE(tracker.find("a", e.rule)) << e.rule;
    EXPECT_FALSE(e.end);
  }
  EXPECT_EQ(tracker.episodes("ab").size(), firing_a);  // the same traffic, its own alerts
  EXPECT_TRUE(tracker.episodes("nosuch").empty());
}

}  // namespace
}  // namespace budgetd::eval
