#pragma once
// All the counts of one SLO: a BucketRing per resolution its windows use, plus the coverage
// bitmap for its budget windows. Sized once, from the SLO's windows (SeriesPlan); memory never
// grows with traffic.
//
//   SeriesPlan plan = plan_series({30 * kDay}, {kHour, 5 * kMinute, ...}, kHour, 5 * kMinute);
//   SloSeries series(plan);
//   series.add(now, ts_bucket, good, total, stats);    // ts_bucket: a 10 s bucket index
//   BucketSum s = series.sum(window_bounds(kHour, at));
//
// Retention: the ring at resolution r keeps its longest window plus `lookback` plus
// `max_future`, so every window ending at any t in [now - lookback, now] is answerable while
// events up to `max_future` ahead are accepted.
//
// Thread safety: as BucketRing: any number of concurrent writers and readers, no locks.
//
// The sealed edge: the evaluator keeps sums of blocks of buckets between ticks instead of
// re-reading them (eval/block_cache.h), and may do so only for buckets wholly before an edge it
// raises with seal_before(). A write to a bucket before the edge is a late write: it counts
// itself in late_writes(), and the evaluator drops what it kept for this series. The protocol
// is the store-buffer pattern with a seq_cst fence on each side:
//   writer (add):            ring words written; fence; load edge; if bucket < edge: late + 1
//   evaluator (seal_before): store edge; fence;       then read ring words, late_writes()
// If the writer's fence comes first in the fences' single total order, the evaluator's reads
// after its own fence see the write; otherwise the writer's load sees the new edge and counts the
// write late, and the evaluator, whose late_writes() load acquires that count, re-reads. No sum
// is ever adjusted by subtraction, so a write is never taken out that was not put in.

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/core/window.h"
#include "budgetd/store/bucket_ring.h"
#include "budgetd/store/coverage_ring.h"

namespace budgetd::store {

struct SeriesPlan {
  std::array<uint32_t, kResolutions.size()> slots{};  // per kResolutions entry; 0 = no ring
  uint32_t coverage_minutes = 0;                      // 0 = no coverage ring
  Millis max_future{0};
};

// What one window needs of the store: a ring at `resolution` reaching `span` back.
struct RingNeed {
  Millis resolution;
  Millis span;
};
// `rings`: what every window evaluated over the series needs; `coverage_span`: the longest
// budget window, whose minutes the coverage bitmap must reach back over.
SeriesPlan plan_series(const std::vector<RingNeed>& rings, Millis coverage_span, Millis lookback, Millis max_future);
// The same for rolling windows, each at its own resolution (resolution_for).
SeriesPlan plan_series(const std::vector<Millis>& rolling_windows, Millis coverage_span, Millis lookback,
                       Millis max_future);

class SloSeries {
 public:
  explicit SloSeries(const SeriesPlan& plan);

  const SeriesPlan& plan() const { return plan_; }
  size_t memory_bytes() const;

  // The earliest instant an event may carry at `now` and still land in at least one ring.
  Timestamp oldest_retained(Timestamp now) const;
  // First bucket of resolution r still retained at `now`.
  int64_t oldest_retained_bucket(Millis r, Timestamp now) const;

  // Adds counts for the 10 s bucket `bucket` (kFinestResolution) to every ring that retains it
  // at `now`, and marks its minute covered. kExclusive REQUIRES that nothing else reads or writes
  // this series meanwhile (BucketRing::add_exclusive).
  void add(Timestamp now, int64_t bucket, uint64_t good, uint64_t total, WriteStats& stats,
           WriteAccess access = WriteAccess::kShared);

  // REQUIRES: a ring exists at w.resolution.
  BucketSum sum(const WindowBounds& w) const;
  // Minutes in [start, end) that saw events. REQUIRES: a coverage ring.
  uint32_t covered_minutes(Timestamp start, Timestamp end, bool& expired) const;

  const BucketRing* ring(Millis resolution) const;

  // Snapshots: every ring's raw words, then the coverage words, 8 bytes each.
  size_t word_count() const;
  // word_count() of a series built from `plan`, without building it; nullopt for a plan larger
  // than any config produces (kMaxSlots per ring), which only a damaged snapshot holds.
  static std::optional<uint64_t> planned_word_count(const SeriesPlan& plan);
  static constexpr uint32_t kMaxSlots = 1u << 24;
  void append_words(std::string& out) const;
  // Why words for a series of `plan` are not ones a snapshot of it can hold, or nullopt. A
  // snapshot is taken with no writer inside any slot, so a ring slot whose total word counts a
  // writer (readers would wait for it forever), whose good word is of a newer lap than its total,
  // or that has more good events than total is damage, whatever its CRC says.
  // REQUIRES: bytes.size() == 8 * planned_word_count(plan).
  static std::optional<std::string> check_words(const SeriesPlan& plan, std::string_view bytes);
  // REQUIRES: bytes.size() == 8 * word_count(); check_words() found nothing; no concurrent writers.
  void load_words(std::string_view bytes);

  // Adds every count `from` still holds for a bucket this series retains at `now`: how a reload
  // (or a snapshot written under another config) carries an SLO's data into a series with a
  // different plan. A ring at a resolution `from` lacks is rebuilt from a finer ring of `from`.
  // REQUIRES: no concurrent writers to this series.
  void migrate_from(const SloSeries& from, Timestamp now);

  // Good and bad events ingested by this process (the budgetd_slo_events_total counters).
  // Ingest adds to them beside add(); replaying the log at start-up does not, so within a
  // process they only grow, as Prometheus counters must. A reload carries them over.
  void count_ingested(uint64_t good, uint64_t bad) {
    // relaxed: plain counters; a scrape needs each to be monotonic, not the two to agree.
    if (good != 0) ingested_good_.fetch_add(good, std::memory_order_relaxed);
    if (bad != 0) ingested_bad_.fetch_add(bad, std::memory_order_relaxed);
  }
  uint64_t ingested_good() const { return ingested_good_.load(std::memory_order_relaxed); }
  uint64_t ingested_bad() const { return ingested_bad_.load(std::memory_order_relaxed); }

  // Raises the sealed edge to `bucket` (a kFinestResolution bucket index; never lowers it), then
  // the evaluator's fence (see the header). Ring words read after this call either hold every
  // write before the edge, or that write shows in late_writes().
  void seal_before(int64_t bucket);
  int64_t sealed_before() const { return sealed_before_.load(std::memory_order_relaxed); }
  // Writes below the sealed edge so far. acquire: pairs with the late write's release, so ring
  // words read after this hold every write it counts.
  uint64_t late_writes() const { return late_writes_.load(std::memory_order_acquire); }

 private:
  SeriesPlan plan_;
  // Own cache lines: every ingest thread bumps them.
  alignas(64) std::atomic<uint64_t> ingested_good_{0};
  alignas(64) std::atomic<uint64_t> ingested_bad_{0};
  // Read by every writer, raised once per tick, and bumped only by late writes: a line of its own.
  alignas(64) std::atomic<int64_t> sealed_before_{0};
  std::atomic<uint64_t> late_writes_{0};
  std::array<std::unique_ptr<BucketRing>, kResolutions.size()> rings_;
  std::unique_ptr<CoverageRing> coverage_;
};

}  // namespace budgetd::store
