#pragma once
// The history of one SLO's primary budget: one point per step over a range, for burn-down
// charts (GET /v1/slos/{name}/history). Each point is the budget a status at that instant
// reports (evaluate_budget at ts: the window ending with the bucket holding ts; a calendar
// window from the start of the period holding ts), built by the same code from the same
// buckets, so a point and `GET /v1/slos/{name}?at=ts` cannot disagree. Beside it, the burn rate
// over 1h and each alert rule's long window, over completed buckets as the rules read them.
//
//   HistoryQuery q{.from = now - 30 * kDay, .to = now, .step = kHour};
//   Result<History> h = evaluate_history(stored_slo, q, /*periods=*/0, now);
//   h->points.back().budget.remaining;
//
// Points lie on multiples of `step` since the epoch (UTC), so every point of a range reads
// the same bucket edges and a coarse ring can answer windows a finer one no longer holds. The
// ring of the primary window keeps it twice over (store::history_span), so a range as long as
// the window is answerable; a burn-rate window no ring still holds at a point's alignment is
// reported as absent (nullopt) rather than guessed.
//
// Cost: one pass over each ring read (prefix sums), then two lookups per window per point.
//
// Thread safety: only reads the store; any thread.

#include <optional>
#include <vector>

#include "budgetd/core/calendar.h"
#include "budgetd/eval/budget.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {

inline constexpr Millis kMinHistoryStep = kMinute;
inline constexpr Millis kMaxHistoryStep = kDay;
inline constexpr size_t kMaxHistoryPoints = 5000;
// The default step aims at no more points than this.
inline constexpr size_t kDefaultHistoryPoints = 720;
inline constexpr int kMaxHistoryPeriods = 24;

struct HistoryQuery {
  Timestamp from;  // the first point is the first multiple of step at or after it
  Timestamp to;    // the last point is the last multiple of step at or before it
  Millis step{0};
};

struct HistoryPoint {
  Timestamp ts;
  BudgetReport budget;  // the primary budget window at ts (coverage not computed)
  // Per History::burn_windows: the burn rate over the completed-bucket window ending at ts;
  // nullopt where no ring still holds that window with edges on its buckets.
  std::vector<std::optional<double>> burn_rates;
};

// A previous calendar period of the primary window, as it closed: its budget at its last instant.
struct PeriodReport {
  Period period;
  BudgetReport budget;
  bool met = false;  // the SLI reached the objective (decided on the integers, as sla_report)
};

struct History {
  Millis step{0};
  std::vector<Millis> burn_windows;   // 1h and each alert rule's long window, shortest first
  std::vector<HistoryPoint> points;   // oldest first
  std::vector<PeriodReport> periods;  // oldest first
};

// A step for `range` with at most about kDefaultHistoryPoints points, rounded up to a round
// duration and to no finer than the primary window's resolution (finer points would repeat).
Millis default_history_step(const store::StoredSlo& slo, Millis range);

// The earliest point time whose primary window the store still holds at `now`.
Timestamp oldest_history_point(const store::StoredSlo& slo, Timestamp now);

// InvalidArgument for a step outside [1m, 1d] or not whole minutes, an empty range, too many
// points, or periods asked of a rolling window; OutOfRange for a `to` after `now` or a range
// (or periods) reaching back before the retained data. Each message says what can be asked.
Result<History> evaluate_history(const store::StoredSlo& slo, const HistoryQuery& query, int periods, Timestamp now);

}  // namespace budgetd::eval
