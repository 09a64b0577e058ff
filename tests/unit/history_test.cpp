// The history's retention and defaults (eval/history.h, store::plan_for): what the primary
// window's ring keeps, the default step, the oldest point that can be asked for, and a history
// of a timesliced SLO equal to the status at each point. The exact figures at every point are
// tests/differential/history_test.cpp's; the HTTP answers tests/integration/history_test.cpp's.

#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/eval/history.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {
namespace {

const Timestamp kNow = from_unix_ms(1795514400000);  // 2026-11-24T10:00:00Z

std::shared_ptr<const store::SloSet> slo_set(const std::string& yaml) {
  auto r = config::load_config_string(yaml, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return store::SloSet::build(*r.config, nullptr);
}

constexpr const char* kSlos = R"(
slos:
  - {name: d30, service: a, objective: 99.9, sli: {type: ratio}, windows: ["30d"]}
  - {name: month, service: b, objective: 99, sli: {type: ratio}, windows: [{calendar: month, timezone: UTC}]}
  - {name: d1, service: c, objective: 99, sli: {type: ratio}, windows: ["1d"]}
  - {name: slices, service: d, objective: 99, sli: {type: ratio}, windows: ["1d"],
     budgeting: {method: timeslices, slice: 1m, slice_target: 0.5}}
)";

TEST(HistoryRetention, ThePrimaryRingKeepsARollingWindowTwiceAndACalendarOneFourPeriods) {
  const auto set = slo_set(kSlos);
  // window/r + ceil((lookback + max_future)/r) + 1, with the window doubled.
  EXPECT_EQ(set->slos()[0].series->plan().slots[3], 1440u + 2 + 1);
  EXPECT_LE(set->slos()[0].series->memory_bytes(), 68u * 1024) << "a default 30d SLO";
  EXPECT_EQ(set->slos()[1].series->plan().slots[3], 4 * (31 * 24 + 1) + 2 + 1u);
  // 1d at 5m: the default 3d alert window already keeps more than the doubled day.
  EXPECT_EQ(set->slos()[2].series->plan().slots[2], 864 + 13 + 1u);
  EXPECT_EQ(set->slos()[3].series->plan().slots[1], 2 * 1440 + 65 + 1u);  // the 1m slices
}

TEST(HistoryRetention, DefaultStepsAreRoundAndNeverFinerThanThePrimaryResolution) {
  const auto set = slo_set(kSlos);
  EXPECT_EQ(default_history_step(set->slos()[0], 30 * kDay), kHour);
  EXPECT_EQ(default_history_step(set->slos()[0], 90 * kDay), 3 * kHour);
  EXPECT_EQ(default_history_step(set->slos()[0], 6 * kHour), kHour) << "finer points would repeat";
  EXPECT_EQ(default_history_step(set->slos()[2], kDay), 5 * kMinute);
  EXPECT_EQ(default_history_step(set->slos()[3], 6 * kHour), kMinute);
  EXPECT_EQ(default_history_step(set->slos()[3], kDay), 5 * kMinute);  // 1d / 720 = 2m, rounded up
}

TEST(HistoryRetention, TheOldestPointIsTheOneWhoseWindowStartsAtTheRingsEdge) {
  const auto set = slo_set(kSlos);
  // 1443 hour buckets back from the one holding now + 5m: the oldest starts at now - 1442h.
  EXPECT_EQ(oldest_history_point(set->slos()[0], kNow), kNow - 1442 * kHour + 30 * kDay - kHour);
  // The month ring reaches back to 2026-07-23: August is the first whole period.
  EXPECT_EQ(format_rfc3339(oldest_history_point(set->slos()[1], kNow)), "2026-08-01T00:00:00Z");
}

TEST(History, ATimeslicedPointIsTheStatusAtItsInstant) {
  const auto set = slo_set(kSlos);
  const store::StoredSlo& slo = set->slos()[3];
  store::WriteStats ws;
  for (int64_t m = 0; m < 2 * 24 * 60; m += 7) {  // a slice in seven, alternately good and bad
    const Timestamp t = kNow - m * kMinute;
    slo.series->add(kNow, bucket_index(t, kFinestResolution), m % 2 == 0 ? 10 : 2, 10, ws);
  }
  // Within the lookback, where the status (with its coverage) can still be evaluated.
  auto h = evaluate_history(slo, {kNow - 30 * kMinute, kNow, 5 * kMinute}, 0, kNow);
  ASSERT_TRUE(h.ok()) << h.status().message();
  ASSERT_EQ(h->points.size(), 7u);
  for (const HistoryPoint& p : h->points) {
    auto status = evaluate_budget(slo, slo.spec->primary_window(), p.ts);
    ASSERT_TRUE(status.ok()) << status.status().message();
    EXPECT_EQ(p.budget.window.counts, status->window.counts);
    EXPECT_EQ(p.budget.window.bounds.start, status->window.bounds.start);
    EXPECT_EQ(p.budget.slices->bad, status->slices->bad);
    EXPECT_EQ(p.budget.slices->empty, status->slices->empty);
    EXPECT_EQ(p.budget.remaining, status->remaining);
  }
  EXPECT_GT(h->points.back().budget.slices->bad, 0u);
}

}  // namespace
}  // namespace budgetd::eval
