#include "status_json.h"

namespace budgetd::api {
namespace {

using json = nlohmann::ordered_json;

json window_json(const eval::WindowReport& w) {
  return {{"window", w.name},
          {"start", format_rfc3339(w.bounds.start)},
          {"end", format_rfc3339(w.bounds.end)},
          {"resolution", format_duration(w.bounds.resolution)},
          {"good", w.counts.good},
          {"total", w.counts.total},
          {"bad", w.counts.bad()},
          {"error_ratio", w.error_ratio},
          {"burn_rate", w.burn_rate},
          {"no_data", w.no_data()},
          {"saturated", w.saturated}};
}

json budget_json(const eval::BudgetReport& b, bool primary) {
  json j = window_json(b.window);
  j["primary"] = primary;
  j["allowed_bad"] = b.allowed_bad;
  j["consumed"] = b.consumed;
  j["remaining"] = b.remaining;
  j["coverage"] = b.coverage();
  j["covered_minutes"] = b.covered_minutes;
  j["elapsed_minutes"] = b.elapsed_minutes;
  return j;
}

json sli_json(const config::SliSpec& sli) {
  if (sli.type == config::SliType::kRatio) return {{"type", "ratio"}};
  return {{"type", "latency"},
          {"threshold_ms", sli.threshold_ms},
          {"failed_requests_are_bad", sli.failed_requests_are_bad}};
}

json alert_json(const eval::AlertRuleReport& a) {
  const config::AlertRuleSpec& r = *a.rule;
  json j = {{"rule", r.name},
            {"severity", config::to_string(r.severity)},
            {"long", r.long_window.name},
            {"short", r.short_window.name},
            {"factor", r.factor},
            {"min_events", r.min_events},
            {"long_burn_rate", a.long_burn_rate},
            {"short_burn_rate", a.short_burn_rate},
            {"long_events", a.long_events},
            {"low_traffic", a.low_traffic},
            {"firing", a.firing}};
  if (!r.runbook_url.empty()) j["runbook_url"] = r.runbook_url;
  return j;
}

}  // namespace

json status_json(const eval::SloStatus& s) {
  const config::SloSpec& spec = *s.spec;
  json budgets = json::array();
  for (size_t i = 0; i < s.budgets.size(); ++i) budgets.push_back(budget_json(s.budgets[i], i == 0));
  json windows = json::array();
  for (const auto& w : s.windows) windows.push_back(window_json(w));
  json alerts = json::array();
  for (const auto& a : s.alerts) alerts.push_back(alert_json(a));
  json j = {{"slo", spec.name},
            {"service", spec.service},
            {"description", spec.description},
            {"objective", spec.objective.percent()},
            {"sli", sli_json(spec.sli)},
            {"match", spec.match},
            {"at", format_rfc3339(s.at)},
            {"budget", budgets.front()},
            {"budgets", std::move(budgets)},
            {"windows", std::move(windows)},
            {"alerts", std::move(alerts)},
            {"memory_bytes", s.memory_bytes}};
  return j;
}

json summary_json(const eval::SloStatus& s) {
  const config::SloSpec& spec = *s.spec;
  const eval::BudgetReport& primary = s.budgets.front();
  const eval::WindowReport& shortest = s.windows.front();
  json firing = json::array();
  for (const auto& a : s.alerts) {
    if (a.firing) firing.push_back(a.rule->name);
  }
  return {{"slo", spec.name},
          {"service", spec.service},
          {"objective", spec.objective.percent()},
          {"window", primary.window.name},
          {"remaining", primary.remaining},
          {"no_data", primary.window.no_data()},
          {"burn_rate", {{"window", shortest.name}, {"value", shortest.burn_rate}}},
          {"firing", std::move(firing)}};
}

}  // namespace budgetd::api
