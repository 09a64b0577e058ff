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
#include "budgetd/store/attribution.h"
#include "budgetd/store/slo_series.h"

namespace budgetd::store {

// Counts to add to one SLO's 10 s bucket: what a batch becomes, and what the log records.
struct BucketDelta {
  uint32_t slo;    // index in the SloSet it was routed with
  int64_t bucket;  // kFinestResolution (10 s) bucket index
  uint64_t good;
  uint64_t total;
};

// Counts to add to one label value's series of one SLO (attribution:). The value is carried as a
// string (an index into AttributedDeltas::values), never as a slot: slots are assigned when the
// deltas are applied, so the log decides them (docs/storage.md, "Attribution").
struct AttributedDelta {
  uint32_t slo;    // index in the SloSet it was routed with
  uint32_t label;  // index in that SLO's attribution labels
  uint32_t value;  // index in AttributedDeltas::values
  int64_t bucket;  // kFinestResolution (10 s) bucket index
  uint64_t good;
  uint64_t total;
  friend bool operator==(const AttributedDelta&, const AttributedDelta&) = default;
};

// A batch's attributed deltas and the value strings they name (each distinct value once).
struct AttributedDeltas {
  std::vector<AttributedDelta> deltas;
  std::string text;                                   // the values, back to back
  std::vector<std::pair<uint32_t, uint32_t>> values;  // (offset, length) in text
  std::string_view value(uint32_t i) const { return std::string_view(text).substr(values[i].first, values[i].second); }
  uint32_t add_value(std::string_view v) {
    values.emplace_back(static_cast<uint32_t>(text.size()), static_cast<uint32_t>(v.size()));
    text.append(v);
    return static_cast<uint32_t>(values.size() - 1);
  }
  bool empty() const { return deltas.empty(); }
  void clear() {
    deltas.clear();
    text.clear();
    values.clear();
  }
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
  // Counts per label value (attribution:), or null when the SLO attributes nothing. Not part of
  // the identity: changing attribution keeps the SLO's counts (docs/storage.md).
  std::shared_ptr<Attribution> attribution;
  size_t memory_bytes() const { return series->memory_bytes() + (attribution ? attribution->memory_bytes() : 0); }
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

// Adds each attributed delta to its label value's series, assigning slots in the order given
// (Attribution::slot_for). Deltas of an SLO without attribution, or of a label it no longer
// attributes, are skipped.
WriteStats apply_attributed(const AttributedDeltas& deltas, const SloSet& set, Timestamp now);

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
