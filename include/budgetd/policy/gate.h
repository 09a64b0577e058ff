#pragma once
// Deploy-gate decisions (DESIGN.md §3), from an SLO's assessment (assessment.h: its tier, its
// recovery times, its firing pages).
//
//   SloDecision d = decide(assessment, config::ChangeType::kFeature);
//   GateDecision g = combine({d1, d2, ...});                      // a service's SLOs: strictest wins
//
// The tier decides per change type; a firing page alert denies feature and risky changes
// whatever the tier; an SLO with no events in its primary budget window answers feature and
// risky changes as its policy.no_data says (reliability fixes and security patches are never
// held back for want of data). Every reason is a sentence a developer can act on, and the
// structured parts (reopens_at, insufficient_data) say the same for a machine.

#include <array>
#include <optional>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/policy/assessment.h"

namespace budgetd::policy {

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
  // The primary budget window has no events: policy.no_data decided feature and risky changes.
  bool insufficient_data = false;
  // Per change type (config::kChangeTypes order): when this SLO lets it through, if no new
  // errors come in: `at` when it does now, the forecast time when a better tier comes back, or
  // nullopt when no forecast says (only a firing page holds it back, no data must arrive, or
  // the budget does not recover within its window).
  std::array<std::optional<Timestamp>, 4> reopens_at{};
  bool allowed() const { return verdict != Verdict::kDeny; }
};

SloDecision decide(const SloAssessment& assessment, config::ChangeType change);

struct GateDecision {
  Verdict verdict = Verdict::kAllow;
  std::string tier;  // of the SLO that decided
  std::vector<std::string> reasons;
  std::vector<std::string> requirements;
  std::vector<SloDecision> slos;
  bool insufficient_data = false;  // some SLO had no data (its policy.no_data decided)
  bool allowed() const { return verdict != Verdict::kDeny; }
};

// REQUIRES: !decisions.empty()
GateDecision combine(std::vector<SloDecision> decisions);

// A tier's policy in words: "feature and risky changes are frozen; reliability fixes need a canary".
std::string describe_tier(const config::TierSpec& tier);

std::optional<config::ChangeType> parse_change(std::string_view name);

}  // namespace budgetd::policy
