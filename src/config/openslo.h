#pragma once
// OpenSLO v1 documents (apiVersion: openslo/v1) read into budgetd SLOs, beside budgetd's own
// format: in the main config file (as further YAML documents) or in files under `include:`.
// Private to the config module.
//
//   kind SLO          -> one budgetd SLO per objective (named <slo>-<objective> when several)
//     spec.service      the `service` events carry
//     indicator(Ref)    ratioMetric -> ratio SLI; thresholdMetric + objective op lt|lte, value
//                       -> latency SLI with that threshold (lt is exact: just under the value)
//     timeWindow        rolling duration, or {isRolling: false, calendar: {timeZone}} with 1d,
//                       1w, 1M, 1Q or 1Y -> calendar day, week, month, quarter, year
//     budgetingMethod   Occurrences | Timeslices | RatioTimeslices
//     objectives        target (0-1) or targetPercent; timeSliceTarget; timeSliceWindow
//     alertPolicies     their burnrate AlertConditions -> alert rules (long = lookbackWindow,
//                       short = alertAfter or lookbackWindow / 12, factor = threshold)
//   kind SLI, AlertPolicy, AlertCondition   referenced by name
//   kind Service, AlertNotificationTarget, DataSource   accepted; what budgetd cannot use is a warning
//
// Metric-source queries are not run (budgetd is pushed to): a warning per SLO says so, except
// for metric sources of type `budgetd`, which carry the `match` labels (what `budgetd export
// openslo` writes).

#include <string>
#include <vector>

#include "alert_rules.h"
#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

struct OpenSloDoc {
  YAML::Node node;
  Diagnostics* diags;  // of the file it is in
};

// A YAML document that is OpenSLO: a mapping with apiVersion, or a list of such.
bool is_openslo(const YAML::Node& doc);
// Adds the OpenSLO documents of `doc` (one, or a list) to `out`.
void collect_openslo(const YAML::Node& doc, Diagnostics& diags, std::vector<OpenSloDoc>& out);

// The SLOs of `docs`, with budgetd's global alerting defaults and policy; appended to `out`.
void read_openslo(const std::vector<OpenSloDoc>& docs, const AlertingDefaults& global, const PolicySpec& policy,
                  std::vector<SloSpec>& out);

}  // namespace budgetd::config
