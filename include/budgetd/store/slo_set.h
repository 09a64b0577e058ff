#pragma once
// The SLOs being stored: each SLO's spec beside the series that holds its counts. Immutable
// once built; a reload builds a new set and publishes it, handing every unchanged SLO's series
// over to the new set so no count is lost.
//
//   auto set = SloSet::build(config, /*previous=*/nullptr);
//   const StoredSlo* slo = set->find("checkout-availability");
//
// Thread safety: a built SloSet is read-only and may be shared by any number of threads (the
// series inside it are themselves safe for concurrent use).

#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/store/slo_series.h"

namespace budgetd::store {

// Counts to add to one SLO's 10 s bucket: what a batch becomes, and what the log records.
struct BucketDelta {
  uint32_t slo;    // index in the SloSet it was routed with
  int64_t bucket;  // kFinestResolution (10 s) bucket index
  uint64_t good;
  uint64_t total;
};

struct StoredSlo {
  std::shared_ptr<const config::SloSpec> spec;
  std::shared_ptr<SloSeries> series;
  // FNV-1a of spec->identity(): the log and snapshots name an SLO by name and this hash, so
  // counts recorded for an SLO whose identity has since changed are not applied to it.
  uint64_t identity_hash = 0;
  // The rolling windows evaluated beside the budget windows (alert windows, and 1h for the
  // forecast), shortest first.
  std::vector<Millis> windows;
};

class SloSet {
 public:
  static std::shared_ptr<const SloSet> build(const config::Config& config, const SloSet* previous);

  const std::vector<StoredSlo>& slos() const { return slos_; }
  const StoredSlo* find(std::string_view name) const;
  // Index of an SLO in slos(), or -1.
  int index_of(std::string_view name) const;

 private:
  std::vector<StoredSlo> slos_;
  std::unordered_map<std::string_view, int> by_name_;  // views into slos_[i].spec->name
};

// Adds each delta to the series of its SLO in `set` (the set the deltas were routed with) at
// `now`, and counts them as ingested (SloSeries::count_ingested). The one place accepted
// batches reach the store; replaying the log at start-up adds to the series directly.
WriteStats apply_deltas(std::span<const BucketDelta> deltas, const SloSet& set, Timestamp now);

// Previous calendar periods a calendar primary window keeps beside the current one: what
// GET /v1/slos/{name}/history?periods=N can report.
inline constexpr int kPreviousPeriodsKept = 3;
// How far back the ring of the primary budget window reaches (before lookback and max_future):
// twice a rolling window, so a history over a whole window has every point's window; a
// calendar window's current period and kPreviousPeriodsKept before it.
Millis history_span(const config::WindowSpec& window);
// The resolution a budget window of `spec` is evaluated at (eval/budget.h), and so the ring it
// reads: the slice under the timeslice methods, else the calendar zone's, else the rolling
// window's own.
Millis budget_resolution(const config::SloSpec& spec, const config::WindowSpec& window);

// The plan a spec's series needs (exposed for tests and the memory figures in the status).
SeriesPlan plan_for(const config::SloSpec& spec, const config::Config& config);
uint64_t identity_hash(const config::SloSpec& spec);
std::vector<Millis> windows_of(const config::SloSpec& spec);

}  // namespace budgetd::store
