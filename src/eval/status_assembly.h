#pragma once
// An SLO's status assembled from window sums, wherever they come from (private to eval): a fresh
// pass over the rings for evaluate_slo(), the running sums for the evaluation loop
// (running_windows.h). One assembly, so the two cannot differ in anything but where they read.

#include <vector>

#include "budgetd/eval/slo_status.h"
#include "window_sums.h"

namespace budgetd::eval {

// Every sum and coverage range status_from() asks its reader for at `at`.
struct StatusWindows {
  std::vector<WindowBounds> sums;      // occurrence budget windows, rolling, alert and forecast windows
  std::vector<WindowBounds> coverage;  // per budget window: the minutes begun by `at` (resolution 1m)
};
StatusWindows status_windows(const store::StoredSlo& slo, Timestamp at);

// The status at `at` from `sums` (no check of `at` against the clock: evaluate_slo's).
Result<SloStatus> status_from(const store::StoredSlo& slo, Timestamp at, const WindowReader& sums);

}  // namespace budgetd::eval
