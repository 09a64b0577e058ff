#include "budgetd/policy/gate.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>

namespace budgetd::policy {

namespace {

using config::ChangeType;

const char* plural(ChangeType c) {
  switch (c) {
    case ChangeType::kFeature:
      return "feature changes";
    case ChangeType::kRisky:
      return "risky changes";
    case ChangeType::kReliability:
      return "reliability fixes";
    case ChangeType::kSecurity:
      return "security patches";
  }
  return "changes";
}

std::string requirement_phrase(const std::string& r) {
  if (r == "canary") return "a canary";
  std::string s = r;
  std::replace(s.begin(), s.end(), '-', ' ');
  return s;
}

std::string join_and(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

std::string percent(double share) { return fmt::format("{:.1f} %", share * 100); }

}  // namespace

std::optional<ChangeType> parse_change(std::string_view name) {
  for (const ChangeType c : config::kChangeTypes) {
    if (name == config::to_string(c)) return c;
  }
  return std::nullopt;
}

const char* to_string(Verdict v) {
  switch (v) {
    case Verdict::kAllow:
      return "allow";
    case Verdict::kAllowWithRequirements:
      return "allow_with_requirements";
    case Verdict::kDeny:
      return "deny";
  }
  return "?";
}

std::string describe_tier(const config::TierSpec& tier) {
  std::vector<std::string> denied;
  std::vector<std::string> parts;
  for (const ChangeType c : config::kChangeTypes) {
    if (!tier.rule(c).allow) denied.push_back(config::to_string(c));
  }
  if (!denied.empty()) parts.push_back(join_and(denied) + " changes are frozen");
  for (const ChangeType c : config::kChangeTypes) {
    const config::ChangeRule& r = tier.rule(c);
    if (!r.allow || r.requirements.empty()) continue;
    std::vector<std::string> needs;
    for (const auto& x : r.requirements) needs.push_back(requirement_phrase(x));
    parts.push_back(std::string(plural(c)) + " need " + join_and(needs));
  }
  if (parts.empty()) return "all changes are allowed";
  return fmt::format("{}", fmt::join(parts, "; "));
}

namespace {

bool page_blocks(const SloAssessment& in, ChangeType change) {
  return !in.firing_pages.empty() && (change == ChangeType::kFeature || change == ChangeType::kRisky);
}

bool no_data_holds(const SloAssessment& in, ChangeType change) {
  return in.status.primary().window.no_data() && in.status.spec->policy.no_data != config::NoDataDecision::kAllow &&
         (change == ChangeType::kFeature || change == ChangeType::kRisky);
}

// When `change` gets through this SLO again if no new errors come in (SloDecision::reopens_at).
std::optional<Timestamp> reopens_at(const SloAssessment& in, ChangeType change) {
  const config::PolicySpec& policy = in.status.spec->policy;
  if (no_data_holds(in, change))
    return policy.no_data == config::NoDataDecision::kDeny || page_blocks(in, change) ? std::nullopt
                                                                                      : std::optional(in.status.at);
  // Held back by a firing page alone: it must resolve first, and no forecast says when.
  if (in.tier().rule(change).allow) return page_blocks(in, change) ? std::nullopt : std::optional(in.status.at);
  // Held back by the tier (a page too, maybe): when a better tier comes back. With no new errors
  // a page resolves within its long window, well before a spent budget recovers.
  std::optional<Timestamp> reopens;
  for (size_t i = 0; i < in.tier_index && i < in.tier_recovery.size(); ++i) {
    if (policy.tiers[i].rule(change).allow && in.tier_recovery[i] && (!reopens || *in.tier_recovery[i] < *reopens))
      reopens = in.tier_recovery[i];
  }
  return reopens;
}

}  // namespace

SloDecision decide(const SloAssessment& in, ChangeType change) {
  const config::SloSpec& spec = *in.status.spec;
  const eval::BudgetReport& budget = in.status.primary();
  SloDecision d;
  d.slo = spec.name;
  d.remaining = budget.remaining;
  d.tier_index = in.tier_index;
  const config::TierSpec& tier = in.tier();
  d.tier = tier.name;
  for (const ChangeType c : config::kChangeTypes) d.reopens_at[static_cast<size_t>(c)] = reopens_at(in, c);

  const std::string window = budget.window.name;
  std::string state;
  if (budget.window.no_data()) {
    state = fmt::format("{} has no events in its {} window yet, so its error budget is untouched", spec.name, window);
  } else if (budget.remaining < 0) {
    state = fmt::format("{} has overspent its {} error budget by {}", spec.name, window, percent(-budget.remaining));
  } else {
    state = fmt::format("{} has {} of its {} error budget left", spec.name, percent(budget.remaining), window);
  }
  std::string reason = fmt::format("{} ({}): {}", state, tier.name, describe_tier(tier));
  if (!in.budget_contributors.empty()) reason += fmt::format("; spent mostly by {}", in.budget_contributors);

  const config::ChangeRule& rule = tier.rule(change);
  if (!rule.allow) {
    d.verdict = Verdict::kDeny;
    if (const auto reopens = d.reopens_at[static_cast<size_t>(change)])
      reason += fmt::format("; {} deploys reopen around {} if no new errors", config::to_string(change),
                            format_rfc3339(*reopens));
  } else if (!rule.requirements.empty()) {
    d.verdict = Verdict::kAllowWithRequirements;
    d.requirements = rule.requirements;
  }
  d.reasons.push_back(std::move(reason));

  if (budget.window.no_data()) {
    d.insufficient_data = true;
    const config::NoDataDecision choice = spec.policy.no_data;
    if (no_data_holds(in, change)) {
      if (choice == config::NoDataDecision::kDeny) {
        d.verdict = Verdict::kDeny;
        d.requirements.clear();
      } else if (d.verdict != Verdict::kDeny) {
        d.verdict = Verdict::kAllowWithRequirements;
        if (std::find(d.requirements.begin(), d.requirements.end(), "canary") == d.requirements.end())
          d.requirements.push_back("canary");
      }
    }
    d.reasons.push_back(
        fmt::format("{}: no data to judge the change by; policy.no_data is {}, so feature and risky changes are {}",
                    spec.name, config::to_string(choice),
                    choice == config::NoDataDecision::kAllow  ? "allowed as the untouched budget's tier allows them"
                    : choice == config::NoDataDecision::kDeny ? "denied until events arrive"
                                                              : "allowed with a canary"));
  }

  for (const FiringPage& p : in.firing_pages) {
    d.reasons.push_back(
        fmt::format("{}: the page alert {} is firing (burn rate {:.1f}x over {} and {:.1f}x over {}): feature and "
                    "risky changes are "
                    "denied until it resolves",
                    spec.name, p.rule, p.long_burn_rate, p.long_window, p.short_burn_rate, p.short_window));
    if (page_blocks(in, change)) {
      d.verdict = Verdict::kDeny;
      d.requirements.clear();
    }
  }
  return d;
}

GateDecision combine(std::vector<SloDecision> decisions) {
  GateDecision g;
  // The strictest verdict decides; among equals, the SLO with the least budget left.
  const auto stricter = [](const SloDecision& a, const SloDecision& b) {
    if (a.verdict != b.verdict) return a.verdict > b.verdict;
    return a.remaining < b.remaining;
  };
  const SloDecision& decider = *std::min_element(decisions.begin(), decisions.end(), stricter);
  g.verdict = decider.verdict;
  g.tier = decider.tier;
  g.insufficient_data =
      std::any_of(decisions.begin(), decisions.end(), [](const SloDecision& d) { return d.insufficient_data; });
  std::set<std::string> seen;
  for (const SloDecision& d : decisions) {
    for (const auto& r : d.reasons) g.reasons.push_back(r);
    if (g.verdict == Verdict::kDeny) continue;  // nothing to fulfil when denied
    for (const auto& r : d.requirements) {
      if (seen.insert(r).second) g.requirements.push_back(r);
    }
  }
  g.slos = std::move(decisions);
  return g;
}

}  // namespace budgetd::policy
