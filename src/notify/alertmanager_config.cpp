#include "budgetd/notify/alertmanager_config.h"

#include <fmt/format.h>

namespace budgetd::notify {

std::string alertmanager_config(const AlertmanagerExport& e) {
  // The receiver's URL is written as a YAML double-quoted string: JSON escaping is valid there.
  std::string escaped;
  for (const char c : e.receiver_url) {
    if (c == '"' || c == '\\') escaped += '\\';
    escaped += c;
  }
  const std::string receiver =
      e.receiver_url.empty()
          ? "  # Fill in how on-call is reached (pagerduty_configs, slack_configs, webhook_configs, ...).\n"
            "  - name: budgetd-oncall\n"
          : fmt::format("  - name: budgetd-oncall\n    webhook_configs:\n      - url: \"{}\"\n", escaped);
  return fmt::format(
      "# Alertmanager config for budgetd's error-budget alerts (budgetd export alertmanager).\n"
      "# budgetd sends every alert rule as its own alert, labelled alertname=ErrorBudgetBurn, slo, service,\n"
      "# severity, rule and incident. Grouped by slo, the rules that fire for one burn reach on-call as one\n"
      "# notification; a firing page inhibits the tickets of the same SLO.\n"
      "# Into an existing config: add the sub-route under your route's routes, the inhibit rule to your\n"
      "# inhibit_rules, and point the receiver at your on-call.\n"
      "route:\n"
      "  receiver: budgetd-oncall\n"
      "  routes:\n"
      "    - matchers: ['alertname=\"ErrorBudgetBurn\"']\n"
      "      receiver: budgetd-oncall\n"
      "      group_by: [slo]\n"
      "      group_wait: {}\n"
      "      group_interval: {}\n"
      "      repeat_interval: {}\n"
      "inhibit_rules:\n"
      "  - source_matchers: ['alertname=\"ErrorBudgetBurn\"', 'severity=\"page\"']\n"
      "    target_matchers: ['alertname=\"ErrorBudgetBurn\"', 'severity=\"ticket\"']\n"
      "    equal: [slo]\n"
      "receivers:\n"
      "{}",
      format_duration(e.group_wait), format_duration(e.group_interval), format_duration(e.repeat_interval), receiver);
}

}  // namespace budgetd::notify
