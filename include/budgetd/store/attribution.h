#pragma once
// An SLO's counts per label value (attribution:): for each attributed label, a table of up to
// `max_values` values, each with its own SloSeries, plus one series for "other" (every value past
// the table's last slot, and values longer than kMaxValueBytes). Every event of the SLO adds to
// exactly one series of each label, so a label's series add up to the SLO's counts.
//
//   Attribution a(spec.attribution, attribution_plan(spec, config));
//   const uint32_t slot = a.slot_for(label, "/pay");       // assigns the next free slot once
//   a.add(label, slot, now, bucket, good, total, stats);
//   a.series(label, slot).sum(bounds);
//
// Memory is fixed when it is built: (max_values + 1) series per label, at the resolutions of the
// SLO's budget windows and alert long windows only (attribution_plan), plus at most
// kMaxValueBytes per value name. Slots are never recycled while the table lives: a value keeps
// its slot, and once the table is full every new value counts as "other" (docs/storage.md).
//
// Slots are assigned in the order slot_for() is first called for each value, which the callers
// make the log's order (docs/storage.md, "Attribution").
//
// Thread safety: add(), series() and value() may run from any number of threads (the series are
// SloSeries). slot_for() may too: finding an assigned value is lock-free; assigning one takes the
// label's mutex. A slot's value is written before `assigned` is raised (release) and never
// changed afterwards, so a reader that loads `assigned` (acquire) may read every value below it.

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/store/slo_series.h"

namespace budgetd::store {

inline constexpr size_t kMaxValueBytes = 128;
inline constexpr uint32_t kMaxAttributedValues = 1024;  // the most max_values config accepts
inline constexpr std::string_view kOtherValue = "other";

// The rings attribution keeps: one per budget window and alert rule long window (what the
// status's contributors and the alerts read), not the history's doubled span nor the short
// windows; each at the coarsest resolution that still cuts the window in at least
// kBucketsPerAttributedWindow buckets (1h: 1m, 6h and 1d: 5m, 3d and 30d: 1h), so a window read
// there reaches at most 1/60 of its length beyond its own bounds. That is what keeps (max_values
// + 1) series per label affordable: docs/storage.md gives the bytes.
inline constexpr int64_t kBucketsPerAttributedWindow = 60;
Millis attribution_resolution(Millis window);
SeriesPlan attribution_plan(const config::SloSpec& spec, const config::Config& config);

// What a snapshot holds of one label (durable/snapshot.cpp writes and parses the bytes).
struct LabelImage {
  std::string_view label;
  uint32_t max_values = 0;
  std::vector<std::string_view> values;  // slot order
  std::string_view words;                // (max_values + 1) series of `plan`, slot order, other last
};

class Attribution {
 public:
  Attribution(const config::AttributionSpec& spec, const SeriesPlan& plan);

  const SeriesPlan& plan() const { return plan_; }
  const config::AttributionSpec& spec() const { return spec_; }
  size_t label_count() const { return labels_.size(); }
  const std::string& label(size_t i) const { return spec_.labels[i]; }
  int label_index(std::string_view label) const;
  uint32_t max_values() const { return spec_.max_values; }
  uint32_t other_slot() const { return spec_.max_values; }
  size_t memory_bytes() const;

  // The slot of `value` for label `label`, assigning the next free one if it has none yet;
  // other_slot() once the table is full (or for a value longer than kMaxValueBytes).
  uint32_t slot_for(size_t label, std::string_view value);
  // Whether slot_for(label, value) would assign a slot now (lock-free; the committer takes its
  // ordering lock only then).
  bool would_assign(size_t label, std::string_view value) const;
  // Slots assigned so far (acquire: every value() below it is readable).
  uint32_t assigned(size_t label) const;
  // REQUIRES: slot < assigned(label).
  std::string_view value(size_t label, uint32_t slot) const;
  void add(size_t label, uint32_t slot, Timestamp now, int64_t bucket, uint64_t good, uint64_t total,
           WriteStats& stats, WriteAccess access = WriteAccess::kShared) {
    labels_[label]->series[slot]->add(now, bucket, good, total, stats, access);
  }
  // REQUIRES: slot <= other_slot().
  const SloSeries& series(size_t label, uint32_t slot) const { return *labels_[label]->series[slot]; }

  // Snapshots: per label its assigned values, then every series' words.
  size_t words_per_label() const;
  void append_words(size_t label, std::string& out) const;
  // Why `image` is not a label a snapshot of `image_plan` can hold, or nullopt.
  static std::optional<std::string> check(const LabelImage& image, const SeriesPlan& image_plan);
  // Restores a label from a snapshot (REQUIRES: check() found nothing; no concurrent writers).
  // Same plan and max_values into an empty table: the words are loaded; else the counts are
  // migrated (SloSeries::migrate_from), values without a slot here joining "other".
  void load(const LabelImage& image, const SeriesPlan& image_plan, Timestamp now);
  // Carries every label `from` also attributes over (a reload that changed the windows, the label
  // list or max_values: values without a slot here join "other"). REQUIRES: no concurrent writers.
  void migrate_from(const Attribution& from, Timestamp now);

 private:
  struct Label {
    explicit Label(uint32_t max_values);
    std::vector<std::string> values;  // [0, assigned): written once under mu, then read-only
    // Open addressing over value_hash (a power of two, at least twice max_values): slot + 1, or 0.
    std::unique_ptr<std::atomic<uint32_t>[]> index;
    size_t index_mask = 0;
    std::atomic<uint32_t> assigned{0};
    std::mutex mu;                                   // serialises assignment
    std::vector<std::unique_ptr<SloSeries>> series;  // max_values + 1; other last
  };
  std::optional<uint32_t> find(const Label& l, std::string_view value, uint64_t hash) const;

  config::AttributionSpec spec_;
  SeriesPlan plan_;
  std::vector<std::unique_ptr<Label>> labels_;
};

uint64_t value_hash(std::string_view value);

}  // namespace budgetd::store
