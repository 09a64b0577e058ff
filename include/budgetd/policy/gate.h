#pragma once
// Deploy-gate decisions (DESIGN.md §3), from an SLO's assessment (assessment.h: its tier, its
// recovery times, its firing pages).
//
//   SloDecision d = decide(assessment, config::ChangeType::kFeature);
//   GateDecision g = combine({d1, d2, ...});                      // a service's SLOs: strictest wins
//
// The tier decides per change type; a firing page alert denies feature and risky changes
// whatever the tier. Every reason is a sentence a developer can act on.

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
  bool allowed() const { return verdict != Verdict::kDeny; }
};

SloDecision decide(const SloAssessment& assessment, config::ChangeType change);

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
