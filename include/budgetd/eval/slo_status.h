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

struct AlertRuleReport {
  const config::AlertRuleSpec* rule = nullptr;  // points into SloStatus::spec
  double long_burn_rate = 0;
  double short_burn_rate = 0;
  uint64_t long_events = 0;
  bool low_traffic = false;  // the long window holds fewer than min_events events
  bool firing = false;       // both burn rates above the factor, and enough traffic
};

struct SloStatus {
  std::shared_ptr<const config::SloSpec> spec;
  Timestamp at;
  std::vector<BudgetReport> budgets;  // one per budget window; [0] is the primary
  std::vector<WindowReport> windows;  // every window, shortest first
  std::vector<AlertRuleReport> alerts;
  size_t memory_bytes = 0;

  const WindowReport* window(Millis length) const;
};

// Status of `slo` at `at`. OutOfRange when `at` is after `now` or further back than the store
// retains for every window (storage.status_lookback).
Result<SloStatus> evaluate_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback);

}  // namespace budgetd::eval
