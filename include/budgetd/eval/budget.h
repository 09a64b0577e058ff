#pragma once
// One budget window of one SLO at one instant (DESIGN.md §3), under each budgeting method:
//
//   occurrences       allowed bad = (1 - O) x events in the window; consumed = bad / allowed
//   timeslices        the window is cut into slices; a slice is good when good/total >= target,
//                     empty slices count as good; allowed bad = (1 - O) x slices in the window
//   ratio_timeslices  SLI = mean good/total of the non-empty slices; consumed = (1 - SLI) / (1 - O)
//
// Rolling windows end with the bucket (or, under the timeslice methods, the slice) holding t.
// Calendar windows run from the start of the period holding t to that same edge; a calendar
// window's slices are the whole period's, the ones not begun yet counting as empty (good).
//
//   Result<BudgetReport> b = evaluate_budget(stored_slo, spec.windows[0], at);
//   budget_left_above(*b, spec.objective, 50 * kPercent);     // exact tier boundary
//
// Thread safety: only reads the store; any thread.

#include <optional>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/core/window.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {

struct WindowReport {
  Millis length{0};  // rolling: the window; calendar: the nominal period
  std::string name;  // "1h", "month:Europe/Berlin"
  WindowBounds bounds;
  std::optional<Timestamp> period_end;  // calendar windows: when the period ends
  store::Counts counts;
  double error_ratio = 0;
  double burn_rate = 0;
  // Some bucket's counter hit its maximum (1.1e12 events) and stopped counting: the counts are
  // a lower bound and the ratios not to be trusted.
  bool saturated = false;
  bool no_data() const { return counts.total == 0; }
};

// The slices of a window under a timeslice method.
struct SliceReport {
  uint64_t total = 0;     // slices in the window (calendar: in the whole period)
  uint64_t good = 0;      // total - bad: the empty and not yet begun ones included
  uint64_t bad = 0;       // good/total below the slice target (timeslices only)
  uint64_t empty = 0;     // begun, without events
  uint64_t upcoming = 0;  // calendar: not begun yet
  uint64_t nonempty = 0;
  long double ratio_sum = 0;  // sum of the non-empty slices' good/total
  // ratio_timeslices' SLI: the mean ratio of the non-empty slices (1 without any).
  double mean_ratio() const {
    return nonempty == 0 ? 1.0 : static_cast<double>(ratio_sum / static_cast<long double>(nonempty));
  }
};

struct BudgetReport {
  WindowReport window;  // the events in the window, whatever the method
  config::BudgetingMethod method = config::BudgetingMethod::kOccurrences;
  std::optional<SliceReport> slices;  // timeslice methods
  // In the method's unit (events or slices); nullopt under ratio_timeslices, whose budget is a
  // share of a mean ratio, not a count.
  std::optional<double> allowed_bad;
  double consumed = 0;   // share of the budget spent
  double remaining = 1;  // 1 - consumed; negative when overspent
  double sli = 1;        // good share: of events, of slices, or the mean slice ratio
  // The bad events the budget would allow under occurrences: what an alert episode's bad events
  // are compared with (alerts count events under every method).
  double allowed_bad_events = 0;
  // Minutes of the window up to `at` that saw at least one event, and how many minutes that is.
  uint32_t covered_minutes = 0;
  uint32_t elapsed_minutes = 0;
  double coverage() const {
    return elapsed_minutes == 0 ? 0.0 : static_cast<double>(covered_minutes) / elapsed_minutes;
  }
};

// SLA compliance over the primary budget window: the SLI against the contractual target.
struct SlaReport {
  config::Objective target;
  bool met = true;  // sli >= target (decided on the integers where the method has them)
  double sli = 1;
  double margin_percent = 0;  // objective - SLA, in percentage points
  // Bad events (occurrences) or bad slices (timeslices) the window can still take before the
  // SLA is breached at its current size; nullopt under ratio_timeslices or once breached.
  std::optional<uint64_t> bad_until_breach;
};

// The bounds `window` has at t for `spec` (its resolution: the slice under the timeslice
// methods, else the window's own), and the calendar period when it is one.
WindowBounds budget_bounds(const config::SloSpec& spec, const config::WindowSpec& window, Timestamp t,
                           std::optional<Period>* period = nullptr);

// OutOfRange when part of the window is no longer retained (a time too far back).
Result<BudgetReport> evaluate_budget(const store::StoredSlo& slo, const config::WindowSpec& window, Timestamp at);

// True if the budget left is strictly above `above` (1e-9 percent, as config::TierSpec::above):
// on the integer counts under occurrences and timeslices (never a rounding error at a tier
// boundary), in long double under ratio_timeslices.
bool budget_left_above(const BudgetReport& b, const config::Objective& o, int64_t above);

SlaReport sla_report(const BudgetReport& primary, const config::Objective& objective, const config::Objective& sla);

// The earliest time at or after `at` when the budget of `b` (the primary's, evaluated at `at`)
// is strictly above each of `thresholds`, assuming no new errors while traffic goes on at the
// window's average rate. Rolling windows: bucket by bucket (slice by slice) the oldest leaves
// and a good one comes in. Calendar windows: the period's good traffic grows until the period
// ends, and then the budget starts afresh (so never later than period_end). nullopt where it
// never happens within one window length.
std::vector<std::optional<Timestamp>> recovery_times(const store::StoredSlo& slo, const BudgetReport& b, Timestamp at,
                                                     const std::vector<int64_t>& thresholds);

}  // namespace budgetd::eval
