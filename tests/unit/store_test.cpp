#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "budgetd/store/bucket_ring.h"
#include "budgetd/store/coverage_ring.h"
#include "budgetd/store/slo_series.h"
#include "budgetd/store/tagged_word.h"

namespace budgetd::store {
namespace {

using tagged::Age;
using tagged::Outcome;

TEST(TaggedWord, NeverWrittenWordsAreOlderThanAnyLap) {
  for (int64_t lap : {int64_t{0}, int64_t{1}, int64_t{600'000}, int64_t{1'048'574}, int64_t{5'000'000}}) {
    EXPECT_EQ(tagged::age_of(0, tagged::tag_for_lap(lap)), Age::kOlder) << lap;
  }
}

TEST(TaggedWord, AgesAcrossTheTagWrap) {
  const int64_t m = static_cast<int64_t>(tagged::kTagModulus);
  for (int64_t lap : {int64_t{5}, m - 1, m, 3 * m - 2}) {
    EXPECT_EQ(tagged::age_of(tagged::tag_for_lap(lap), tagged::tag_for_lap(lap)), Age::kSame);
    EXPECT_EQ(tagged::age_of(tagged::tag_for_lap(lap + 1), tagged::tag_for_lap(lap)), Age::kNewer) << lap;
    EXPECT_EQ(tagged::age_of(tagged::tag_for_lap(lap + 1000), tagged::tag_for_lap(lap)), Age::kNewer) << lap;
    EXPECT_EQ(tagged::age_of(tagged::tag_for_lap(lap - 1), tagged::tag_for_lap(lap)), Age::kOlder) << lap;
  }
}

TEST(TaggedWord, AddRestartsOlderLapsAndRefusesNewerOnes) {
  std::atomic<uint64_t> w{0};
  EXPECT_EQ(tagged::add(w, 7, 5, std::memory_order_relaxed), Outcome::kApplied);
  EXPECT_EQ(tagged::add(w, 7, 3, std::memory_order_relaxed), Outcome::kApplied);
  EXPECT_EQ(tagged::view(w.load(), 7).payload, 8u);
  EXPECT_EQ(tagged::view(w.load(), 6).payload, 0u);  // another lap reads nothing
  EXPECT_TRUE(tagged::view(w.load(), 6).expired);    // ... and knows its lap is gone
  EXPECT_FALSE(tagged::view(w.load(), 8).expired);
  EXPECT_EQ(tagged::add(w, 6, 1, std::memory_order_relaxed), Outcome::kExpired);
  EXPECT_EQ(tagged::add(w, 8, 2, std::memory_order_relaxed), Outcome::kApplied);  // restarts at 0
  EXPECT_EQ(tagged::view(w.load(), 8).payload, 2u);
}

TEST(TaggedWord, SaturatesInsteadOfWrapping) {
  std::atomic<uint64_t> w{0};
  EXPECT_EQ(tagged::add(w, 1, tagged::kPayloadMax - 1, std::memory_order_relaxed), Outcome::kApplied);
  EXPECT_EQ(tagged::add(w, 1, 5, std::memory_order_relaxed), Outcome::kSaturated);
  EXPECT_EQ(tagged::view(w.load(), 1).payload, tagged::kPayloadMax);
  EXPECT_EQ(tagged::add(w, 1, ~uint64_t{0}, std::memory_order_relaxed), Outcome::kSaturated);
  EXPECT_EQ(tagged::view(w.load(), 1).payload, tagged::kPayloadMax);
}

TEST(BucketRing, SumsExactlyTheAskedBuckets) {
  BucketRing ring(10 * kSecond, 100);
  WriteStats st;
  for (int64_t b = 1000; b < 1050; ++b) ring.add(b, static_cast<uint64_t>(b % 3), 3, st);
  const BucketSum s = ring.sum(1010, 1020);
  uint64_t good = 0;
  for (int64_t b = 1010; b < 1020; ++b) good += static_cast<uint64_t>(b % 3);
  EXPECT_EQ(s.counts.total, 30u);
  EXPECT_EQ(s.counts.good, good);
  EXPECT_EQ(s.nonempty_buckets, 10u);
  EXPECT_EQ(s.expired_buckets, 0u);
  EXPECT_EQ(ring.read(1005), (Counts{1005 % 3, 3}));
  EXPECT_EQ(ring.read(999), (Counts{0, 0}));
}

TEST(BucketRing, ALapLaterTheSlotStartsFreshAndTheOldBucketIsExpired) {
  BucketRing ring(10 * kSecond, 100);
  WriteStats st;
  ring.add(1000, 1, 2, st);
  ring.add(1100, 4, 4, st);  // same slot, next lap
  EXPECT_EQ(ring.read(1100), (Counts{4, 4}));
  EXPECT_EQ(ring.sum(1100, 1101).counts, (Counts{4, 4}));
  EXPECT_EQ(ring.sum(1000, 1001).expired_buckets, 1u);
  EXPECT_EQ(ring.sum(1000, 1001).counts, (Counts{0, 0}));
  ring.add(1000, 1, 1, st);  // a late write to the recycled bucket
  EXPECT_EQ(st.expired, 1u);
  EXPECT_EQ(ring.read(1100), (Counts{4, 4}));
}

TEST(CoverageRing, CountsDistinctMinutes) {
  CoverageRing cov(200);
  const int64_t base = 29'000'000;  // minutes since the epoch, around 2025
  for (int64_t m : {base, base, base + 1, base + 31, base + 32, base + 100}) EXPECT_TRUE(cov.mark(m));
  bool expired = false;
  EXPECT_EQ(cov.count(base, base + 200, expired), 5u);
  EXPECT_EQ(cov.count(base + 1, base + 32, expired), 2u);
  EXPECT_EQ(cov.count(base + 2, base + 31, expired), 0u);
  EXPECT_FALSE(expired);
}

TEST(SeriesPlan, SizesEachRingFromItsLongestWindowPlusSlack) {
  const std::vector<Millis> windows{5 * kMinute, 30 * kMinute, kHour, 2 * kHour, 6 * kHour, kDay, 3 * kDay, 30 * kDay};
  const SeriesPlan p = plan_series(windows, 30 * kDay, kHour, 5 * kMinute);
  // window/r + ceil((lookback + max_future)/r) + 1
  EXPECT_EQ(p.slots[0], 360u + 390 + 1);  // 10s: 1h
  EXPECT_EQ(p.slots[1], 360u + 65 + 1);   // 1m: 6h
  EXPECT_EQ(p.slots[2], 864u + 13 + 1);   // 5m: 3d
  EXPECT_EQ(p.slots[3], 720u + 2 + 1);    // 1h: 30d
  EXPECT_EQ(p.coverage_minutes, 43200u + 65 + 1);
}

// Issue 5 target: a ratio SLO with a 30d window and the default alert windows fits in 64 KiB.
TEST(SloSeries, DefaultSloFitsIn64KiB) {
  const std::vector<Millis> windows{5 * kMinute, 30 * kMinute, kHour, 2 * kHour, 6 * kHour, kDay, 3 * kDay, 30 * kDay};
  SloSeries s(plan_series(windows, 30 * kDay, kHour, 5 * kMinute));
  EXPECT_LE(s.memory_bytes(), 64u * 1024);
}

TEST(SloSeries, WritesLandInEveryRingThatRetainsTheBucket) {
  const Timestamp now = from_unix_ms(1795514400000);
  SloSeries s(plan_series({kHour, 30 * kDay}, 30 * kDay, kHour, 5 * kMinute));
  WriteStats st;
  // 3 hours late: outside the 10s ring (1h + slack) but inside the 1h ring (30d).
  const Timestamp late = now - 3 * kHour;
  s.add(now, bucket_index(late, kFinestResolution), 1, 2, st);
  s.add(now, bucket_index(now, kFinestResolution), 5, 5, st);
  EXPECT_EQ(st.expired, 0u);
  EXPECT_EQ(s.sum(window_bounds(kHour, now)).counts, (Counts{5, 5}));
  EXPECT_EQ(s.sum(window_bounds(30 * kDay, now)).counts, (Counts{6, 7}));
  EXPECT_EQ(s.sum(window_bounds(kHour, late)).counts, (Counts{0, 0}));  // the 10s ring never took it
  bool expired = false;
  EXPECT_EQ(s.covered_minutes(now - 30 * kDay, now + kMinute, expired), 2u);
  EXPECT_FALSE(expired);
}

TEST(SloSeries, OldestRetainedIsTheLongestRingsEdge) {
  const Timestamp now = from_unix_ms(1795514400000);
  SloSeries s(plan_series({kHour, 7 * kDay}, 7 * kDay, kHour, 5 * kMinute));
  // 1h ring: 168 + ceil(65m / 1h) + 1 = 171 slots; newest bucket is the one holding now + 5m.
  EXPECT_EQ(s.oldest_retained(now), now + kHour - 171 * kHour);
}

// Start-up replay writes with plain stores (add_exclusive, mark_exclusive); rings written that
// way must hold exactly the words, and report exactly the stats, the lock-free writes would have.
// Random writes over five laps of a small ring, so later writes find their slot recycled
// (expired), and some large enough to saturate.
TEST(BucketRing, ExclusiveWritesLeaveTheWordsSharedWritesLeave) {
  constexpr uint32_t kSlots = 64;
  BucketRing shared(kFinestResolution, kSlots);
  BucketRing exclusive(kFinestResolution, kSlots);
  WriteStats shared_stats;
  WriteStats exclusive_stats;
  std::mt19937_64 rng(17);
  for (int64_t i = 0; i < 20'000; ++i) {
    const int64_t newest = i / 64;  // moves on one bucket every 64 writes
    const int64_t bucket = std::max<int64_t>(0, newest - static_cast<int64_t>(rng() % (2 * kSlots)));
    const uint64_t total = rng() % 50 == 0 ? tagged::kPayloadMax / 3 : rng() % 100;
    const uint64_t good = total == 0 ? 0 : rng() % (total + 1);
    shared.add(bucket, good, total, shared_stats);
    exclusive.add_exclusive(bucket, good, total, exclusive_stats);
  }
  std::string shared_words;
  std::string exclusive_words;
  shared.append_words(shared_words);
  exclusive.append_words(exclusive_words);
  EXPECT_TRUE(shared_words == exclusive_words);
  EXPECT_EQ(exclusive_stats.expired, shared_stats.expired);
  EXPECT_EQ(exclusive_stats.saturated, shared_stats.saturated);
  // The stream reached both edges it is meant to test.
  EXPECT_GT(shared_stats.expired, 0u);
  EXPECT_GT(shared_stats.saturated, 0u);
}

TEST(CoverageRing, ExclusiveMarksLeaveTheWordsSharedMarksLeave) {
  CoverageRing shared(128);
  CoverageRing exclusive(128);
  std::mt19937_64 rng(18);
  int refused = 0;
  for (int64_t i = 0; i < 5'000; ++i) {
    const int64_t minute = std::max<int64_t>(0, i / 4 - static_cast<int64_t>(rng() % 300));
    const bool a = shared.mark(minute);
    EXPECT_EQ(exclusive.mark_exclusive(minute), a) << minute;
    refused += a ? 0 : 1;
  }
  std::string shared_words;
  std::string exclusive_words;
  shared.append_words(shared_words);
  exclusive.append_words(exclusive_words);
  EXPECT_TRUE(shared_words == exclusive_words);
  EXPECT_GT(refused, 0);
}

}  // namespace
}  // namespace budgetd::store
