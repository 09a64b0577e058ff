#include "budgetd/store/slo_set.h"

#include <algorithm>

namespace budgetd::store {

std::vector<Millis> windows_of(const config::SloSpec& spec) {
  // 1h is always there: the budget forecast runs on the last hour's burn rate.
  std::vector<Millis> w{kHour};
  for (const auto& r : spec.alert_rules) {
    w.push_back(r.long_window.length);
    w.push_back(r.short_window.length);
  }
  std::sort(w.begin(), w.end());
  w.erase(std::unique(w.begin(), w.end()), w.end());
  return w;
}

Millis history_span(const config::WindowSpec& window) {
  return window.calendar ? (1 + kPreviousPeriodsKept) * window.span() : 2 * window.span();
}

Millis budget_resolution(const config::SloSpec& spec, const config::WindowSpec& window) {
  if (spec.budgeting.timesliced()) return spec.budgeting.slice;
  return window.calendar ? window.calendar->resolution : resolution_for(window.length);
}

SeriesPlan plan_for(const config::SloSpec& spec, const config::Config& config) {
  std::vector<RingNeed> needs;
  for (const Millis w : windows_of(spec)) needs.push_back({resolution_for(w), w});
  Millis coverage{0};
  for (const auto& b : spec.windows) {
    needs.push_back({budget_resolution(spec, b), b.span()});
    coverage = std::max(coverage, b.span());
  }
  // The history (GET /v1/slos/{name}/history) reads the primary budget window at every point of
  // a range as long as the window itself, so its ring keeps the window twice over (calendar
  // windows: the current period and kPreviousPeriodsKept before it, for periods=N).
  needs.push_back({budget_resolution(spec, spec.primary_window()), history_span(spec.primary_window())});
  return plan_series(needs, coverage, config.storage.status_lookback, config.ingest.max_future);
}

uint64_t identity_hash(const config::SloSpec& spec) {
  uint64_t h = 0xcbf29ce484222325ull;  // FNV-1a, 64-bit
  for (const char c : spec.identity()) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

std::shared_ptr<const SloSet> SloSet::build(const config::Config& config, const SloSet* previous) {
  auto set = std::shared_ptr<SloSet>(new SloSet());
  set->slos_.reserve(config.slos.size());
  for (const config::SloSpec& spec : config.slos) {
    StoredSlo s;
    s.spec = std::make_shared<const config::SloSpec>(spec);
    s.windows = windows_of(spec);
    s.identity_hash = identity_hash(spec);
    const SeriesPlan plan = plan_for(spec, config);
    if (previous != nullptr) {
      const StoredSlo* old = previous->find(spec.name);
      if (old != nullptr && old->spec->identity() == spec.identity() && old->series->plan().slots == plan.slots &&
          old->series->plan().coverage_minutes == plan.coverage_minutes &&
          old->series->plan().max_future == plan.max_future) {
        s.series = old->series;
      }
    }
    if (!s.series) s.series = std::make_shared<SloSeries>(plan);
    if (spec.attribution.enabled()) {
      const SeriesPlan aplan = attribution_plan(spec, config);
      const StoredSlo* old = previous != nullptr ? previous->find(spec.name) : nullptr;
      // Shared only when nothing about it changed; else a reload migrates (daemon/reload.cpp).
      if (old != nullptr && old->attribution && old->attribution->spec() == spec.attribution &&
          old->attribution->plan().slots == aplan.slots && old->attribution->plan().max_future == aplan.max_future) {
        s.attribution = old->attribution;
      } else {
        s.attribution = std::make_shared<Attribution>(spec.attribution, aplan);
      }
    }
    set->slos_.push_back(std::move(s));
  }
  for (size_t i = 0; i < set->slos_.size(); ++i) set->by_name_.emplace(set->slos_[i].spec->name, static_cast<int>(i));
  return set;
}

WriteStats apply_deltas(std::span<const BucketDelta> deltas, const SloSet& set, Timestamp now) {
  WriteStats stats;
  for (const BucketDelta& d : deltas) {
    SloSeries& series = *set.slos()[d.slo].series;
    series.add(now, d.bucket, d.good, d.total, stats);
    series.count_ingested(d.good, d.total - d.good);
  }
  return stats;
}

WriteStats apply_attributed(const AttributedDeltas& deltas, const SloSet& set, Timestamp now) {
  WriteStats stats;
  for (const AttributedDelta& d : deltas.deltas) {
    Attribution* a = set.slos()[d.slo].attribution.get();
    if (a == nullptr || d.label >= a->label_count()) continue;
    a->add(d.label, a->slot_for(d.label, deltas.value(d.value)), now, d.bucket, d.good, d.total, stats);
  }
  return stats;
}

int SloSet::index_of(std::string_view name) const {
  const auto it = by_name_.find(name);
  return it == by_name_.end() ? -1 : it->second;
}

const StoredSlo* SloSet::find(std::string_view name) const {
  const int i = index_of(name);
  return i < 0 ? nullptr : &slos_[static_cast<size_t>(i)];
}

}  // namespace budgetd::store
