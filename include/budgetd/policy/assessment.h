#pragma once
// Everything budgetd's policy says about one SLO at one instant: its status, its tier, when
// each better tier comes back, the state of its alerts and the page alerts firing. The API's
// status, list, gate and metrics answers and the backtest's recorder are all built from this
// one assessment, so they cannot drift apart.
//
//   Result<SloAssessment> a = assess_slo(stored_slo, now, now, lookback, daemon_alerts);
//   a->tier().name;                                  // "warning"
//   SloDecision d = decide(*a, ChangeType::kFeature);  // gate.h
//
// Thread safety: only reads the store and the (thread-safe) alert tracker; any thread.

#include <optional>
#include <vector>

#include "budgetd/eval/alert_tracker.h"
#include "budgetd/eval/history.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::policy {

// A page alert firing now: feature and risky changes wait for it to resolve.
struct FiringPage {
  std::string rule;
  std::string long_window;
  std::string short_window;
  double long_burn_rate;
  double short_burn_rate;
};

struct SloAssessment {
  eval::SloStatus status;
  size_t tier_index = 0;  // into status.spec->policy.tiers; 0 is the healthiest
  // Per tier of the SLO's policy: when the remaining budget next climbs strictly above that
  // tier's `above`, assuming no new errors (eval::recovery_times). Set for the tiers better
  // than the current one; nullopt elsewhere, and where it never happens within a window.
  std::vector<std::optional<Timestamp>> tier_recovery;
  // Per status.alerts entry: the rule's alert state. Known only for the instant the tracker
  // last evaluated; all nullopt for a status in the past.
  std::vector<std::optional<eval::AlertInstance>> alert_states;
  std::vector<eval::AlertEpisode> episodes;  // newest first (with alert states only)
  std::vector<FiringPage> firing_pages;
  // When the primary budget is spent: its largest contributors (attribution:), e.g.
  // "endpoint=/pay: 91 % of bad events"; set by name_budget_contributors, which the gate calls.
  std::string budget_contributors;

  const config::TierSpec& tier() const { return status.spec->policy.tiers[tier_index]; }
};

// The tier of a primary budget: the first whose `above` it strictly exceeds, else the last.
// Decided on the integer counts (eval::budget_left_above), never on a rounded share, except
// under ratio_timeslices, whose budget is a mean of ratios. So exactly 50 % is caution.
size_t tier_index(const config::PolicySpec& policy, const eval::BudgetReport& primary,
                  const config::Objective& objective);

// Sets a.budget_contributors when the primary budget is spent and the SLO attributes labels:
// the gate's reasons then name who spent it. Separate from assess() because it reads every
// value's ring, which only a spent budget's gate answer needs.
void name_budget_contributors(SloAssessment& a, const store::StoredSlo& slo);

// Assesses a status already evaluated. `alerts`: the alert states as of status.at (the
// daemon's tracker when status.at is now, the backtest's at each step); nullptr when there are
// none for that instant.
SloAssessment assess(const store::StoredSlo& slo, eval::SloStatus status, const eval::AlertTracker* alerts);

// Evaluates `slo` at `at` and assesses it; alert states only when `at` is `now`.
// OutOfRange as eval::evaluate_slo.
Result<SloAssessment> assess_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback,
                                 const eval::AlertTracker& alerts);

// The history of an SLO's primary budget (eval/history.h) with each point's tier, decided by
// tier_index() as the status's is: GET /v1/slos/{name}/history.
struct HistoryAssessment {
  eval::History history;
  std::vector<size_t> tier_index;  // per history.points entry
};

// Errors as eval::evaluate_history.
Result<HistoryAssessment> assess_history(const store::StoredSlo& slo, const eval::HistoryQuery& query, int periods,
                                         Timestamp now);

}  // namespace budgetd::policy
