#pragma once
// Error-budget arithmetic over exact integer counts (DESIGN.md §3). Ratios are computed from
// the counts in one division, with the objective held as an exact decimal, so a 99.9 % SLO
// with 144 bad events of 10,000 burns at exactly 14.4.
//
// No data is never NaN: with total = 0 every ratio is 0 and the budget is untouched.

#include "budgetd/config/objective.h"
#include "budgetd/store/bucket_ring.h"

namespace budgetd::eval {

// For exact products of counts and nanopercents (GCC and Clang; __extension__ keeps -Wpedantic quiet).
__extension__ typedef unsigned __int128 Uint128;

// bad / total.
double error_ratio(const store::Counts& c);
// good / total (1 with no data).
double sli_ratio(const store::Counts& c);
// error ratio / (1 - objective).
double burn_rate(const store::Counts& c, const config::Objective& o);
// (1 - objective) * total: the bad events the budget allows over these events.
double allowed_bad(const store::Counts& c, const config::Objective& o);
// bad / allowed_bad: the share of the budget spent (the burn rate of the budget window).
inline double budget_consumed(const store::Counts& c, const config::Objective& o) { return burn_rate(c, o); }
// 1 - consumed; negative once overspent.
inline double budget_remaining(const store::Counts& c, const config::Objective& o) {
  return 1.0 - budget_consumed(c, o);
}
// True if the share of the budget left after `c` is strictly above `above` (1e-9 percent of
// the budget, as config::TierSpec::above; may be negative), decided on the integers: a tier
// boundary never flips on a rounding error (1 - 0.7 is 0.30000000000000004 in binary).
bool budget_left_above(const store::Counts& c, const config::Objective& o, int64_t above);

// The fewest events over which one bad event does not spend more than the whole budget:
// ceil(1 / (1 - objective)), 1,000 at 99.9 %. A budget window with fewer is `too_few_events`:
// (1 - objective) x total < 1, decided on the integers.
uint64_t events_for_one_bad_event(const config::Objective& o);
inline bool too_few_events(const store::Counts& c, const config::Objective& o) {
  return c.total < events_for_one_bad_event(o);
}

}  // namespace budgetd::eval
