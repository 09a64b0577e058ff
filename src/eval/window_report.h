#pragma once
// Filling a WindowReport from the sum of its buckets: the one place that turns counts into
// ratios and refuses a window whose oldest bucket was recycled. Private to the eval module.

#include "budgetd/core/status.h"
#include "budgetd/eval/budget.h"

namespace budgetd::eval {

// Sets w's counts, saturation, error ratio and burn rate from `sum` (w.name and w.bounds are
// set); OutOfRange if part of the window is no longer retained at `at`.
Status fill_window(WindowReport& w, const store::BucketSum& sum, const config::Objective& objective, Timestamp at);

}  // namespace budgetd::eval
