#include "slo_view.h"

namespace budgetd::api {

Result<SloView> view_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback,
                         const eval::AlertTracker& alerts) {
  auto status = eval::evaluate_slo(slo, at, now, lookback);
  if (!status.ok()) return status.status();
  SloView v;
  v.status = std::move(*status);
  const config::PolicySpec& policy = slo.spec->policy;
  v.tier_index = policy::tier_index(policy, v.status.primary(), slo.spec->objective);
  // Recovery times for the tiers better than the current one.
  std::vector<int64_t> thresholds;
  for (size_t i = 0; i < v.tier_index; ++i) thresholds.push_back(*policy.tiers[i].above);
  v.tier_recovery = eval::recovery_times(slo, v.status.primary(), at, thresholds);
  v.tier_recovery.resize(policy.tiers.size());
  if (at == now) {
    for (const eval::AlertRuleReport& a : v.status.alerts) {
      auto state = alerts.find(slo.spec->name, a.rule->name);
      if (state && state->state == eval::AlertState::kFiring && state->severity == config::Severity::kPage) {
        v.firing_pages.push_back(
            {state->rule, state->long_window, state->short_window, state->long_burn_rate, state->short_burn_rate});
      }
      v.alert_states.push_back(std::move(state));
    }
    v.episodes = alerts.episodes(slo.spec->name);
  } else {
    v.alert_states.resize(v.status.alerts.size());
  }
  return v;
}

}  // namespace budgetd::api
