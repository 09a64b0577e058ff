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
    // One scan, reading each bucket as sum() reads it. scan() skips expired buckets (and those
    // before bucket 0, which sum() does not count as expired): the gaps say which.
    // The running totals live in registers; reading each new prefix back from the vector
    // stalled on store forwarding.
    Prefix run;
    int64_t next = l.first;
    const auto skip_to = [&](int64_t bucket) {
      for (; next < bucket; ++next) {
        if (next >= 0) ++run.expired;
        l.prefix.push_back(run);
      }
    };
    ring->scan(l.first, end, [&](int64_t bucket, store::Counts c) {
      skip_to(bucket);
      run.good += c.good;
      run.total += c.total;
      run.nonempty += c.total != 0 ? 1 : 0;
      run.saturated += (c.total == store::tagged::kPayloadMax || c.good == store::tagged::kPayloadMax) ? 1 : 0;
      l.prefix.push_back(run);
      ++next;
    });
    skip_to(end);
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
