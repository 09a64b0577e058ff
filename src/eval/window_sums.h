#pragma once
// The sums of many rolling windows of one series at one instant, from one pass over each ring:
// each ring is read once, from the earliest window start to the latest window end at its
// resolution, and the running totals are kept only at the windows' edges, so every window is
// then the difference of two of them. The reads are the ones BucketRing::sum makes, so the
// figures are identical, and every window sees the same reading of each bucket. (Keeping the
// totals at every bucket, as prefix sums, wrote ~50 KB per SLO per evaluation for the ~10 edges
// that are ever asked for.) Private to the eval module.
//
//   WindowSums sums(series, {window_bounds(kHour, at), completed_window_bounds(5 * kMinute, at), ...});
//   BucketSum s = sums.sum(window_bounds(kHour, at));
//
// With the evaluator's SeriesBlocks (block_cache.h), whole blocks before the sealed edge with no
// window edge inside them are taken from there instead of read again.
//
// Thread safety: one per evaluation; only reads the store (and writes `blocks`, the caller's).

#include <vector>

#include "budgetd/core/window.h"
#include "budgetd/store/slo_series.h"

namespace budgetd::eval {

class SeriesBlocks;

class WindowSums {
 public:
  // `wanted`: every window that will be asked for. Windows at a resolution the series has no
  // ring for are left to sum(), which then reads the series as it would.
  WindowSums(const store::SloSeries& series, const std::vector<WindowBounds>& wanted, SeriesBlocks* blocks = nullptr);

  // As series.sum(bounds); reads the ring directly for bounds whose edges were not loaded.
  store::BucketSum sum(const WindowBounds& bounds) const;

 private:
  struct Run {  // totals of the loaded buckets before `bucket`
    int64_t bucket = 0;
    uint64_t good = 0;
    uint64_t total = 0;
    uint32_t nonempty = 0;
    uint32_t expired = 0;
    uint32_t saturated = 0;
  };
  struct Loaded {
    Millis resolution{0};
    std::vector<Run> edges;  // by bucket, each edge once
  };
  const Run* edge(const Loaded& l, int64_t bucket) const;
  // The running totals at every edge, from one pass over [edges.front(), edges.back()).
  static Loaded load(const store::BucketRing& ring, Millis resolution, const std::vector<int64_t>& edges,
                     SeriesBlocks* blocks);

  const store::SloSeries& series_;
  std::vector<Loaded> loaded_;
};

}  // namespace budgetd::eval
