#include "history_sums.h"

#include "prefix_scan.h"
#include "window_report.h"

#include <algorithm>
#include <cassert>

namespace budgetd::eval {

void HistorySums::need(const BucketSpan& s, bool slices) {
  for (Loaded& l : loaded_) {
    if (l.resolution != s.resolution) continue;
    l.first = std::min(l.first, s.first);
    l.end = std::max(l.end, s.end);
    l.slices = l.slices || slices;
    return;
  }
  loaded_.push_back({s.resolution, s.first, s.end, slices, {}});
}

void HistorySums::load() {
  for (Loaded& l : loaded_) {
    const store::BucketRing* ring = series_.ring(l.resolution);
    assert(ring != nullptr);
    append_prefix_sums(*ring, l.first, l.end, l.prefix, [&](Prefix& run, store::Counts c) {
      if (l.slices) count_slice(run.slices, c, budgeting_);
    });
  }
}

const HistorySums::Loaded& HistorySums::loaded(Millis resolution) const {
  for (const Loaded& l : loaded_) {
    if (l.resolution == resolution) return l;
  }
  assert(false && "a span that was not given to need()");
  return loaded_.front();
}

store::BucketSum HistorySums::sum(const BucketSpan& s, SliceReport* slices) const {
  const Loaded& l = loaded(s.resolution);
  assert(s.first >= l.first && s.end <= l.end && s.first <= s.end);
  const Prefix& a = l.prefix[static_cast<size_t>(s.first - l.first)];
  const Prefix& b = l.prefix[static_cast<size_t>(s.end - l.first)];
  store::BucketSum out;
  out.counts = {b.good - a.good, b.total - a.total};
  out.nonempty_buckets = b.nonempty - a.nonempty;
  out.expired_buckets = b.expired - a.expired;
  out.saturated_buckets = b.saturated - a.saturated;
  if (slices != nullptr) {
    assert(l.slices);
    slices->empty = b.slices.empty - a.slices.empty;
    slices->nonempty = b.slices.nonempty - a.slices.nonempty;
    slices->bad = b.slices.bad - a.slices.bad;
    slices->ratio_sum = b.slices.ratio_sum - a.slices.ratio_sum;
  }
  return out;
}

}  // namespace budgetd::eval
