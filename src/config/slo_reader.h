#pragma once
// Reads the SLOs of budgetd's own format, the entries of `slos:`: name and service, objective,
// budget windows and budgeting, SLA, SLI, label matchers, and each SLO's own `alerting:` and
// `policy:` over the global ones. Private to the config module.

#include <set>
#include <string>
#include <vector>

#include "alert_rules.h"
#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

// Appends the valid SLOs of the `slos:` list to `out`; every problem goes to `diags`. `names`
// gets every SLO name it holds, so that a name used twice is reported (here, and again by the
// loader when an OpenSLO document uses it too).
void read_slos(const YAML::Node& slos, const AlertingDefaults& global, const PolicySpec& global_policy,
               Diagnostics& diags, std::set<std::string, std::less<>>& names, std::vector<SloSpec>& out);

}  // namespace budgetd::config
