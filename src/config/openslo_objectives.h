#pragma once
// The objectives of an OpenSLO SLO, each one budgetd SLO: its target, the latency threshold of
// a thresholdMetric indicator (op lt or lte, value), and the time slices of the budgeting method
// (timeSliceTarget, timeSliceWindow). Private to the config module.

#include <map>
#include <optional>
#include <string>

#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

// The SLO's indicator, as far as budgetd uses it.
struct OpenSloIndicator {
  bool threshold = false;  // thresholdMetric, else ratioMetric
  std::string source_type;
  std::map<std::string, std::string> match;  // from metric sources of type budgetd
};

// The name of the SLO objectives[i] becomes: the SLO's own for a single objective, else
// <slo>-<objective name, displayName or i+1>; nullopt after saying why it is not a valid name.
std::optional<std::string> objective_slo_name(const YAML::Node& objectives, size_t i, const std::string& slo,
                                              Diagnostics& diags, const std::string& what);

// Reads one objective into `slo`, whose indicator and budgeting method are given when they are
// valid; false after errors.
bool read_objective_entry(const YAML::Node& node, Diagnostics& diags, const std::string& what,
                          const std::optional<OpenSloIndicator>& ind, const std::optional<BudgetingMethod>& method,
                          SloSpec& slo);

}  // namespace budgetd::config
