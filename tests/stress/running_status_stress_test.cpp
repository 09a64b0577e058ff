// Writers hammer an SLO's series while the evaluation loop's running sums (eval/running_status.h)
// tick over it with a moving clock. A write the written-since floor let slip past a tick would
// stay out of the held sums for good, so once the writers stop, the running answer must equal a
// fresh evaluation and the writers' tallies exactly. Built and run under ThreadSanitizer too
// (make test-tsan). BUDGETD_STRESS_SCALE multiplies the work (default 1).

#include <atomic>
#include <cstdlib>
#include <map>
#include <random>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "budgetd/config/loader.h"
#include "budgetd/eval/running_status.h"
#include "budgetd/eval/slo_status.h"

namespace budgetd::eval {
namespace {

const Timestamp kStart = from_unix_ms(1795514400000);

int scale() {
  const char* s = std::getenv("BUDGETD_STRESS_SCALE");
  return s != nullptr ? std::max(1, std::atoi(s)) : 1;
}

using Tally = std::map<int64_t, store::Counts>;  // per 10 s bucket

TEST(RunningStatusStress, NoWriteSlipsPastTheRunningSums) {
  auto r = config::load_config_string("slos: [{name: a, service: s, objective: 99.9, sli: {type: ratio}}]", "t.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  auto set = store::SloSet::build(*r.config, nullptr);
  const store::StoredSlo& slo = set->slos()[0];
  std::atomic<int64_t> now_ms{to_unix_ms(kStart)};
  std::atomic<bool> done{false};
  const int writers = 3;
  const int ops = 40'000 * scale();
  std::vector<Tally> tallies(writers);
  // Writers go on past `ops` until the evaluator has ticked this often, so the ticks overlap the
  // writes however the scheduler shares out the cores.
  const uint64_t min_ticks = 50;
  std::atomic<uint64_t> ticks{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      std::mt19937_64 rng(static_cast<uint64_t>(w) + 1);
      store::WriteStats ws;
      for (int i = 0; i < ops || ticks.load() < min_ticks; ++i) {
        // relaxed: the clock's value is all a writer needs; the series orders the rest.
        const Timestamp now = from_unix_ms(now_ms.load(std::memory_order_relaxed));
        const uint64_t k = rng() % 100;
        // Mostly the last 30 s, some minutes late (past the settled edge), a few hours late.
        const int64_t age = k < 80   ? static_cast<int64_t>(rng() % 30'000)
                            : k < 97 ? static_cast<int64_t>(rng() % 600'000)
                                     : static_cast<int64_t>(rng() % (5 * 3'600'000));
        const int64_t bucket = bucket_index(now - Millis{age}, kFinestResolution);
        const uint64_t total = 1 + rng() % 5;
        const uint64_t good = total - (rng() % 10 == 0 ? 1 : 0);
        slo.series->add(now, bucket, good, total, ws);
        tallies[static_cast<size_t>(w)][bucket].good += good;
        tallies[static_cast<size_t>(w)][bucket].total += total;
      }
    });
  }
  RunningStatus running;
  std::thread evaluator([&] {
    while (!done.load()) {
      const Timestamp now = from_unix_ms(now_ms.fetch_add(1'000) + 1'000);  // a tick per second of budget time
      auto s = running.evaluate(slo, now);
      ASSERT_TRUE(s.ok()) << s.status().message();
      for (const WindowReport& w : s->windows) ASSERT_LE(w.counts.good, w.counts.total) << w.name;
      ++ticks;
    }
  });
  for (auto& t : threads) t.join();
  done = true;
  evaluator.join();
  EXPECT_GE(ticks.load(), min_ticks);

  Tally all;
  for (const Tally& t : tallies) {
    for (const auto& [b, c] : t) {
      all[b].good += c.good;
      all[b].total += c.total;
    }
  }
  // Written nothing since: a write missed by the floor would show here.
  const Timestamp end = from_unix_ms(now_ms.load());
  auto got = running.evaluate(slo, end);
  auto fresh = evaluate_slo(slo, end, end, kHour);
  ASSERT_TRUE(got.ok() && fresh.ok());
  ASSERT_EQ(got->windows.size(), fresh->windows.size());
  for (size_t i = 0; i < got->windows.size(); ++i) {
    const WindowReport& w = got->windows[i];
    EXPECT_EQ(w.counts, fresh->windows[i].counts) << w.name;
    store::Counts expected;
    for (auto it = all.lower_bound(bucket_index(w.bounds.start, kFinestResolution));
         it != all.end() && it->first < bucket_index(w.bounds.end, kFinestResolution); ++it) {
      expected.good += it->second.good;
      expected.total += it->second.total;
    }
    EXPECT_EQ(w.counts, expected) << w.name;
  }
}

}  // namespace
}  // namespace budgetd::eval
