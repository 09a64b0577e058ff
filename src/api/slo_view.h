#pragma once
// Everything the API says about one SLO: its status, its policy tier, its forecast, and the
// state of its alerts. Status, list and gate answers are all built from this. Private to api.

#include <optional>
#include <vector>

#include "budgetd/eval/alert_tracker.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/policy/gate.h"

namespace budgetd::api {

struct SloView {
  eval::SloStatus status;
  size_t tier_index = 0;
  // Per tier of the SLO's policy: when the budget climbs back above its `above` with no new errors.
  std::vector<std::optional<Timestamp>> tier_recovery;
  // Alert states and burn episodes, as of now (only filled when `at` is now).
  std::vector<std::optional<eval::AlertInstance>> alert_states;  // per status.alerts entry
  std::vector<eval::AlertEpisode> episodes;
  std::vector<policy::FiringPage> firing_pages;

  const config::TierSpec& tier() const { return status.spec->policy.tiers[tier_index]; }
  policy::SloInput policy_input() const { return {&status, firing_pages, tier_recovery}; }
};

Result<SloView> view_slo(const store::StoredSlo& slo, Timestamp at, Timestamp now, Millis lookback,
                         const eval::AlertTracker& alerts);

}  // namespace budgetd::api
