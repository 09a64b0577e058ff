#include "block_cache.h"

#include <algorithm>
#include <cassert>

namespace budgetd::eval {

store::BucketSum RingBlocks::block(const store::BucketRing& ring, int64_t k, int64_t span) {
  assert(k >= 0 && span <= static_cast<int64_t>(ring.slots()));
  // One entry per block of the span and two more: the blocks of a range of `span` buckets fall on
  // distinct entries. Sized by what is read (the 30d budget at 1 h: 24), not by the ring's slots
  // (1,443 there, for the history): at 100,000 SLOs that is the difference of 230 MB.
  const size_t want = static_cast<size_t>(span / kBlockBuckets + 2);
  if (entries_.size() < want) entries_.assign(want, Entry{});
  Entry& e = entries_[static_cast<size_t>(k) % entries_.size()];
  if (e.block == k) {
    ++reused_;
    return e.sum;
  }
  const store::BucketSum sum = ring.sum(k * kBlockBuckets, (k + 1) * kBlockBuckets);
  // A block reaching buckets already recycled is at the very edge of retention, racing the
  // writers that recycle it: answered, never kept.
  if (sum.expired_buckets == 0) e = {k, sum};
  return sum;
}

void RingBlocks::clear() {
  for (Entry& e : entries_) e.block = -1;
}

uint32_t CoverageBlocks::block(const store::SloSeries& series, int64_t k, bool& expired) {
  assert(k >= 0);
  if (entries_.empty()) {
    entries_.resize(store::CoverageRing::words_for(series.plan().coverage_minutes) / kBlockWords + 2);
  }
  Entry& e = entries_[static_cast<size_t>(k) % entries_.size()];
  if (e.block == k) {
    ++reused_;
    return e.covered;
  }
  bool block_expired = false;
  const uint32_t covered = series.covered_minutes(from_unix_ms(k * kMinutes * kMinute.count()),
                                                  from_unix_ms((k + 1) * kMinutes * kMinute.count()), block_expired);
  if (block_expired) {
    expired = true;  // as RingBlocks: answered, never kept
  } else {
    e = {k, covered};
  }
  return covered;
}

void CoverageBlocks::clear() {
  for (Entry& e : entries_) e.block = -1;
}

void SeriesBlocks::begin_tick(store::SloSeries& series, Timestamp at) {
  const int64_t edge = bucket_index(at - kSealMargin, kFinestResolution);
  series.seal_before(edge);
  sealed_ms_ = edge * kFinestResolution.count();
  // After the seal's fence (see slo_series.h): a late write this load misses is one whose words
  // the reads of this tick already see, or one still under way that the next tick will count.
  const uint64_t late = series.late_writes();
  if (late == late_writes_seen_) return;
  late_writes_seen_ = late;
  for (RingBlocks& r : rings_) r.clear();
  coverage_.clear();
}

RingBlocks& SeriesBlocks::ring(Millis r) {
  const auto it = std::find(kResolutions.begin(), kResolutions.end(), r);
  assert(it != kResolutions.end());
  return rings_[static_cast<size_t>(it - kResolutions.begin())];
}

store::BucketSum SeriesBlocks::sum(const store::BucketRing& ring, Millis r, int64_t first, int64_t end, int64_t span) {
  // A ring too short to hold a few blocks gains nothing from them.
  if (ring.slots() < 4 * kBlockBuckets) return ring.sum(first, end);
  RingBlocks& kept = this->ring(r);
  const int64_t sealed = std::min(end, sealed_end(r));
  store::BucketSum s;
  for (int64_t b = first; b < end;) {
    const int64_t k = floor_div(b, kBlockBuckets);
    const int64_t block_end = (k + 1) * kBlockBuckets;
    const bool whole = k >= 0 && b == k * kBlockBuckets && block_end <= sealed;
    const store::BucketSum piece = whole ? kept.block(ring, k, span) : ring.sum(b, std::min(end, block_end));
    s.counts.good += piece.counts.good;
    s.counts.total += piece.counts.total;
    s.nonempty_buckets += piece.nonempty_buckets;
    s.expired_buckets += piece.expired_buckets;
    s.saturated_buckets += piece.saturated_buckets;
    b = std::min(end, block_end);
  }
  return s;
}

uint32_t SeriesBlocks::covered_minutes(const store::SloSeries& series, Timestamp start, Timestamp end, bool& expired) {
  // A coverage ring too short to hold a few blocks gains nothing from them.
  if (series.plan().coverage_minutes < 4 * CoverageBlocks::kMinutes) return series.covered_minutes(start, end, expired);
  const int64_t first = floor_div(to_unix_ms(start), kMinute.count());
  const int64_t last = floor_div(to_unix_ms(end), kMinute.count());
  const int64_t sealed = sealed_end_minute();
  const auto at_minute = [](int64_t m) { return from_unix_ms(m * kMinute.count()); };
  uint32_t covered = 0;
  for (int64_t m = first; m < last;) {
    const int64_t k = floor_div(m, CoverageBlocks::kMinutes);
    const int64_t block_end = (k + 1) * CoverageBlocks::kMinutes;
    if (k >= 0 && m == k * CoverageBlocks::kMinutes && block_end <= std::min(last, sealed)) {
      covered += coverage_.block(series, k, expired);
    } else {
      // The partial blocks at the range's ends, and whole ones not sealed yet: read now.
      covered += series.covered_minutes(at_minute(m), at_minute(std::min(last, block_end)), expired);
    }
    m = std::min(last, block_end);
  }
  return covered;
}

size_t SeriesBlocks::memory_bytes() const {
  size_t n = sizeof(*this) + coverage_.memory_bytes();
  for (const RingBlocks& r : rings_) n += r.memory_bytes();
  return n;
}

uint64_t SeriesBlocks::blocks_reused() const {
  uint64_t n = coverage_.reused();
  for (const RingBlocks& r : rings_) n += r.reused();
  return n;
}

}  // namespace budgetd::eval
