#include "budgetd/policy/assessment.h"

#include "budgetd/eval/budget.h"
#include "budgetd/eval/contributors.h"

namespace budgetd::policy {

size_t tier_index(const config::PolicySpec& policy, const eval::BudgetReport& primary,
                  const config::Objective& objective) {
  for (size_t i = 0; i + 1 < policy.tiers.size(); ++i) {
    if (eval::budget_left_above(primary, objective, *policy.tiers[i].above)) return i;
  }
  return policy.tiers.size() - 1;
}

SloAssessment assess(const store::StoredSlo& slo, eval::SloStatus status, const eval::AlertTracker* alerts) {
  SloAssessment a;
  a.status = std::move(status);
  const config::PolicySpec& policy = slo.spec->policy;
  a.tier_index = tier_index(policy, a.status.primary(), slo.spec->objective);
  // Recovery times for the tiers better than the current one.
  std::vector<int64_t> thresholds;
  for (size_t i = 0; i < a.tier_index; ++i) thresholds.push_back(*policy.tiers[i].above);
  a.tier_recovery = eval::recovery_times(slo, a.status.primary(), a.status.at, thresholds);
  a.tier_recovery.resize(policy.tiers.size());
  a.alert_states.resize(a.status.alerts.size());
  if (alerts == nullptr) return a;
  for (size_t i = 0; i < a.status.alerts.size(); ++i) {
    auto state = alerts->find(slo.spec->name, a.status.alerts[i].rule->name);
    if (state && state->state == eval::AlertState::kFiring && state->severity == config::Severity::kPage) {
      a.firing_pages.push_back(
          {state->rule, state->long_window, state->short_window, state->long_burn_rate, state->short_burn_rate});
    }
    a.alert_states[i] = std::move(state);
  }
  a.episodes = alerts->episodes(slo.spec->name);
  return a;
}

void name_budget_contributors(SloAssessment& a, const store::StoredSlo& slo) {
  const eval::WindowReport& w = a.status.primary().window;
  if (!slo.attribution || w.no_data() || a.status.primary().remaining > 0) return;
  auto c = eval::contributors(slo, w.bounds.start, w.bounds.end, "", a.status.at);
  if (c.ok()) a.budget_contributors = eval::top_contributors_text(*c, 3);
}

Result<SloAssessment> assess_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback,
                                 const eval::AlertTracker& alerts) {
  BUDGETD_ASSIGN_OR_RETURN(eval::SloStatus status, eval::evaluate_slo(slo, at, now, lookback));
  return assess(slo, std::move(status), at == now ? &alerts : nullptr);
}

Result<HistoryAssessment> assess_history(const store::StoredSlo& slo, const eval::HistoryQuery& query, int periods,
                                         Timestamp now) {
  HistoryAssessment a;
  BUDGETD_ASSIGN_OR_RETURN(a.history, eval::evaluate_history(slo, query, periods, now));
  a.tier_index.reserve(a.history.points.size());
  for (const eval::HistoryPoint& p : a.history.points) {
    a.tier_index.push_back(tier_index(slo.spec->policy, p.budget, slo.spec->objective));
  }
  return a;
}

}  // namespace budgetd::policy
