// WindowSums (one pass per ring, totals kept at the windows' edges) must give, for every window
// it was asked for, exactly what reading that window on its own gives: counts, and the
// nonempty, expired and saturated bucket counts that decide what a status may claim.

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "budgetd/config/loader.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/store/slo_set.h"
#include "eval/block_cache.h"
#include "eval/window_sums.h"

namespace budgetd::eval {
namespace {

std::shared_ptr<const store::SloSet> one_slo() {
  auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
  EXPECT_TRUE(r.ok()) << r.error_text();
  return store::SloSet::build(*r.config, nullptr);
}

// The windows evaluate_slo asks for, rolling and completed, plus the odd lengths a config can
// name, at every resolution.
std::vector<WindowBounds> windows_at(Timestamp at) {
  std::vector<WindowBounds> w;
  for (const Millis length : {5 * kMinute, 30 * kMinute, kHour, 2 * kHour, 6 * kHour, kDay, 3 * kDay, 30 * kDay,
                              10 * kSecond, 7 * kMinute, 7 * kHour, 13 * kDay}) {
    w.push_back(window_bounds(length, at));
    w.push_back(completed_window_bounds(length, at));
  }
  return w;
}

void expect_same(const store::BucketSum& got, const store::BucketSum& want, const WindowBounds& w) {
  const auto where = ::testing::Message() << "window " << format_rfc3339(w.start) << " .. " << format_rfc3339(w.end);
  EXPECT_EQ(got.counts.good, want.counts.good) << where;
  EXPECT_EQ(got.counts.total, want.counts.total) << where;
  EXPECT_EQ(got.nonempty_buckets, want.nonempty_buckets) << where;
  EXPECT_EQ(got.expired_buckets, want.expired_buckets) << where;
  EXPECT_EQ(got.saturated_buckets, want.saturated_buckets) << where;
}

// Each window read from the shared pass equals the window read alone; with `blocks`, after
// sealing the series as a tick at `at` does.
void check_every_window(store::SloSeries& series, Timestamp at, SeriesBlocks* blocks = nullptr) {
  if (blocks != nullptr) blocks->begin_tick(series, at);
  const std::vector<WindowBounds> wanted = windows_at(at);
  const WindowSums sums(series, wanted, blocks);
  for (const WindowBounds& w : wanted) expect_same(sums.sum(w), series.sum(w), w);
}

TEST(WindowSums, EveryWindowEqualsReadingItAlone) {
  auto set = one_slo();
  store::SloSeries& series = *set->slos()[0].series;
  std::mt19937_64 rng(20261203);
  // 40 days of events written as time passes, so the oldest slots are recycled (expired for the
  // windows reaching back to them), with quiet stretches of empty buckets in between.
  Timestamp now = from_unix_ms(1795514400000);
  store::WriteStats st;
  for (int i = 0; i < 20'000; ++i) {
    now += Millis{static_cast<int64_t>(rng() % (6 * kMinute.count()))};
    const uint64_t total = 1 + rng() % 50;
    series.add(now, bucket_index(now, kFinestResolution), total - rng() % (total + 1) / 4, total, st);
    if (i % 1000 == 0) check_every_window(series, now);
  }
  // Instants further back than the rings retain: the windows reach recycled slots.
  for (int k = 0; k < 50; ++k)
    check_every_window(series, now - Millis{static_cast<int64_t>(rng() % (4 * kDay.count()))});
}

TEST(WindowSums, WindowsBeforeTheFirstBucket) {
  // Near the epoch the longer windows start before bucket 0, which is neither data nor expired.
  auto set = one_slo();
  store::SloSeries& series = *set->slos()[0].series;
  store::WriteStats st;
  const Timestamp now = from_unix_ms(3 * kHour.count() + 17'000);
  for (int64_t b = 0; b <= bucket_index(now, kFinestResolution); b += 3) series.add(now, b, 9, 10, st);
  check_every_window(series, now);
  check_every_window(series, from_unix_ms(0));
}

TEST(WindowSums, WindowsNotAskedForAreReadFromTheSeries) {
  auto set = one_slo();
  store::SloSeries& series = *set->slos()[0].series;
  const Timestamp now = from_unix_ms(1795514400000);
  store::WriteStats st;
  for (int64_t b = 0; b < 500; ++b) series.add(now, bucket_index(now, kFinestResolution) - b, 1, 2, st);
  const WindowSums sums(series, {window_bounds(kHour, now)});
  const WindowBounds other = window_bounds(30 * kMinute, now - 7 * kMinute);
  expect_same(sums.sum(other), series.sum(other), other);
  EXPECT_EQ(sums.sum(other).counts.total, 2u * 180);
}

// Sums of blocks kept from earlier ticks must give what reading the buckets now gives, through
// late writes (older than the seal margin: every kept block of the series is dropped), writes
// into the unsealed part (kept blocks stay), quiet stretches and recycled slots.
TEST(WindowSums, KeptBlocksGiveWhatReadingGives) {
  auto set = one_slo();
  store::SloSeries& series = *set->slos()[0].series;
  SeriesBlocks blocks;
  std::mt19937_64 rng(20261204);
  Timestamp now = from_unix_ms(1795514400000);
  store::WriteStats st;
  uint64_t late = 0;
  for (int i = 0; i < 20'000; ++i) {
    now += Millis{static_cast<int64_t>(rng() % (3 * kMinute.count()))};
    const uint64_t total = 1 + rng() % 50;
    // Mostly recent; one in twenty from up to 3 days back (late: older than the seal margin).
    const bool is_late = rng() % 20 == 0;
    const Millis back{static_cast<int64_t>(rng() % (is_late ? 3 * kDay.count() : kSealMargin.count()))};
    late += is_late && back > kSealMargin ? 1 : 0;
    series.add(now, bucket_index(now - back, kFinestResolution), total - rng() % (total + 1) / 4, total, st);
    // Ticks between most writes, so blocks are kept while writes go on.
    if (i % 7 == 0) check_every_window(series, now, &blocks);
    if (HasFailure()) return;
  }
  EXPECT_GT(late, 500u);
  EXPECT_GT(series.late_writes(), 500u);
  EXPECT_GT(blocks.blocks_reused(), 10'000u);
  // And instants further back than the rings retain, with what was kept.
  for (int k = 0; k < 50; ++k) {
    check_every_window(series, now - Millis{static_cast<int64_t>(rng() % (4 * kDay.count()))}, &blocks);
  }
}

// The edge only rises: a tick at an earlier instant (a clock set back) seals nothing new, and a
// write below the highest edge is still late.
TEST(WindowSums, TheSealedEdgeNeverFalls) {
  auto set = one_slo();
  store::SloSeries& series = *set->slos()[0].series;
  SeriesBlocks blocks;
  const Timestamp now = from_unix_ms(1795514400000);
  store::WriteStats st;
  for (int64_t b = 0; b < 3000; ++b) series.add(now, bucket_index(now, kFinestResolution) - b, 1, 2, st);
  check_every_window(series, now, &blocks);
  const int64_t edge = series.sealed_before();
  EXPECT_EQ(edge, bucket_index(now - kSealMargin, kFinestResolution));
  check_every_window(series, now - 2 * kHour, &blocks);
  EXPECT_EQ(series.sealed_before(), edge);
  const uint64_t late = series.late_writes();
  series.add(now, edge - 1, 1, 1, st);
  EXPECT_EQ(series.late_writes(), late + 1);
  series.add(now, edge, 1, 1, st);
  EXPECT_EQ(series.late_writes(), late + 1);
  series.add(now, edge - 1, 0, 0, st);  // empty: writes nothing, so nothing kept missed it
  EXPECT_EQ(series.late_writes(), late + 1);
  check_every_window(series, now, &blocks);
}

}  // namespace
}  // namespace budgetd::eval
