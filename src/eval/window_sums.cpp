#include "window_sums.h"

#include "prefix_scan.h"

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
    append_prefix_sums(*ring, l.first, end, l.prefix, [](Prefix&, store::Counts) {});
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
