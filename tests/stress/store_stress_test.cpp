// Writers and readers hammer the store concurrently; afterwards every count must be exact.
// Built and run under ThreadSanitizer too (make test-tsan). BUDGETD_STRESS_SCALE multiplies the
// work (default 1).

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "budgetd/store/slo_series.h"

namespace budgetd::store {
namespace {

const Timestamp kStart = from_unix_ms(1795514400000);

int scale() {
  const char* s = std::getenv("BUDGETD_STRESS_SCALE");
  return s != nullptr ? std::max(1, std::atoi(s)) : 1;
}

// Per-thread tally of what was written to each 10 s bucket.
using Tally = std::map<int64_t, Counts>;

void merge(Tally& into, const Tally& from) {
  for (const auto& [b, c] : from) {
    into[b].good += c.good;
    into[b].total += c.total;
  }
}

Counts expected_in(const Tally& t, Timestamp start, Timestamp end) {
  Counts c;
  for (auto it = t.lower_bound(bucket_index(start, kFinestResolution));
       it != t.end() && it->first < bucket_index(end, kFinestResolution); ++it) {
    c.good += it->second.good;
    c.total += it->second.total;
  }
  return c;
}

// Time stands still: no slot is ever recycled, so the final counts must equal the writers'
// tallies exactly for every window, and readers must never see good > total.
TEST(StoreStress, ConcurrentWritersAndReadersCountExactly) {
  const std::vector<Millis> windows{5 * kMinute, kHour, 6 * kHour, 3 * kDay, 30 * kDay};
  SloSeries series(plan_series(windows, 30 * kDay, kHour, 5 * kMinute));
  const int writers = 4;
  const int readers = 2;
  const int ops = 100'000 * scale();
  std::vector<Tally> tallies(writers);
  std::atomic<bool> done{false};
  std::atomic<uint64_t> reads{0};
  // Writers go on past `ops` until the readers have read this often, so the reads overlap the
  // writes however the scheduler shares out the cores (CI runs other tests beside this one).
  const uint64_t min_reads = 200;
  std::atomic<int> reader_violations{0};

  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(static_cast<uint64_t>(w) + 1);
      WriteStats st;
      // relaxed: a progress count; it orders nothing.
      for (int i = 0; i < ops || reads.load(std::memory_order_relaxed) < min_reads; ++i) {
        // Most writes near now (hot buckets shared by all writers), some late by up to 29 days.
        const Millis age = (rng() % 4 != 0) ? Millis{static_cast<int64_t>(rng() % 600'000)}
                                            : Millis{static_cast<int64_t>(rng() % (29 * kDay.count()))};
        const int64_t bucket = bucket_index(kStart - age, kFinestResolution);
        const uint64_t total = 1 + rng() % 5;
        const uint64_t good = rng() % (total + 1);
        series.add(kStart, bucket, good, total, st);
        tallies[w][bucket].good += good;
        tallies[w][bucket].total += total;
      }
      EXPECT_EQ(st.expired, 0u);
      EXPECT_EQ(st.saturated, 0u);
    });
  }
  for (int r = 0; r < readers; ++r) {
    threads.emplace_back([&] {
      std::vector<uint64_t> last(windows.size(), 0);
      while (!done.load(std::memory_order_acquire)) {
        for (size_t i = 0; i < windows.size(); ++i) {
          const BucketSum s = series.sum(window_bounds(windows[i], kStart));
          // Per bucket good <= total, so every sum too; and with time still, totals only grow.
          if (s.counts.good > s.counts.total || s.counts.total < last[i] || s.expired_buckets != 0) ++reader_violations;
          last[i] = s.counts.total;
        }
        reads.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  for (int w = 0; w < writers; ++w) threads[static_cast<size_t>(w)].join();
  done.store(true, std::memory_order_release);
  for (size_t i = static_cast<size_t>(writers); i < threads.size(); ++i) threads[i].join();

  Tally all;
  for (const auto& t : tallies) merge(all, t);
  for (const Millis w : windows) {
    const WindowBounds b = window_bounds(w, kStart);
    EXPECT_EQ(series.sum(b).counts, expected_in(all, b.start, b.end)) << format_duration(w);
  }
  EXPECT_EQ(reader_violations.load(), 0);
  EXPECT_GE(reads.load(), min_reads);
}

// Readers must see each bucket's good and total from the same writes. Every write here is all
// good (good == total), so any read with a bad event is a torn read: a writer's total seen
// without its good.
TEST(StoreStress, ReadersNeverSeeAWritesTotalWithoutItsGood) {
  const std::vector<Millis> windows{5 * kMinute, 30 * kDay};
  SloSeries series(plan_series(windows, 30 * kDay, kHour, 5 * kMinute));
  const int writers = 3;
  const int ops = 200'000 * scale();
  std::atomic<int> writers_left{writers};
  std::atomic<uint64_t> torn{0}, reads{0};
  // As above: writes go on until the reader has read this often. On one busy core a reader can
  // otherwise finish with a handful of reads, which proves nothing.
  const uint64_t min_reads = 1000;
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(static_cast<uint64_t>(w) + 7);
      WriteStats st;
      // Few hot buckets, so writers and readers meet on the same slots all the time.
      // relaxed: a progress count; it orders nothing.
      for (int i = 0; i < ops || reads.load(std::memory_order_relaxed) < min_reads; ++i) {
        const uint64_t n = 1 + rng() % 10'000;
        series.add(kStart, bucket_index(kStart, kFinestResolution) - static_cast<int64_t>(rng() % 3), n, n, st);
      }
      writers_left.fetch_sub(1, std::memory_order_release);
    });
  }
  threads.emplace_back([&] {
    while (writers_left.load(std::memory_order_acquire) > 0) {
      for (const Millis w : windows) {
        const Counts c = series.sum(window_bounds(w, kStart)).counts;
        if (c.good != c.total) torn.fetch_add(1, std::memory_order_relaxed);
      }
      reads.fetch_add(1, std::memory_order_relaxed);
    }
  });
  for (auto& t : threads) t.join();
  EXPECT_EQ(torn.load(), 0u) << "of " << reads.load() << " reads";
  EXPECT_GE(reads.load(), min_reads);
}

// Time moves while writers write: slots are recycled lap after lap under concurrent writes.
// At the end, every window that is still retained must hold exactly what was written to it.
TEST(StoreStress, RecyclingUnderConcurrentWritesKeepsRetainedCountsExact) {
  // A small ring (5m window, no lookback) so that it laps many times.
  const std::vector<Millis> windows{5 * kMinute, 30 * kMinute};
  SloSeries series(plan_series(windows, 30 * kMinute, Millis{0}, kMinute));
  std::atomic<int64_t> now_ms{to_unix_ms(kStart)};
  const int writers = 3;
  const int ops = 60'000 * scale();
  std::vector<Tally> tallies(writers);
  std::atomic<int> writers_left{writers};
  std::atomic<int> reader_violations{0};

  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(static_cast<uint64_t>(w) + 100);
      WriteStats st;
      for (int i = 0; i < ops; ++i) {
        // The writers drive the clock, one second per 50 writes each: the run spans about an hour
        // of simulated time, hundreds of laps of the 10 s ring, whatever the machine's speed.
        if (i % 50 == 0) now_ms.fetch_add(1000, std::memory_order_relaxed);
        // relaxed: the clock value is a plain number; its staleness is part of what is tested.
        const Timestamp now = from_unix_ms(now_ms.load(std::memory_order_relaxed));
        // Up to 2 minutes late, up to 1 minute ahead (max_future).
        const Millis offset{static_cast<int64_t>(rng() % 180'000) - 120'000};
        const int64_t bucket = bucket_index(now + offset, kFinestResolution);
        series.add(now, bucket, 1, 2, st);
        tallies[w][bucket].good += 1;
        tallies[w][bucket].total += 2;
      }
      writers_left.fetch_sub(1, std::memory_order_release);
    });
  }
  threads.emplace_back([&] {
    while (writers_left.load(std::memory_order_acquire) > 0) {
      const Timestamp now = from_unix_ms(now_ms.load(std::memory_order_relaxed));
      const BucketSum s = series.sum(window_bounds(5 * kMinute, now));
      if (s.counts.good > s.counts.total) ++reader_violations;
    }
  });
  for (auto& t : threads) t.join();

  const Timestamp end = from_unix_ms(now_ms.load());
  Tally all;
  for (const auto& t : tallies) merge(all, t);
  uint64_t checked = 0;
  for (const Millis w : windows) {
    const WindowBounds b = window_bounds(w, end);
    const Counts want = expected_in(all, b.start, b.end);
    EXPECT_EQ(series.sum(b).counts, want) << format_duration(w);
    checked += want.total;
  }
  EXPECT_GT(checked, 0u);
  EXPECT_GT(to_unix_ms(end) - to_unix_ms(kStart), 35 * 60'000) << "the clock must lap the rings several times";
  EXPECT_EQ(reader_violations.load(), 0);
}

}  // namespace
}  // namespace budgetd::store
