#pragma once
// The evaluation loop's window sums, kept running from one tick to the next instead of re-read
// (private to eval). A tick at 10,000 SLOs used to read every window's buckets, about 37 KB of
// ring per SLO and nearly all of it cache misses; now it reads a few buckets per window.
//
// Each window's sum is split at a "settled edge" s: the buckets [first, s) are held summed from
// when they were read, and the few newest, [s, end), which ingest is still writing, are re-read
// every tick. When the window moves, the buckets that left it are subtracted and those that
// crossed s are added. The held part is right only while nothing was written to it since it was
// read: the store's written-since floor (SloSeries::take_written_since, whose memory orders are
// documented in slo_series.h) is the lowest bucket written since the last tick, and any floor
// below s rebuilds the window from the ring. So every answer is the sum a fresh pass would read
// (the differential test checks it exactly); a late event costs one rebuild of the windows at the
// resolutions it landed before the edge of, and nothing else changes for writers.
//
//   RunningWindows w;
//   w.advance(slo, now);                    // once per tick: takes the floor, moves every window
//   status_from(slo, now, w);               // answers from the running sums
//
// Thread safety: one thread (the evaluation loop); the store may be written meanwhile.

#include <cstdint>
#include <vector>

#include "status_assembly.h"
#include "window_sums.h"

namespace budgetd::eval {

// Coverage as a running sum: minutes that saw events, and reads that reached recycled words.
struct CoveredMinutes {
  uint32_t covered = 0;
  uint32_t expired = 0;
};

class RunningWindows final : public WindowReader {
 public:
  // Brings every window status_windows(slo, at) lists to `at`. A different series than the last
  // call's (a reload) starts afresh.
  void advance(const store::StoredSlo& slo, Timestamp at);

  // The sums of the last advance(); another range is read from the store.
  store::BucketSum sum(const WindowBounds& bounds) const override;
  uint32_t covered_minutes(Timestamp start, Timestamp end, bool& expired) const override;

  // What the last advance() did, per window: kept its running sum, or read the window afresh.
  struct Stats {
    uint32_t kept = 0;
    uint32_t rebuilt = 0;
  };
  const Stats& last_advance() const { return stats_; }

  // Buckets re-read every tick at the end of a window of resolution r: two minutes' worth, at
  // least 3 (the bucket being written, the one before, and one for an event a little late).
  static int64_t tail_buckets(Millis r) { return std::max<int64_t>(3, (2 * kMinute).count() / r.count()); }

 private:
  // A sum over a range of buckets with the parts of a BucketSum (coverage: minutes and expired).
  template <class Sum>
  struct Running {
    int64_t first = 0;        // [first, settled_end): held in `settled`
    int64_t settled_end = 0;  // the settled edge
    Sum settled{};
    bool valid = false;
    template <class Read>
    Sum advance(int64_t first1, int64_t end1, int64_t tail, int64_t written_since, Read&& read, Stats& stats);
  };
  struct SumWindow {
    WindowBounds bounds{};
    bool tracked = false;  // false: no ring at this resolution (sum() reads the store)
    store::BucketSum answer;
    Running<store::BucketSum> running;
  };
  struct CoverageWindow {
    WindowBounds bounds{};
    CoveredMinutes answer;
    Running<CoveredMinutes> running;
  };

  store::SloSeries* series_ = nullptr;  // non-const: advance() takes its written-since floor
  std::vector<SumWindow> sums_;
  std::vector<CoverageWindow> coverage_;
  Stats stats_;
};

}  // namespace budgetd::eval
