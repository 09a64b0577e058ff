#include "window_sums.h"

namespace budgetd::eval {

WindowSums::WindowSums(const store::SloSeries& series, Timestamp at,
                       const std::vector<std::pair<Millis, Millis>>& longest)
    : series_(series) {
  for (const auto& [resolution, window] : longest) {
    const store::BucketRing* ring = series.ring(resolution);
    if (ring == nullptr) continue;
    Loaded l;
    l.resolution = resolution;
    const int64_t end = bucket_index(at, resolution) + 1;  // the bucket holding `at` included
    // One bucket more than the window: the completed-bucket window ends one bucket earlier.
    l.first = end - window.count() / resolution.count() - 1;
    l.prefix.reserve(static_cast<size_t>(end - l.first) + 1);
    l.prefix.push_back({});
    // Bucket by bucket, through sum() itself, so each bucket is read exactly as a window's sum
    // would read it (expired and saturated buckets included).
    for (int64_t b = l.first; b < end; ++b) {
      const store::BucketSum one = ring->sum(b, b + 1);
      Prefix p = l.prefix.back();
      p.good += one.counts.good;
      p.total += one.counts.total;
      p.nonempty += one.nonempty_buckets;
      p.expired += one.expired_buckets;
      p.saturated += one.saturated_buckets;
      l.prefix.push_back(p);
    }
    loaded_.push_back(std::move(l));
  }
}

store::BucketSum WindowSums::sum(const WindowBounds& bounds) const {
  for (const Loaded& l : loaded_) {
    if (l.resolution != bounds.resolution) continue;
    const int64_t from = bounds.first_bucket() - l.first;
    const int64_t to = bounds.end_bucket() - l.first;
    if (from < 0 || to >= static_cast<int64_t>(l.prefix.size()) || from > to) break;
    const Prefix& a = l.prefix[static_cast<size_t>(from)];
    const Prefix& b = l.prefix[static_cast<size_t>(to)];
    store::BucketSum s;
    s.counts = {b.good - a.good, b.total - a.total};
    s.nonempty_buckets = b.nonempty - a.nonempty;
    s.expired_buckets = b.expired - a.expired;
    s.saturated_buckets = b.saturated - a.saturated;
    return s;
  }
  return series_.sum(bounds);
}

}  // namespace budgetd::eval
