#pragma once
// The status of one SLO at one instant: every window with its exact bounds and counts (so anyone
// can check the numbers), the budget of each budget window, and each alert rule's state.
//
//   Result<SloStatus> s = evaluate_slo(stored_slo, at, clock.now());
//   s->budgets[0].remaining;          // primary budget window
//
// Thread safety: evaluate_slo only reads the store; call it from any thread.

#include <memory>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/core/window.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {

struct WindowReport {
  Millis length{0};
  std::string name;  // "1h"
  WindowBounds bounds;
  store::Counts counts;
  double error_ratio = 0;
  double burn_rate = 0;
  // Some bucket's counter hit its maximum (1.1e12 events) and stopped counting: the counts are
  // a lower bound and the ratios not to be trusted.
  bool saturated = false;
  bool no_data() const { return counts.total == 0; }
};

struct BudgetReport {
  WindowReport window;
  double allowed_bad = 0;
  double consumed = 0;   // share of the budget spent
  double remaining = 1;  // 1 - consumed; negative when overspent
  // Minutes of the window up to `at` that saw at least one event, and how many minutes that is.
  uint32_t covered_minutes = 0;
  uint32_t elapsed_minutes = 0;
  double coverage() const {
    return elapsed_minutes == 0 ? 0.0 : static_cast<double>(covered_minutes) / elapsed_minutes;
  }
};

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
  std::vector<BudgetReport> budgets;  // one per budget window; [0] is the primary
  std::vector<WindowReport> windows;  // every window, shortest first
  std::vector<AlertRuleReport> alerts;
  Forecast forecast;
  size_t memory_bytes = 0;

  const WindowReport* window(Millis length) const;
};

// The earliest time at or after `at` when the primary budget's remaining share is strictly above
// each of `thresholds` (1e-9 percent, as config::TierSpec::above), assuming no new errors while
// traffic goes on: bucket by bucket the oldest leaves the window, and a bucket of good events at
// the window's average rate comes in. nullopt where it never does within one window length.
// Computed from the stored buckets, with the exact tier comparison.
std::vector<std::optional<Timestamp>> recovery_times(const store::StoredSlo& slo, Timestamp at,
                                                     const std::vector<int64_t>& thresholds);

// The counts of the events between `from` and `to`, read from the finest ring that still holds
// `from` at `now`, widened to that ring's bucket edges; if none does, what the coarsest ring
// still holds of the span (a lower bound). For the budget a burn episode consumed.
store::Counts counts_between(const store::StoredSlo& slo, Timestamp from, Timestamp to, Timestamp now);

// Status of `slo` at `at`. OutOfRange when `at` is after `now` or further back than the store
// retains for every window (storage.status_lookback).
Result<SloStatus> evaluate_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback);

}  // namespace budgetd::eval
