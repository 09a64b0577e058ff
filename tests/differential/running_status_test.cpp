// The evaluation loop's running window sums (eval/running_status.h) against a fresh evaluation
// (evaluate_slo, itself checked against brute force by the other differential tests) and a
// brute-force tally, tick by tick, under random streams: events in the bucket being written, a
// little late, hours and days late, ahead of the clock; the clock moving by a tick, by less, by
// hours, and stepping back. Every answer must equal the fresh one field by field.

#include <map>
#include <random>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/eval/running_status.h"
#include "budgetd/eval/slo_status.h"
#include "status_equality.h"

namespace budgetd::test {
namespace {

const Timestamp kStart = from_unix_ms(1792454400000);  // 2026-10-20T00:00:00Z

constexpr const char* kConfig = R"(
storage: {status_lookback: 1h}
ingest: {max_future: 5m}
slos:
  - {name: rolling, service: s, objective: 99.9, sli: {type: ratio}}
  - name: calendar
    service: s
    objective: 99.5
    sli: {type: ratio}
    windows: [{calendar: month, timezone: Europe/Berlin}, {calendar: day}, 7d]
  - name: slices
    service: s
    objective: 99
    sli: {type: ratio}
    budgeting: {method: timeslices, slice: 1m, slice_target: 0.95}
    windows: [1d]
  - name: ratio-slices
    service: s
    objective: 99
    sli: {type: ratio}
    budgeting: {method: ratio_timeslices, slice: 5m}
    windows: [3d]
)";

std::shared_ptr<const store::SloSet> slo_set() {
  auto r = config::load_config_string(kConfig, "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return store::SloSet::build(*r.config, nullptr);
}

// What was written, per SLO and 10 s bucket: the brute-force side.
using Tally = std::map<int64_t, store::Counts>;

store::Counts tally_between(const Tally& t, Timestamp start, Timestamp end) {
  store::Counts c;
  for (auto it = t.lower_bound(bucket_index(start, kFinestResolution));
       it != t.end() && it->first < bucket_index(end, kFinestResolution); ++it) {
    c.good += it->second.good;
    c.total += it->second.total;
  }
  return c;
}

struct Stream {
  std::mt19937_64 rng;
  explicit Stream(uint64_t seed) : rng(seed) {}
  int64_t pick(int64_t lo, int64_t hi) { return std::uniform_int_distribution<int64_t>(lo, hi)(rng); }

  // How far the clock moves before the next tick, in ms (negative: a step back).
  int64_t clock_step() {
    const int64_t k = pick(0, 99);
    if (k < 70) return 10'000;  // the evaluation interval
    if (k < 80) return pick(1, 9'999);
    if (k < 90) return pick(10'001, 5 * 60'000);
    if (k < 96) return pick(1, 3) * 3'600'000 + pick(0, 59'999);
    return -pick(1, 30'000);
  }
  // The age of an event at `now`, in ms (negative: ahead of the clock).
  int64_t event_age() {
    const int64_t k = pick(0, 99);
    if (k < 60) return pick(0, 9'999);
    if (k < 80) return pick(10'000, 3 * 60'000);
    if (k < 90) return pick(3 * 60'000, 6 * 3'600'000);
    if (k < 95) return pick(6 * 3'600'000, 5 * 86'400'000LL);
    return -pick(1, 4 * 60'000);
  }
};

void run_stream(uint64_t seed, int ticks) {
  auto set = slo_set();
  const auto& slos = set->slos();
  std::vector<eval::RunningStatus> running(slos.size());
  std::vector<Tally> tallies(slos.size());
  Stream s(seed);
  Timestamp now = kStart;
  uint64_t kept = 0;
  for (int tick = 0; tick < ticks; ++tick) {
    now = now + Millis{s.clock_step()};
    const int events = static_cast<int>(s.pick(0, 6));
    for (int e = 0; e < events; ++e) {
      const size_t i = static_cast<size_t>(s.pick(0, static_cast<int64_t>(slos.size()) - 1));
      const Timestamp ts = now - Millis{s.event_age()};
      const uint64_t total = static_cast<uint64_t>(s.pick(1, 50));
      const uint64_t good =
          total - static_cast<uint64_t>(s.pick(0, 1) == 0 ? 0 : s.pick(0, static_cast<int64_t>(total)));
      if (ts < slos[i].series->oldest_retained(now) || ts > now + 5 * kMinute) continue;
      store::WriteStats ws;
      slos[i].series->add(now, bucket_index(ts, kFinestResolution), good, total, ws);
      ASSERT_EQ(ws.expired, 0u);
      tallies[i][bucket_index(ts, kFinestResolution)].good += good;
      tallies[i][bucket_index(ts, kFinestResolution)].total += total;
    }
    for (size_t i = 0; i < slos.size(); ++i) {
      const std::string where =
          fmt::format("seed {} tick {} slo {} at {}", seed, tick, slos[i].spec->name, format_rfc3339(now));
      auto fresh = eval::evaluate_slo(slos[i], now, now, kHour);
      auto got = running[i].evaluate(slos[i], now);
      ASSERT_EQ(fresh.ok(), got.ok()) << where;
      if (!fresh.ok()) continue;
      expect_same_status(*got, *fresh, where);
      kept += running[i].kept_windows();
      // And against the brute force: the primary window's events as written.
      const eval::WindowReport& w = got->primary().window;
      EXPECT_EQ(w.counts, tally_between(tallies[i], w.bounds.start, w.bounds.end)) << where;
      if (::testing::Test::HasFailure()) return;
    }
  }
  // Most ticks keep most windows running: the test checks the running path, not a rebuild.
  EXPECT_GT(kept, static_cast<uint64_t>(ticks) * slos.size() * 4) << "seed " << seed;
}

TEST(RunningStatus, EqualsAFreshEvaluationAtEveryTick) {
  for (uint64_t seed = 1; seed <= 6; ++seed) run_stream(seed, 400);
}

// A steady tick with events only in the bucket being written keeps every window running; an
// event before the settled edge rebuilds the windows at that resolution, and the answer counts it.
TEST(RunningStatus, KeepsWindowsRunningAndRebuildsAfterALateEvent) {
  auto set = slo_set();
  const store::StoredSlo& slo = set->slos()[0];  // rolling: 30d occurrences, default alert rules
  eval::RunningStatus running;
  Timestamp now = kStart;
  store::WriteStats ws;
  ASSERT_TRUE(running.evaluate(slo, now).ok());
  EXPECT_EQ(running.kept_windows(), 0u);  // the first look reads everything
  for (int i = 0; i < 20; ++i) {
    now = now + 10 * kSecond;
    slo.series->add(now, bucket_index(now, kFinestResolution), 99, 100, ws);
    ASSERT_TRUE(running.evaluate(slo, now).ok());
    ASSERT_EQ(running.rebuilt_windows(), 0u) << i;
    ASSERT_GT(running.kept_windows(), 0u);
  }
  // Two hours late: behind the settled edge of every ring finer than an hour.
  slo.series->add(now, bucket_index(now - 2 * kHour, kFinestResolution), 0, 7, ws);
  now = now + 10 * kSecond;
  auto s = running.evaluate(slo, now);
  ASSERT_TRUE(s.ok());
  EXPECT_GT(running.rebuilt_windows(), 0u);
  expect_same_status(*s, *eval::evaluate_slo(slo, now, now, kHour), "after the late event");
  EXPECT_EQ(s->primary().window.counts.bad(), 20u + 7u);
}

// A reload builds a new series: the running sums start afresh on it instead of answering the
// old one's figures.
TEST(RunningStatus, StartsAfreshOnANewSeries) {
  auto set = slo_set();
  eval::RunningStatus running;
  store::WriteStats ws;
  const store::StoredSlo& first = set->slos()[0];
  first.series->add(kStart, bucket_index(kStart, kFinestResolution), 0, 5, ws);
  ASSERT_EQ(running.evaluate(first, kStart)->primary().window.counts.total, 5u);
  auto other = slo_set();
  const store::StoredSlo& second = other->slos()[0];
  second.series->add(kStart, bucket_index(kStart, kFinestResolution), 1, 1, ws);
  const auto s = running.evaluate(second, kStart + 10 * kSecond);
  EXPECT_EQ(s->primary().window.counts.total, 1u);
  EXPECT_EQ(running.kept_windows(), 0u);
}

}  // namespace
}  // namespace budgetd::test
