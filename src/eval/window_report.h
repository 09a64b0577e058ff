#pragma once
// Filling a WindowReport from the sum of its buckets: the one place that turns counts into
// ratios and refuses a window whose oldest bucket was recycled; and a budget from those sums.
// Private to the eval module.

#include "budgetd/core/status.h"
#include "budgetd/eval/budget.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {

// Sets w's counts, saturation, error ratio and burn rate from `sum` (w.name and w.bounds are
// set); OutOfRange if part of the window is no longer retained at `at`.
Status fill_window(WindowReport& w, const store::BucketSum& sum, const config::Objective& objective, Timestamp at);

// Counts one bucket of a window under a timeslice method as the slice it is: empty, or
// non-empty with its good/total ratio, and bad when below the slice target (timeslices).
void count_slice(SliceReport& s, const store::Counts& c, const config::BudgetingSpec& budgeting);

// The budget of `window` from the sum of its buckets and, under the timeslice methods, its
// slices as count_slice() counted them: what evaluate_budget() and the history (history.h) both
// build their reports with, so a history point and a status cannot differ. Coverage is left 0.
// OutOfRange as fill_window().
Result<BudgetReport> budget_from_sums(const config::SloSpec& spec, const config::WindowSpec& window,
                                      const WindowBounds& bounds, const std::optional<Period>& period,
                                      const store::BucketSum& sum, SliceReport slices, Timestamp at);

class WindowSums;
class SeriesBlocks;

// evaluate_budget() without the coverage: the window's buckets read from the store (or, when
// given, from `sums`, which were asked for budget_bounds()) and turned into a budget by
// budget_from_sums(). REQUIRES: the series has a ring at the window's resolution.
Result<BudgetReport> read_budget(const store::StoredSlo& slo, const config::WindowSpec& window, Timestamp at,
                                 const WindowSums* sums = nullptr);

// evaluate_budget() for the evaluator's tick: the buckets from `sums` as read_budget(), the
// coverage with whole blocks from `blocks` (begun this tick). Either may be null.
Result<BudgetReport> evaluate_budget(const store::StoredSlo& slo, const config::WindowSpec& window, Timestamp at,
                                     const WindowSums* sums, SeriesBlocks* blocks);

}  // namespace budgetd::eval
