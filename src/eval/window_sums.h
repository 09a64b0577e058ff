#pragma once
// The sums of many rolling windows of one series at one instant, from one pass over each ring:
// the buckets the longest window at a resolution needs are read once into prefix sums, and
// every window at that resolution is then two lookups. The reads are the ones BucketRing::sum
// makes, so the figures are identical, and every window sees the same reading of each bucket.
// Private to the eval module.
//
//   WindowSums sums(series, at, {{10 * kSecond, kHour}, {kMinute, 6 * kHour}, ...});
//   BucketSum s = sums.sum(window_bounds(30 * kMinute, at));
//
// Thread safety: one per evaluation; only reads the store.

#include <utility>
#include <vector>

#include "budgetd/core/window.h"
#include "budgetd/store/slo_series.h"

namespace budgetd::eval {

class WindowSums {
 public:
  // `longest`: per resolution, the longest window that will be asked for. Both the windows
  // ending with the bucket holding `at` and the completed-bucket ones ending just before it
  // are covered.
  WindowSums(const store::SloSeries& series, Timestamp at, const std::vector<std::pair<Millis, Millis>>& longest);

  // As series.sum(bounds); reads the ring directly for bounds outside what was loaded.
  store::BucketSum sum(const WindowBounds& bounds) const;

 private:
  struct Prefix {  // totals of the loaded buckets before this one
    uint64_t good = 0;
    uint64_t total = 0;
    uint32_t nonempty = 0;
    uint32_t expired = 0;
    uint32_t saturated = 0;
  };
  struct Loaded {
    Millis resolution{0};
    int64_t first = 0;           // bucket of prefix[0]
    std::vector<Prefix> prefix;  // prefix.size() - 1 buckets
  };

  const store::SloSeries& series_;
  std::vector<Loaded> loaded_;
};

}  // namespace budgetd::eval
