#pragma once
// An SLO's budget windows (rolling or calendar) and its budgeting method (occurrences or time
// slices), and whether the slices fit the windows. Private to the config module.

#include <optional>
#include <string>

#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

// "30d" (rolling; see read_window) or {calendar: month, timezone: Europe/Berlin}.
std::optional<WindowSpec> read_budget_window(const YAML::Node& n, Diagnostics& diags, const std::string& what);

// {method: occurrences} | {method: timeslices, slice: 1m, slice_target: 0.95} |
// {method: ratio_timeslices, slice: 1m}.
std::optional<BudgetingSpec> read_budgeting(const YAML::Node& n, Diagnostics& diags, const std::string& what);

// One of the store's bucket sizes (10s, 1m, 5m, 1h): what a time slice may be.
bool is_ladder_resolution(Millis d);

// Every budget window must be cut into whole slices; false (after reporting why) if one is not.
bool check_slices_fit(const SloSpec& slo, const YAML::Node& where, Diagnostics& diags, const std::string& what);

}  // namespace budgetd::config
