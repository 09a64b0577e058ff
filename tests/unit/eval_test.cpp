#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/eval/budget_math.h"
#include "budgetd/eval/slo_status.h"

namespace budgetd::eval {
namespace {

using config::Objective;
using store::Counts;
using ::testing::HasSubstr;

const Timestamp kNow = from_unix_ms(1795514400000);  // 10:00:00Z

TEST(BudgetMath, ExactBurnRates) {
  const Objective o = Objective::parse("99.9").value();
  EXPECT_EQ(burn_rate(Counts{9856, 10000}, o), 14.4);
  EXPECT_EQ(burn_rate(Counts{9940, 10000}, o), 6.0);
  EXPECT_EQ(burn_rate(Counts{0, 3}, o), 1000.0);  // everything bad: 1 / (1 - O)
  EXPECT_EQ(error_ratio(Counts{9856, 10000}), 0.0144);
  EXPECT_EQ(allowed_bad(Counts{0, 10000}, o), 10.0);
  EXPECT_EQ(budget_consumed(Counts{9995, 10000}, o), 0.5);
  EXPECT_EQ(budget_remaining(Counts{9995, 10000}, o), 0.5);
  EXPECT_EQ(budget_remaining(Counts{9980, 10000}, o), -1.0);  // overspent goes negative
}

TEST(BudgetMath, NoDataIsNeverNaN) {
  const Objective o = Objective::parse("99.9").value();
  EXPECT_EQ(burn_rate(Counts{0, 0}, o), 0.0);
  EXPECT_EQ(error_ratio(Counts{0, 0}), 0.0);
  EXPECT_EQ(sli_ratio(Counts{0, 0}), 1.0);
  EXPECT_EQ(budget_remaining(Counts{0, 0}, o), 1.0);
}

std::shared_ptr<const store::SloSet> slo_set(const std::string& yaml) {
  auto r = config::load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return store::SloSet::build(*r.config, nullptr);
}

void add(const store::StoredSlo& slo, Timestamp now, Timestamp ts, uint64_t good, uint64_t total) {
  store::WriteStats st;
  slo.series->add(now, bucket_index(ts, kFinestResolution), good, total, st);
  ASSERT_EQ(st.expired, 0u);
}

TEST(SloStatus, ReportsEveryWindowWithExactBoundsAndCounts) {
  auto set = slo_set("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]");
  const store::StoredSlo& slo = set->slos()[0];
  add(slo, kNow, kNow - 4 * kMinute, 90, 100);    // inside 5m
  add(slo, kNow, kNow - 20 * kMinute, 100, 100);  // inside 30m
  add(slo, kNow, kNow - 10 * kDay, 0, 10);        // inside 30d only
  add(slo, kNow, kNow + 4 * kMinute, 5, 5);       // ahead of now but inside buckets that hold now
  const SloStatus s = evaluate_slo(slo, kNow, kNow, kHour).value();
  ASSERT_EQ(s.windows.size(), 8u);
  const std::vector<std::string> names{"5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"};
  for (size_t i = 0; i < names.size(); ++i) EXPECT_EQ(s.windows[i].name, names[i]);
  const WindowReport& w5 = *s.window("5m");
  EXPECT_EQ(format_rfc3339(w5.bounds.start), "2026-11-24T09:55:10Z");
  EXPECT_EQ(format_rfc3339(w5.bounds.end), "2026-11-24T10:00:10Z");
  EXPECT_EQ(w5.counts, (Counts{90, 100}));
  EXPECT_EQ(w5.burn_rate, 100.0);
  EXPECT_EQ(s.window("30m")->counts, (Counts{190, 200}));
  EXPECT_EQ(s.window("6h")->counts, (Counts{190, 200}));  // 1m buckets: ends 10:01
  // 5m buckets end at 10:05, so the 10:04 event is inside: windows cover whole buckets.
  EXPECT_EQ(s.window("3d")->counts, (Counts{195, 205}));
  const BudgetReport& b = s.budgets[0];
  EXPECT_EQ(b.window.counts, (Counts{195, 215}));
  EXPECT_EQ(format_rfc3339(b.window.bounds.end), "2026-11-24T11:00:00Z");
  EXPECT_DOUBLE_EQ(*b.allowed_bad, 0.215);
  EXPECT_DOUBLE_EQ(b.consumed, 20 / 0.215);
  EXPECT_EQ(b.covered_minutes, 3u);
  EXPECT_EQ(b.elapsed_minutes, 30u * 24 * 60 - 59);  // 10:01 to 11:00 has not begun
  // The alert rules see the same windows.
  ASSERT_EQ(s.alerts.size(), 4u);
  EXPECT_EQ(s.alerts[0].rule->name, "page-1h");
  // Alert windows end at the last completed bucket: [09:00, 10:00) and [09:55, 10:00).
  EXPECT_EQ(format_rfc3339(s.alerts[0].long_window.bounds.end), "2026-11-24T10:00:00Z");
  EXPECT_EQ(format_rfc3339(s.alerts[0].short_window.bounds.start), "2026-11-24T09:55:00Z");
  EXPECT_EQ(s.alerts[0].long_window.counts, (Counts{190, 200}));
  EXPECT_EQ(s.alerts[0].long_window.burn_rate, 50.0);
  EXPECT_EQ(s.alerts[0].short_window.burn_rate, 100.0);
  EXPECT_TRUE(s.alerts[0].firing);
}

TEST(SloStatus, LowTrafficGuardKeepsRulesQuiet) {
  auto set = slo_set("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]");
  add(set->slos()[0], kNow, kNow - 20 * kSecond, 0, 9);  // all bad, but 9 < min_events (10)
  const SloStatus s = evaluate_slo(set->slos()[0], kNow, kNow, kHour).value();
  EXPECT_TRUE(s.alerts[0].low_traffic);
  EXPECT_FALSE(s.alerts[0].firing);
  add(set->slos()[0], kNow, kNow - 20 * kSecond, 0, 1);
  EXPECT_TRUE(evaluate_slo(set->slos()[0], kNow, kNow, kHour).value().alerts[0].firing);
  // Events in the bucket holding now are not in any alert window yet.
  add(set->slos()[0], kNow, kNow, 0, 1000);
  EXPECT_EQ(evaluate_slo(set->slos()[0], kNow, kNow, kHour).value().alerts[0].long_window.counts.total, 10u);
}

TEST(SloStatus, AtMustBeWithinTheLookback) {
  auto set = slo_set("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]");
  const store::StoredSlo& slo = set->slos()[0];
  add(slo, kNow, kNow - 28 * kMinute, 1, 1);
  // At 09:35 the 5m window is [09:30:10, 09:35:10).
  EXPECT_EQ(evaluate_slo(slo, kNow - 25 * kMinute, kNow, kHour).value().window("5m")->counts, (Counts{1, 1}));
  EXPECT_EQ(evaluate_slo(slo, kNow - 22 * kMinute, kNow, kHour).value().window("5m")->counts, (Counts{0, 0}));
  EXPECT_TRUE(evaluate_slo(slo, kNow - kHour, kNow, kHour).ok());
  EXPECT_THAT(evaluate_slo(slo, kNow - kHour - Millis{1}, kNow, kHour).status().message(),
              HasSubstr("storage.status_lookback"));
  EXPECT_THAT(evaluate_slo(slo, kNow + Millis{1}, kNow, kHour).status().message(), HasSubstr("future"));
}

TEST(SloStatus, EmptySloHasNoDataAndFullBudget) {
  auto set = slo_set("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]");
  const SloStatus s = evaluate_slo(set->slos()[0], kNow, kNow, kHour).value();
  EXPECT_TRUE(s.budgets[0].window.no_data());
  EXPECT_EQ(s.budgets[0].remaining, 1.0);
  EXPECT_EQ(s.budgets[0].coverage(), 0.0);
  for (const auto& w : s.windows) EXPECT_EQ(w.burn_rate, 0.0);
}

}  // namespace
}  // namespace budgetd::eval
