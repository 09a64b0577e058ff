#pragma once
// Alert-rule config: the global `alerting:` defaults, an SLO's own `alerting:`, and how the two
// turn into the concrete rules of one SLO; and the rolling windows rules (and budget windows) are
// made of. Private to the config module.

#include <optional>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "yaml_reader.h"

namespace budgetd::config {

struct AlertRuleDraft {
  std::string name;
  Severity severity = Severity::kPage;
  WindowSpec long_window;
  WindowSpec short_window;
  std::optional<double> factor;          // either this ...
  std::optional<double> budget_percent;  // ... or this share of the primary window's budget
  std::optional<uint64_t> min_events;
  std::optional<std::string> runbook_url;
  YAML::Node where;  // for diagnostics
  bool is_default = false;
};

struct AlertingDefaults {
  uint64_t min_events = 10;
  std::string runbook_url;                           // may hold {slo}, {service}, {rule}
  std::optional<std::vector<AlertRuleDraft>> rules;  // nullopt: the DESIGN.md §3 table
};

// A rolling window such as "5m" or "30d": an alert rule's long or short window, or a budget
// window that is not a calendar one.
std::optional<WindowSpec> read_window(const YAML::Node& n, Diagnostics& diags, std::string_view what);
// A rolling window of `length`, checked against the longest window and the bucket ladder; a
// problem is reported at `where` (`text`: the length as written there, if not budgetd's form).
std::optional<WindowSpec> check_window(Millis length, const YAML::Node& where, Diagnostics& diags,
                                       std::string_view what, std::string_view text = {});

// Reads `min_events`, `runbook_url` and `rules` over the values already in `out`.
void read_alerting(MapReader& m, AlertingDefaults& out);

// The rules of `slo` (whose objective and windows are valid), with factors computed, checked
// against the largest possible burn rate, and runbook templates filled in.
std::vector<AlertRuleSpec> resolve_alert_rules(const AlertingDefaults& defaults, const SloSpec& slo,
                                               const YAML::Node& slo_node, Diagnostics& diags);

}  // namespace budgetd::config
