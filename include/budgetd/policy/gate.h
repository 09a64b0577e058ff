#pragma once
// Policy tiers and deploy-gate decisions (DESIGN.md §3).
//
//   size_t tier = tier_index(spec.policy, status.primary(), spec.objective);  // 0 is the healthiest
//   SloDecision d = decide(input, config::ChangeType::kFeature);
//   GateDecision g = combine({d1, d2, ...});                      // a service's SLOs: strictest wins
//
// The tier comes from the primary budget window's remaining share: the first tier whose `above`
// (a percentage) it strictly exceeds, else the last. So exactly 50 % is caution, not healthy.
// Decided on the integer counts (eval::budget_left_above), never on a rounded share, except
// under ratio_timeslices, whose budget is a mean of ratios.
// A firing page alert denies feature and risky changes whatever the tier. Every reason is a
// sentence a developer can act on.

#include <optional>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/eval/slo_status.h"

namespace budgetd::policy {

size_t tier_index(const config::PolicySpec& policy, const eval::BudgetReport& primary,
                  const config::Objective& objective);

struct FiringPage {
  std::string rule;
  std::string long_window;
  std::string short_window;
  double long_burn_rate;
  double short_burn_rate;
};

struct SloInput {
  const eval::SloStatus* status;
  std::vector<FiringPage> firing_pages;
  // Per tier of the SLO's policy: when the remaining budget next exceeds that tier's `above`,
  // assuming no new errors (eval::recovery_times); nullopt where unknown or never.
  std::vector<std::optional<Timestamp>> tier_recovery;
};

// How strict a decision is: the gate reports the strictest.
enum class Verdict { kAllow = 0, kAllowWithRequirements = 1, kDeny = 2 };
const char* to_string(Verdict v);

struct SloDecision {
  std::string slo;
  std::string tier;
  size_t tier_index = 0;
  double remaining = 1;
  Verdict verdict = Verdict::kAllow;
  std::vector<std::string> requirements;
  std::vector<std::string> reasons;
  bool allowed() const { return verdict != Verdict::kDeny; }
};

SloDecision decide(const SloInput& input, config::ChangeType change);

struct GateDecision {
  Verdict verdict = Verdict::kAllow;
  std::string tier;  // of the SLO that decided
  std::vector<std::string> reasons;
  std::vector<std::string> requirements;
  std::vector<SloDecision> slos;
  bool allowed() const { return verdict != Verdict::kDeny; }
};

// REQUIRES: !decisions.empty()
GateDecision combine(std::vector<SloDecision> decisions);

// A tier's policy in words: "feature and risky changes are frozen; reliability fixes need a canary".
std::string describe_tier(const config::TierSpec& tier);

std::optional<config::ChangeType> parse_change(std::string_view name);

}  // namespace budgetd::policy
