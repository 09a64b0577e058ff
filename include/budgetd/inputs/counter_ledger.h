#pragma once
// Pushed counters -> per-bucket deltas (issue 16). A counter says how many requests there have
// been since it started; budgetd counts the increase between consecutive samples of a series,
// in the bucket of the later sample's timestamp:
//   - the first sample of a series sets its baseline and counts nothing;
//   - a value below the last one (or, for OTLP, a new start time) is a reset: the whole new
//     value is the increase, as Prometheus' increase() counts it;
//   - a staleness marker (NaN 0x7ff0000000000002) is skipped, the baseline kept: a series that
//     comes back is differenced against its last value, as increase() does across the gap;
//   - a sample at the same timestamp and value as the last is a retry and counts nothing; an
//     older one is out of order and rejected (Prometheus' own TSDB rejects those too);
//   - a sample too old for every window of its SLOs, or too far in the future, is rejected like
//     an event (its baseline still moves when too old, so the next increase is not inflated).
//
// An SLO reads two counters: total and a part (good or bad). remote_write may send them in
// different requests, so their increases meet in a pairing cell per (SLO, bucket): what both
// sides have reported is counted at once; the total's remainder waits counter_pairing_delay
// for the rest of its part and is then counted as the part's complement (bad when the part is
// good, good when the part is bad). A part's remainder that no total ever covers is dropped
// and counted (CounterReport::unpaired). With delay 0, the remainder counts at the end of each
// request: right for senders that put both series in one request.
//
// Thread safety: ingest() and undo() lock the ledger's mutex for one request's series; the
// request's work is map lookups and arithmetic, never I/O.

#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "budgetd/core/time.h"
#include "budgetd/ingest/delta_batch.h"
#include "budgetd/inputs/counter_routes.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::inputs {

struct CounterSample {
  int64_t ts_ms = 0;
  double value = 0;
  uint64_t start_ns = 0;  // OTLP cumulative points: the series' start time (0 for Prometheus)
  bool delta = false;     // OTLP delta temporality: the value is the increase itself
};

struct SeriesInput {
  std::string key;  // identifies the series: metric name and every label
  std::vector<CounterFeed> feeds;
  std::vector<CounterSample> samples;  // in timestamp order
  // Its total and part always arrive together (an OTLP histogram's count and bucket): what is
  // left unpaired after this request is final at once, no pairing delay.
  bool pair_complete = false;
};

struct CounterReport {
  uint32_t samples = 0;
  uint32_t counted = 0;       // samples whose increase reached at least one SLO (or was 0)
  uint32_t baselines = 0;     // first samples of a series
  uint32_t stale = 0;         // staleness markers
  uint32_t duplicates = 0;    // resent samples
  uint32_t out_of_order = 0;  // rejected
  uint32_t too_old = 0;       // rejected
  uint32_t future = 0;        // rejected
  uint32_t unpaired = 0;      // increases of a part no total covered (dropped)
  std::string first_error;    // the first rejection's reason
  uint32_t rejected() const { return out_of_order + too_old + future; }
};

struct CounterLimits {
  Millis max_future{5 * kMinute};
  Millis pairing_delay{kMinute};
};

class CounterLedger {
 public:
  // An SLO's unpaired increases in one bucket.
  struct Cell {
    uint64_t total = 0;  // unpaired total increase
    uint64_t part = 0;   // unpaired part increase
    Timestamp since{};   // when the oldest unpaired amount arrived
  };
  using CellKey = std::pair<uint64_t, int64_t>;  // SLO identity hash, 10 s bucket
  // What ingest() changed, to put back when the batch could not be committed.
  struct Undo {
    std::vector<std::pair<std::string, std::optional<CounterSample>>> baselines;
    std::vector<std::pair<CellKey, std::optional<Cell>>> cells;
    void clear() {
      baselines.clear();
      cells.clear();
    }
  };

  // Adds the increases of `series` to `deltas` (routed with `slos`, whose indices the feeds
  // use), and counts remainders whose pairing delay has passed at `now`.
  void ingest(std::span<const SeriesInput> series, const store::SloSet& slos, Timestamp now,
              const CounterLimits& limits, ingest::DeltaBatch& deltas, CounterReport& report, Undo& undo);
  // Puts back what one ingest() changed (its batch was not logged). A sender sends one
  // series' requests one after another, so nothing else changed those series meanwhile.
  void undo(const Undo& undo);

  size_t series_count() const;
  size_t pending_cells() const;

 private:
  struct CellHash {
    size_t operator()(const CellKey& k) const {
      return std::hash<uint64_t>{}(k.first * 1000003u ^ static_cast<uint64_t>(k.second));
    }
  };

  // REQUIRES: mu_ held.
  void sample(const SeriesInput& s, const CounterSample& c, const store::SloSet& slos, Timestamp now,
              const CounterLimits& limits, CounterReport& report, Undo& undo, std::vector<CellKey>& touched);
  void settle(const store::SloSet& slos, Timestamp now, const CounterLimits& limits, ingest::DeltaBatch& deltas,
              CounterReport& report, Undo& undo);
  void remember_cell(const CellKey& k, Undo& undo) const;

  mutable std::mutex mu_;
  std::unordered_map<std::string, CounterSample> baselines_;
  std::unordered_map<CellKey, Cell, CellHash> cells_;
};

}  // namespace budgetd::inputs
