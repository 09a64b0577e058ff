// Budgeting methods, several windows per SLO, calendar periods in status, and the SLA report,
// pinned on small hand-checked numbers (the OpenSLO budgeting-method examples among them).

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/eval/budget.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/policy/gate.h"

namespace budgetd::eval {
namespace {

using ::testing::HasSubstr;

const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z, a Tuesday

std::shared_ptr<const store::SloSet> slo_set(const std::string& yaml) {
  auto r = config::load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  if (!r.ok()) return nullptr;
  return store::SloSet::build(*r.config, nullptr);
}

void add(const store::StoredSlo& slo, Timestamp ts, uint64_t good, uint64_t total) {
  store::WriteStats st;
  slo.series->add(kNow, bucket_index(ts, kFinestResolution), good, total, st);
  ASSERT_EQ(st.expired, 0u);
}

// OpenSLO's budgeting-method examples: ten one-minute slices at target 0.95.
const uint64_t kGood[10] = {2, 10, 12, 13, 13, 12, 13, 13, 12, 11};
const uint64_t kTotal[10] = {4, 10, 12, 13, 14, 15, 14, 13, 12, 11};

// The ten slices, in the minutes 09:50 .. 09:59 of a 2h window ending with the minute of 10:00.
BudgetReport openslo_example(const std::string& budgeting) {
  auto set = slo_set(
      "slos: [{name: a, service: s, objective: 95, windows: [2h], sli: {type: ratio}, budgeting: " + budgeting + "}]");
  const store::StoredSlo& slo = set->slos()[0];
  for (int i = 0; i < 10; ++i) add(slo, kNow - 10 * kMinute + i * kMinute + 7 * kSecond, kGood[i], kTotal[i]);
  return evaluate_budget(slo, slo.spec->windows[0], kNow).value();
}

TEST(BudgetingMethods, OccurrencesCountEvents) {
  const BudgetReport b = openslo_example("{method: occurrences}");
  EXPECT_EQ(b.window.counts, (store::Counts{111, 118}));
  EXPECT_FALSE(b.slices.has_value());
  EXPECT_DOUBLE_EQ(b.sli, 111.0 / 118.0);
  EXPECT_DOUBLE_EQ(*b.allowed_bad, 0.05 * 118);
  EXPECT_DOUBLE_EQ(b.consumed, 7 / (0.05 * 118));
  EXPECT_DOUBLE_EQ(b.remaining, 1 - 7 / (0.05 * 118));
}

TEST(BudgetingMethods, TimeslicesCountSlicesAtTheSliceTarget) {
  const BudgetReport b = openslo_example("{method: timeslices, slice: 1m, slice_target: 0.95}");
  ASSERT_TRUE(b.slices.has_value());
  const SliceReport& s = *b.slices;
  // 6 of the 10 slices with events reach 0.95 (1/2, 13/14, 12/15 and 13/14 do not); the other
  // 110 minutes of the 2h window are empty and count as good.
  EXPECT_EQ(s.nonempty, 10u);
  EXPECT_EQ(s.bad, 4u);
  EXPECT_EQ(s.nonempty - s.bad, 6u);
  EXPECT_EQ(s.empty, 110u);
  EXPECT_EQ(s.total, 120u);
  EXPECT_EQ(s.good, 116u);
  EXPECT_EQ(s.upcoming, 0u);
  EXPECT_DOUBLE_EQ(b.sli, 116.0 / 120.0);
  EXPECT_DOUBLE_EQ(*b.allowed_bad, 0.05 * 120);  // 6 bad slices allowed
  EXPECT_DOUBLE_EQ(b.consumed, 4 / 6.0);
  EXPECT_EQ(b.window.counts, (store::Counts{111, 118}));  // the events are still reported
  // Alert episodes are measured in events under every method.
  EXPECT_DOUBLE_EQ(b.allowed_bad_events, 0.05 * 118);
}

TEST(BudgetingMethods, TimeslicesAtTheTargetExactlyAreGood) {
  // 19/20 is exactly 0.95: good. 18/20 is not.
  auto set = slo_set(
      "slos: [{name: a, service: s, objective: 99, windows: [2h], sli: {type: ratio}, "
      "budgeting: {method: timeslices, slice: 5m, slice_target: 0.95}}]");
  const store::StoredSlo& slo = set->slos()[0];
  add(slo, kNow - 30 * kMinute, 19, 20);
  add(slo, kNow - 20 * kMinute, 18, 20);
  const BudgetReport b = evaluate_budget(slo, slo.spec->windows[0], kNow).value();
  EXPECT_EQ(b.slices->nonempty, 2u);
  EXPECT_EQ(b.slices->bad, 1u);
  EXPECT_EQ(b.slices->total, 24u);
}

TEST(BudgetingMethods, RatioTimeslicesAverageTheNonEmptySlices) {
  const BudgetReport b = openslo_example("{method: ratio_timeslices, slice: 1m}");
  ASSERT_TRUE(b.slices.has_value());
  EXPECT_EQ(b.slices->nonempty, 10u);
  EXPECT_EQ(b.slices->empty, 110u);
  // (1/2 + 1 + 1 + 1 + 13/14 + 12/15 + 13/14 + 1 + 1 + 1) / 10
  const double mean = (0.5 + 1 + 1 + 1 + 13.0 / 14 + 0.8 + 13.0 / 14 + 1 + 1 + 1) / 10;
  EXPECT_NEAR(mean, 0.915714285714, 1e-12);
  EXPECT_DOUBLE_EQ(b.sli, mean);
  EXPECT_FALSE(b.allowed_bad.has_value());  // a share of a mean ratio, not a count
  EXPECT_NEAR(b.consumed, (1 - mean) / 0.05, 1e-12);
}

TEST(BudgetingMethods, TiersAreDecidedOnTheSliceCounts) {
  // 3 bad of 4 allowed slices (objective 96.875 over 2h of 1m slices: 3.75 allowed). Budget left
  // 0.75 / 3.75 = 20 %: warning, not caution.
  auto set = slo_set(
      "slos: [{name: a, service: s, objective: 96.875, windows: [2h], sli: {type: ratio}, "
      "budgeting: {method: timeslices, slice: 1m, slice_target: 0.9}}]");
  const store::StoredSlo& slo = set->slos()[0];
  for (int i = 1; i <= 3; ++i) add(slo, kNow - i * kMinute, 0, 1);
  const BudgetReport b = evaluate_budget(slo, slo.spec->windows[0], kNow).value();
  EXPECT_EQ(b.slices->bad, 3u);
  EXPECT_DOUBLE_EQ(*b.allowed_bad, 3.75);
  EXPECT_EQ(slo.spec->policy.tiers[policy::tier_index(slo.spec->policy, b, slo.spec->objective)].name, "warning");
  EXPECT_FALSE(budget_left_above(b, slo.spec->objective, 20 * 1'000'000'000LL));
  EXPECT_TRUE(budget_left_above(b, slo.spec->objective, 19'999'999'999LL));
}

TEST(BudgetWindows, EachWindowHasItsOwnBudgetAndPrimaryPicksTheOneTiersUse) {
  auto set =
      slo_set("slos: [{name: a, service: s, objective: 99, windows: [7d, 28d], primary: 28d, sli: {type: ratio}}]");
  const store::StoredSlo& slo = set->slos()[0];
  add(slo, kNow - 10 * kDay, 0, 60);      // only in the 28d window
  add(slo, kNow - kDay, 10'000, 10'000);  // in both
  const SloStatus s = evaluate_slo(slo, kNow, kNow, kHour).value();
  ASSERT_EQ(s.budgets.size(), 2u);
  EXPECT_EQ(s.budgets[0].window.name, "7d");
  EXPECT_EQ(s.budgets[0].window.counts, (store::Counts{10'000, 10'000}));
  EXPECT_DOUBLE_EQ(s.budgets[0].remaining, 1.0);
  EXPECT_EQ(s.budgets[1].window.name, "28d");
  EXPECT_EQ(s.budgets[1].window.counts, (store::Counts{10'000, 10'060}));
  EXPECT_EQ(&s.primary(), &s.budgets[1]);
  EXPECT_DOUBLE_EQ(s.primary().remaining, 1 - 60 / 100.6);  // 40.4 % left: caution
  const policy::SloDecision d = policy::decide(policy::assess(slo, s, nullptr), config::ChangeType::kRisky);
  EXPECT_EQ(d.tier, "caution");
  EXPECT_THAT(d.reasons[0], HasSubstr("of its 28d error budget left"));
}

TEST(BudgetWindows, CalendarMonthInBerlinStartsAtLocalMidnight) {
  auto set = slo_set(
      "slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}, "
      "windows: [{calendar: month, timezone: Europe/Berlin}]}]");
  const store::StoredSlo& slo = set->slos()[0];
  const Timestamp nov1 = parse_rfc3339("2026-10-31T23:00:00Z").value();  // 1 Nov 00:00 CET
  add(slo, nov1 - kSecond, 0, 1000);                                     // October: not counted
  add(slo, nov1, 999, 1000);
  add(slo, kNow - kHour, 1000, 1000);
  const BudgetReport b = evaluate_budget(slo, slo.spec->windows[0], kNow).value();
  EXPECT_EQ(b.window.name, "month:Europe/Berlin");
  EXPECT_EQ(b.window.bounds.start, nov1);
  EXPECT_EQ(b.window.bounds.end, kNow + kHour);  // the end of the hour bucket holding 10:00Z
  EXPECT_EQ(*b.window.period_end, parse_rfc3339("2026-11-30T23:00:00Z").value());
  EXPECT_EQ(b.window.counts, (store::Counts{1999, 2000}));
  EXPECT_DOUBLE_EQ(b.consumed, 1 / 2.0);
}

TEST(BudgetWindows, CalendarTimeslicesCountTheWholePeriod) {
  // A UTC day of 1h slices at 10:00Z: 11 begun (two with events, one of them bad), 13 not yet.
  auto set = slo_set(
      "slos: [{name: a, service: s, objective: 90, sli: {type: ratio}, "
      "windows: [{calendar: day, timezone: UTC}], budgeting: {method: timeslices, slice: 1h, slice_target: 0.5}}]");
  const store::StoredSlo& slo = set->slos()[0];
  add(slo, kNow - 3 * kHour, 1, 10);
  add(slo, kNow - 2 * kHour, 10, 10);
  const BudgetReport b = evaluate_budget(slo, slo.spec->windows[0], kNow).value();
  EXPECT_EQ(b.slices->total, 24u);
  EXPECT_EQ(b.slices->bad, 1u);
  EXPECT_EQ(b.slices->nonempty, 2u);
  EXPECT_EQ(b.slices->upcoming, 13u);  // 11:00 .. 23:00; the slice holding 10:00 has begun
  EXPECT_EQ(b.slices->empty, 9u);
  EXPECT_DOUBLE_EQ(*b.allowed_bad, 2.4);
}

TEST(Sla, ReportsComplianceAndMarginOnThePrimaryWindow) {
  auto set = slo_set("slos: [{name: a, service: s, objective: 99.9, sla: 99.5, windows: [7d], sli: {type: ratio}}]");
  const store::StoredSlo& slo = set->slos()[0];
  add(slo, kNow - kDay, 9970, 10'000);
  const SloStatus s = evaluate_slo(slo, kNow, kNow, kHour).value();
  ASSERT_TRUE(s.sla.has_value());
  EXPECT_TRUE(s.sla->met);
  EXPECT_DOUBLE_EQ(s.sla->sli, 0.997);
  EXPECT_DOUBLE_EQ(s.sla->margin_percent, 0.4);
  EXPECT_EQ(s.sla->bad_until_breach, 20u);  // 50 bad events are still 99.5 %
  EXPECT_LT(s.primary().remaining, 0);      // the SLO is blown long before the SLA

  add(slo, kNow - kDay, 0, 21);  // 51 bad of 10,021: 99.491 %
  const SloStatus breached = evaluate_slo(slo, kNow, kNow, kHour).value();
  EXPECT_FALSE(breached.sla->met);
  EXPECT_FALSE(breached.sla->bad_until_breach.has_value());
}

TEST(Sla, AbsentWithoutOne) {
  auto set = slo_set("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]");
  EXPECT_FALSE(evaluate_slo(set->slos()[0], kNow, kNow, kHour).value().sla.has_value());
}

// --- config ----------------------------------------------------------------------------------

std::vector<std::string> diagnostics(const std::string& slo_fields) {
  const auto r = config::load_config_string(
      "slos:\n  - {name: a, service: s, objective: 99.9, sli: {type: ratio}, " + slo_fields + "}\n", "c.yaml");
  std::vector<std::string> out;
  for (const auto& d : r.diagnostics) out.push_back(d.to_string());
  return out;
}

TEST(BudgetConfig, CalendarWindowsAndMethodsAreRead) {
  const auto r = config::load_config_string(R"(slos:
  - name: a
    service: s
    objective: 99.9
    sli: {type: ratio}
    windows: ["28d", {calendar: month, timezone: UTC}, {calendar: week, timezone: America/New_York}]
    primary: "month:UTC"
    budgeting: {method: timeslices, slice: 5m, slice_target: 0.99}
)",
                                            "c.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const config::SloSpec& s = r.config->slos[0];
  ASSERT_EQ(s.windows.size(), 3u);
  EXPECT_EQ(s.windows[1].name, "month:UTC");
  EXPECT_EQ(s.windows[2].name, "week:America/New_York");
  EXPECT_EQ(s.windows[2].calendar->unit, CalendarUnit::kWeekly);
  EXPECT_EQ(s.primary, 1u);
  EXPECT_EQ(s.budgeting.method, config::BudgetingMethod::kTimeslices);
  EXPECT_EQ(s.budgeting.slice, 5 * kMinute);
  EXPECT_EQ(s.budgeting.slice_target, 990'000'000);
}

TEST(BudgetConfig, MistakesAreErrorsWithTheirPosition) {
  EXPECT_THAT(diagnostics("windows: [{calendar: fortnight, timezone: UTC}]"),
              ::testing::Contains(HasSubstr("calendar must be day, week, month, quarter or year, not 'fortnight'")));
  EXPECT_THAT(diagnostics("windows: [{calendar: month, timezone: Europe/Berlinn}]"),
              ::testing::Contains(HasSubstr("timezone 'Europe/Berlinn' is not a time zone in the system's tzdata")));
  EXPECT_THAT(
      diagnostics("budgeting: {method: timeslices, slice: 30s, slice_target: 0.9}"),
      ::testing::Contains(HasSubstr("slice must be one of the store's bucket sizes: 10s, 1m, 5m or 1h, not 30s")));
  EXPECT_THAT(diagnostics("budgeting: {method: timeslices, slice: 1m}"),
              ::testing::Contains(HasSubstr("timeslices need a slice_target")));
  EXPECT_THAT(diagnostics("budgeting: {method: timeslices, slice: 1m, slice_target: 1.5}"),
              ::testing::Contains(HasSubstr("slice_target must be a fraction above 0 and at most 1")));
  EXPECT_THAT(diagnostics("budgeting: {method: averaged}"),
              ::testing::Contains(HasSubstr("method must be occurrences, timeslices or ratio_timeslices")));
  // India is UTC+5:30: its days start on half hours, which 1h slices cannot follow.
  EXPECT_THAT(diagnostics("windows: [{calendar: day, timezone: Asia/Kolkata}], "
                          "budgeting: {method: ratio_timeslices, slice: 1h}"),
              ::testing::Contains(HasSubstr("1h slices do not fit window day:Asia/Kolkata")));
  EXPECT_THAT(
      diagnostics("windows: [7d, 28d], primary: 30d"),
      ::testing::Contains(HasSubstr("c.yaml:2:93: error: SLO 'a': primary '30d' is not one of its windows (7d, 28d)")));
  EXPECT_THAT(diagnostics("windows: [1h]"), ::testing::Contains(HasSubstr("budget windows must be longer than 1h")));
  EXPECT_THAT(diagnostics("windows: [7d, 7d]"), ::testing::Contains(HasSubstr("window 7d is listed twice")));
  EXPECT_THAT(diagnostics("sla: 100"), ::testing::Contains(HasSubstr("sla:")));
}

TEST(BudgetConfig, AnSlaAsStrictAsTheObjectiveIsAWarning) {
  const auto r = config::load_config_string(
      "slos: [{name: a, service: s, objective: 99.5, sla: 99.9, sli: {type: ratio}}]", "c.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  ASSERT_EQ(r.diagnostics.size(), 1u);
  EXPECT_EQ(r.diagnostics[0].severity, config::Diagnostic::Severity::kWarning);
  EXPECT_THAT(r.diagnostics[0].to_string(), HasSubstr("objective 99.5 % is not stricter than its SLA 99.9 %"));
}

}  // namespace
}  // namespace budgetd::eval
