#pragma once
// What the evaluator keeps of one SLO's series between ticks: the sums of aligned blocks of
// buckets that lie wholly before the series' sealed edge (store/slo_series.h), so a tick reads
// only the buckets near its windows' edges and takes the rest from here. A block's sum is one
// reading of its buckets, exactly what BucketRing::sum would return then; nothing is ever
// subtracted, so a block is either the sum of its buckets or dropped. Private to the eval module.
//
//   SeriesBlocks blocks;                                     // one per SLO, kept across ticks
//   blocks.begin_tick(series, at);                           // seal, drop all after late writes
//   WindowSums sums(series, wanted, &blocks);                // whole blocks from here
//
// A late write (older than kSealMargin at the tick that sealed it) makes the next tick drop
// every block of its series and read that series in full, as an uncached tick would.
//
// Thread safety: none; the evaluator owns it (Daemon::evaluate_now runs under its lock).

#include <array>
#include <cstdint>
#include <vector>

#include "budgetd/core/window.h"
#include "budgetd/store/slo_series.h"

namespace budgetd::eval {

// Buckets per block. A window is then at most 2 x 31 buckets read fresh at its edges (plus the
// unsealed newest kSealMargin) and whole blocks in between: a 30d window at 1 h, 720 reads, takes
// 22 blocks and at most ~63 buckets.
inline constexpr int64_t kBlockBuckets = 32;
// Coverage words per block: 32 words of 32 minutes each, about 17 hours.
inline constexpr int64_t kBlockWords = 32;
// How far before a tick's instant the edge is sealed. Events older than this at the time they
// are written are late writes; those newer land in the part every tick reads fresh.
inline constexpr Millis kSealMargin = 5 * kMinute;

// Block sums of one ring, by block index (block k holds buckets [k x 32, k x 32 + 32)).
class RingBlocks {
 public:
  // The sum of block `k` of `ring`, kept from an earlier tick or read now and kept. `span`: the
  // buckets of the longest range read from this ring (at most its slots), which sizes the table.
  // REQUIRES: the block lies wholly before the sealed edge.
  store::BucketSum block(const store::BucketRing& ring, int64_t k, int64_t span);
  void clear();
  size_t memory_bytes() const { return entries_.capacity() * sizeof(Entry); }
  uint64_t reused() const { return reused_; }  // blocks answered from an earlier reading

 private:
  struct Entry {
    int64_t block = -1;  // -1: empty
    store::BucketSum sum;
  };
  uint64_t reused_ = 0;
  std::vector<Entry> entries_;  // block k at k % size: one entry per block of the span, and two more
};

// Covered-minute counts of blocks of the coverage ring's words (block k: minutes
// [k x 1024, k x 1024 + 1024)).
class CoverageBlocks {
 public:
  static constexpr int64_t kMinutes = kBlockWords * store::CoverageRing::kMinutesPerWord;
  // Minutes of block `k` that saw events; sets `expired` as SloSeries::covered_minutes does.
  // REQUIRES: the block lies wholly before the sealed edge.
  uint32_t block(const store::SloSeries& series, int64_t k, bool& expired);
  void clear();
  size_t memory_bytes() const { return entries_.capacity() * sizeof(Entry); }
  uint64_t reused() const { return reused_; }

 private:
  struct Entry {
    int64_t block = -1;
    uint32_t covered = 0;
  };
  uint64_t reused_ = 0;
  std::vector<Entry> entries_;
};

class SeriesBlocks {
 public:
  // Seals `series` before at - kSealMargin and drops every block if a late write landed since
  // the last tick. Call before reading anything of the series for this tick.
  void begin_tick(store::SloSeries& series, Timestamp at);

  // Ring buckets of resolution r wholly before the edge of this tick: [0, sealed_end(r)).
  int64_t sealed_end(Millis r) const { return floor_div(sealed_ms_, r.count()); }
  int64_t sealed_end_minute() const { return floor_div(sealed_ms_, kMinute.count()); }
  RingBlocks& ring(Millis r);
  CoverageBlocks& coverage() { return coverage_; }

  // As ring.sum(first, end) for `ring`, the series' ring at resolution r, with the whole blocks
  // before the edge taken from here. `span`: the buckets of the longest range this tick reads
  // from the ring, of which [first, end) may be a part (RingBlocks::block).
  // REQUIRES: begin_tick(series) this tick.
  store::BucketSum sum(const store::BucketRing& ring, Millis r, int64_t first, int64_t end, int64_t span);

  // Minutes in [start, end) that saw events, as series.covered_minutes(start, end, expired),
  // with the blocks wholly before the edge taken from here. REQUIRES: begin_tick(series) this tick.
  uint32_t covered_minutes(const store::SloSeries& series, Timestamp start, Timestamp end, bool& expired);

  size_t memory_bytes() const;
  uint64_t blocks_reused() const;

 private:
  uint64_t late_writes_seen_ = UINT64_MAX;  // none seen yet: the first tick starts empty anyway
  int64_t sealed_ms_ = 0;                   // this tick's edge, ms since the epoch
  std::array<RingBlocks, kResolutions.size()> rings_;
  CoverageBlocks coverage_;
};

}  // namespace budgetd::eval
