// The sealed-edge protocol (store/slo_series.h) under real concurrency: writers add to an SLO's
// series, half of it late (into blocks the evaluator keeps), while an evaluator ticks with its
// kept block sums. A kept block that missed a write and was not dropped would show once the
// writers are done: the last tick with the cache must then equal a tick without it, and both the
// writers' own tallies, in every window. Built and run under ThreadSanitizer too (make
// test-tsan). BUDGETD_STRESS_SCALE multiplies the work.

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/eval/evaluation_cache.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {
namespace {

const Timestamp kNow = from_unix_ms(1795514400000);

int scale() {
  const char* s = std::getenv("BUDGETD_STRESS_SCALE");
  return s != nullptr ? std::max(1, std::atoi(s)) : 1;
}

TEST(EvaluationCacheStress, LateWritesBesideTicksAreNeverLostFromKeptBlocks) {
  auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const auto set = store::SloSet::build(*r.config, nullptr);
  const store::StoredSlo& slo = set->slos()[0];
  EvaluationCache cache(set);

  const int writers = 2;
  const int ops = 60'000 * scale();
  std::vector<std::map<int64_t, store::Counts>> tallies(writers);  // per 10 s bucket
  std::atomic<bool> done{false};
  std::atomic<uint64_t> ticks{0};
  const uint64_t min_ticks = 20;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(static_cast<uint64_t>(w) + 11);
      store::WriteStats st;
      // relaxed: a progress count; it orders nothing.
      for (int i = 0; i < ops || ticks.load(std::memory_order_relaxed) < min_ticks; ++i) {
        // Half within the seal margin, half late by up to 29 days: into kept blocks.
        const Millis age = rng() % 2 == 0 ? Millis{static_cast<int64_t>(rng() % 240'000)}
                                          : Millis{static_cast<int64_t>(rng() % (29 * kDay.count()))};
        const int64_t bucket = bucket_index(kNow - age, kFinestResolution);
        const uint64_t total = 1 + rng() % 5;
        const uint64_t good = rng() % (total + 1);
        slo.series->add(kNow, bucket, good, total, st);
        tallies[static_cast<size_t>(w)][bucket].good += good;
        tallies[static_cast<size_t>(w)][bucket].total += total;
      }
    });
  }
  // Each tick a second later, so the sealed edge rises past writes in flight: the race the
  // fences decide, not only late writes below an edge raised long before.
  Timestamp at = kNow;
  threads.emplace_back([&] {
    while (!done.load(std::memory_order_acquire)) {
      at += kSecond;
      auto s = evaluate_slo(slo, at, at, kHour, cache.blocks(0));
      EXPECT_TRUE(s.ok());
      ticks.fetch_add(1, std::memory_order_relaxed);
    }
  });
  for (int w = 0; w < writers; ++w) threads[static_cast<size_t>(w)].join();
  done.store(true, std::memory_order_release);
  threads.back().join();

  // The writers are done (joined): this tick must see every late write's count and drop what it
  // kept, so it equals reading every bucket, and the tallies.
  auto cached = evaluate_slo(slo, at, at, kHour, cache.blocks(0));
  auto fresh = evaluate_slo(slo, at, at, kHour);
  ASSERT_TRUE(cached.ok() && fresh.ok());
  ASSERT_EQ(cached->windows.size(), fresh->windows.size());
  for (size_t i = 0; i < fresh->windows.size(); ++i) {
    const WindowReport& w = fresh->windows[i];
    store::Counts want;
    for (const auto& t : tallies) {
      for (auto it = t.lower_bound(bucket_index(w.bounds.start, kFinestResolution));
           it != t.end() && it->first < bucket_index(w.bounds.end, kFinestResolution); ++it) {
        want.good += it->second.good;
        want.total += it->second.total;
      }
    }
    EXPECT_EQ(cached->windows[i].counts, want) << w.name;
    EXPECT_EQ(w.counts, want) << w.name;
  }
  EXPECT_EQ(cached->primary().covered_minutes, fresh->primary().covered_minutes);
  EXPECT_GE(ticks.load(), min_ticks);
  EXPECT_GT(slo.series->late_writes(), 0u);
}

}  // namespace
}  // namespace budgetd::eval
