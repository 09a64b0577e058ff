// Writers assign label values and count them while readers list the table and sum its series
// (store/attribution.h). Afterwards every value has exactly one slot, the slots are the first
// max_values distinct values any writer asked for, and the counts are exact. Run under
// ThreadSanitizer too (make test-tsan): the lock-free lookup and the release/acquire hand-over of
// a slot's name are what it checks.

#include <atomic>
#include <cstdlib>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "budgetd/store/attribution.h"

namespace budgetd::store {
namespace {

const Timestamp kNow = from_unix_ms(1795514400000);

TEST(AttributionStress, ConcurrentAssignmentGivesEachValueOneSlotAndCountsExactly) {
  config::AttributionSpec spec{{"endpoint"}, 16};
  Attribution a(spec, plan_series(std::vector<Millis>{kHour}, Millis{0}, kHour, 5 * kMinute));
  const int per_thread = 20'000 * (std::getenv("BUDGETD_STRESS_SCALE") ? 5 : 1);
  constexpr int kWriters = 4;
  constexpr int kValues = 40;  // more than the table holds: the rest is "other"
  std::atomic<bool> stop{false};
  std::thread reader([&] {
    while (!stop.load()) {
      const uint32_t n = a.assigned(0);
      std::set<std::string> seen;
      for (uint32_t s = 0; s < n; ++s) ASSERT_TRUE(seen.insert(std::string(a.value(0, s))).second);
      uint64_t total = 0;
      for (uint32_t s = 0; s <= a.other_slot(); ++s) {
        const BucketSum sum =
            a.series(0, s)
                .ring(kFinestResolution)
                ->sum(bucket_index(kNow, kFinestResolution), bucket_index(kNow, kFinestResolution) + 1);
        ASSERT_LE(sum.counts.good, sum.counts.total);
        total += sum.counts.total;
      }
      ASSERT_LE(total, uint64_t{kWriters} * per_thread);
    }
  });
  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      WriteStats st;
      for (int i = 0; i < per_thread; ++i) {
        const std::string v = "/e" + std::to_string((i * 7 + w) % kValues);
        a.add(0, a.slot_for(0, v), kNow, bucket_index(kNow, kFinestResolution), i % 2, 1, st);
      }
    });
  }
  for (auto& t : writers) t.join();
  stop.store(true);
  reader.join();
  ASSERT_EQ(a.assigned(0), 16u);
  std::set<std::string> named;
  uint64_t total = 0;
  for (uint32_t s = 0; s <= a.other_slot(); ++s) {
    if (s < a.other_slot()) named.insert(std::string(a.value(0, s)));
    total += a.series(0, s).ring(kFinestResolution)->read(bucket_index(kNow, kFinestResolution)).total;
  }
  EXPECT_EQ(named.size(), 16u);
  EXPECT_EQ(total, uint64_t{kWriters} * per_thread);
  // Each named value holds exactly its own count: every writer wrote each value per_thread / 40 times.
  for (uint32_t s = 0; s < a.other_slot(); ++s) {
    EXPECT_EQ(a.slot_for(0, a.value(0, s)), s);
    EXPECT_EQ(a.series(0, s).ring(kFinestResolution)->read(bucket_index(kNow, kFinestResolution)).total,
              uint64_t{kWriters} * per_thread / kValues);
  }
}

}  // namespace
}  // namespace budgetd::store
