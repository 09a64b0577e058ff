// OpenSLO alert policies and conditions. Only burn-rate conditions are budgetd's kind of alert;
// anything else is refused rather than silently turned into a different alert.

#include "openslo_alerts.h"

#include <algorithm>

#include <fmt/format.h>

#include "budgetd/core/window.h"
#include "openslo_time.h"

namespace budgetd::config {
namespace {

// The long and short windows of a condition: lookbackWindow, and alertAfter or a twelfth of the
// lookback, each on the bucket ladder.
bool read_condition_windows(const YAML::Node& cond, const YAML::Node& lookback, const YAML::Node& after,
                            Diagnostics& diags, const std::string& where, AlertRuleDraft& r) {
  if (!lookback.IsDefined()) {
    diags.error(cond, fmt::format("{}: lookbackWindow is required", where));
    return false;
  }
  const auto long_len = read_fixed_duration(lookback, diags, where + ": lookbackWindow");
  if (!long_len) return false;
  Millis short_len = *long_len / 12;
  if (after.IsDefined()) {
    const auto a = read_fixed_duration(after, diags, where + ": alertAfter");
    if (!a) return false;
    short_len = *a;
  }
  auto long_w = check_window(*long_len, lookback, diags, where + ": lookbackWindow", lookback.Scalar());
  // The short window at the ladder resolution: a twelfth of 1d is 2h, of 1h is 5m.
  short_len = std::max(short_len, resolution_for(short_len));
  short_len = short_len / resolution_for(short_len) * resolution_for(short_len);
  auto short_w = check_window(short_len, after.IsDefined() ? after : lookback, diags, where + ": short window");
  if (!long_w || !short_w) return false;
  if (short_w->length >= long_w->length) {
    diags.error(after.IsDefined() ? after : lookback,
                fmt::format("{}: alertAfter ({}) becomes the short window and must be "
                            "shorter than lookbackWindow ({})",
                            where, short_w->name, long_w->name));
    return false;
  }
  r.long_window = *long_w;
  r.short_window = *short_w;
  return true;
}

std::optional<AlertRuleDraft> read_condition(const OpenSloDoc& c, const std::string& what) {
  Diagnostics& diags = *c.diags;
  const std::string name = name_of(c.node);
  const std::string where = fmt::format("{}: AlertCondition '{}'", what, name);
  if (!is_slug(name)) {
    diags.error(c.node, fmt::format("{}: the name must be 1-63 of a-z, 0-9 and '-' to become a rule name", where));
    return std::nullopt;
  }
  MapReader spec(at(c.node, "spec"), diags, where + ": spec");
  if (!spec.valid()) return std::nullopt;
  spec.get("description");
  AlertRuleDraft r;
  r.name = name;
  r.where = c.node;
  const std::string severity = spec.string("severity").value_or("page");
  r.severity =
      (severity == "page" || severity == "critical" || severity == "high") ? Severity::kPage : Severity::kTicket;
  MapReader cond(spec.get("condition"), diags, where + ": condition");
  if (!cond.valid()) return std::nullopt;
  const YAML::Node lookback = cond.get("lookbackWindow");
  const YAML::Node after = cond.get("alertAfter");
  const YAML::Node threshold = cond.get("threshold");
  const auto kind = cond.string("kind", true);
  if (kind && *kind != "burnrate") {
    diags.error(cond.get("kind"), fmt::format("{}: condition kind '{}' is not supported: budgetd alerts on burn "
                                              "rates (kind: burnrate)",
                                              where, *kind));
    return std::nullopt;
  }
  const auto op = cond.string("op").value_or("gt");
  if (op != "gt" && op != "gte") {
    diags.error(cond.get("op"), fmt::format("{}: op '{}' cannot be honoured: budgetd's rules fire while the burn "
                                            "rate is above the threshold (op gt or gte)",
                                            where, op));
    return std::nullopt;
  }
  r.factor = cond.number("threshold", 0, 1e9);
  if (!r.factor) {
    if (!threshold.IsDefined()) diags.error(cond.node(), fmt::format("{}: threshold is required", where));
    return std::nullopt;
  }
  if (!read_condition_windows(cond.node(), lookback, after, diags, where, r)) return std::nullopt;
  return r;
}

// The rules of one policy's conditions, appended to `rules`; false after an error in any.
bool read_policy_conditions(const OpenSloDoc& policy, const OpenSloIndex& index, const std::string& what,
                            std::vector<AlertRuleDraft>& rules) {
  const YAML::Node conditions = at(at(policy.node, "spec"), "conditions");
  if (!conditions.IsSequence() || conditions.size() == 0) {
    policy.diags->error(policy.node,
                        fmt::format("{}: AlertPolicy '{}' needs a list of conditions", what, name_of(policy.node)));
    return false;
  }
  bool ok = true;
  for (const YAML::Node& c : conditions) {
    OpenSloDoc condition{c, policy.diags};
    if (c.IsMap() && at(c, "conditionRef").IsDefined()) {
      const OpenSloDoc* named = find_referenced(index.alert_conditions, at(c, "conditionRef"), "conditionRef",
                                                "AlertCondition", *policy.diags, what);
      if (named == nullptr) {
        ok = false;
        continue;
      }
      condition = *named;
    }
    if (auto rule = read_condition(condition, what)) {
      rules.push_back(std::move(*rule));
    } else {
      ok = false;
    }
  }
  return ok;
}

}  // namespace

Result<std::vector<AlertRuleDraft>> read_alert_policies(const YAML::Node& list, const OpenSloIndex& index,
                                                        Diagnostics& diags, const std::string& what) {
  if (!list.IsDefined() || list.IsNull()) return std::vector<AlertRuleDraft>{};
  if (!list.IsSequence()) {
    std::string message = fmt::format("{}: alertPolicies must be a list", what);
    diags.error(list, message);
    return InvalidArgument(std::move(message));
  }
  std::vector<AlertRuleDraft> rules;
  bool ok = true;
  for (const YAML::Node& entry : list) {
    OpenSloDoc policy{entry, &diags};
    if (entry.IsMap() && at(entry, "alertPolicyRef").IsDefined()) {
      const OpenSloDoc* named = find_referenced(index.alert_policies, at(entry, "alertPolicyRef"), "alertPolicyRef",
                                                "AlertPolicy", diags, what);
      if (named == nullptr) {
        ok = false;
        continue;
      }
      policy = *named;
    }
    ok = read_policy_conditions(policy, index, what, rules) && ok;
  }
  if (!ok) return InvalidArgument(fmt::format("{}: its alertPolicies have errors", what));
  return rules;
}

}  // namespace budgetd::config
