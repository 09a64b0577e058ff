#pragma once
// An OpenSLO SLO's alertPolicies and their burn-rate AlertConditions, as budgetd alert rules: the
// long window is the condition's lookbackWindow, the short one its alertAfter (or a twelfth of
// the lookback), the factor its threshold. Private to the config module.

#include <string>
#include <vector>

#include "alert_rules.h"
#include "budgetd/core/status.h"
#include "openslo_documents.h"

namespace budgetd::config {

// The rules of `list`, an SLO's alertPolicies (each inline or an alertPolicyRef, each condition
// inline or a conditionRef); empty when it has none, and then budgetd's defaults apply. An error
// when any policy or condition has one; each problem is reported, at its place, before that.
Result<std::vector<AlertRuleDraft>> read_alert_policies(const YAML::Node& list, const OpenSloIndex& index,
                                                        Diagnostics& diags, const std::string& what);

}  // namespace budgetd::config
