#pragma once
// The status of one SLO at one instant: every window with its exact bounds and counts (so anyone
// can check the numbers), the budget of each budget window, and each alert rule's state.
//
//   Result<SloStatus> s = evaluate_slo(stored_slo, at, clock.now());
//   s->primary().remaining;           // the primary budget window
//
// Thread safety: evaluate_slo only reads the store; call it from any thread (with `blocks`, from
// the one thread that owns them: it raises the series' sealed edge, see slo_series.h).

#include <memory>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/core/window.h"
#include "budgetd/eval/budget.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {

class SeriesBlocks;

// Alert rules look at windows of completed buckets: [floor(t / r) * r - W, floor(t / r) * r).
// Such a window holds exactly W of traffic, where the status windows above include the bucket
// holding t, part of which is still in the future. So a steady 100 % outage at 99.9 % fires the
// 1h/5m page only once 51.84 s of errors sit in a full hour, never before, and at most one
// bucket (plus one evaluation interval) after.
struct AlertRuleReport {
  const config::AlertRuleSpec* rule = nullptr;  // points into SloStatus::spec
  WindowReport long_window;
  WindowReport short_window;
  bool low_traffic = false;  // the long window holds fewer than min_events events
  bool firing = false;       // both burn rates above the factor, and enough traffic
};

// The bounds of the completed-bucket window of length `window` at t.
WindowBounds completed_window_bounds(Millis window, Timestamp t);

// When the budget runs out, and when it comes back.
struct Forecast {
  double burn_rate_1h = 0;  // over the last completed hour
  // At that burn rate, when the primary budget reaches 0: nullopt if never (no burn), `at` if
  // it already has.
  std::optional<Timestamp> exhausted_at;
};

struct SloStatus {
  std::shared_ptr<const config::SloSpec> spec;
  Timestamp at;
  std::vector<BudgetReport> budgets;  // one per budget window, in config order
  std::vector<WindowReport> windows;  // every window (budget windows as budgets[] has them), shortest first
  std::vector<AlertRuleReport> alerts;
  Forecast forecast;
  std::optional<SlaReport> sla;  // when the SLO has an SLA
  size_t memory_bytes = 0;

  const BudgetReport& primary() const { return budgets[spec->primary]; }
  const WindowReport* window(std::string_view name) const;
};

// The counts of the events between `from` and `to`, read from the finest ring that still holds
// `from` at `now`, widened to that ring's bucket edges; if none does, what the coarsest ring
// still holds of the span (a lower bound). For the budget a burn episode consumed. `blocks`: the
// evaluator's kept block sums of this SLO, begun this tick (evaluate_slo), or null.
store::Counts counts_between(const store::StoredSlo& slo, Timestamp from, Timestamp to, Timestamp now,
                             SeriesBlocks* blocks = nullptr);

// Status of `slo` at `at`. OutOfRange when `at` is after `now` or further back than the store
// retains for every window (storage.status_lookback).
// `blocks`: the evaluator's kept block sums of this SLO (EvaluationCache::blocks), or null to
// read every bucket. The status is the same either way.
Result<SloStatus> evaluate_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback,
                               SeriesBlocks* blocks = nullptr);

}  // namespace budgetd::eval
