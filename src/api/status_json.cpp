#include "status_json.h"

#include "budgetd/eval/budget_math.h"

namespace budgetd::api {
namespace {

using json = nlohmann::ordered_json;

json window_json(const eval::WindowReport& w) {
  json j = {{"window", w.name},
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
  if (w.period_end) j["period_end"] = format_rfc3339(*w.period_end);
  return j;
}

json budget_json(const eval::BudgetReport& b, bool primary) {
  json j = window_json(b.window);
  j["primary"] = primary;
  j["method"] = config::to_string(b.method);
  j["sli"] = b.sli;
  j["allowed_bad"] = b.allowed_bad ? json(*b.allowed_bad) : json(nullptr);
  j["consumed"] = b.consumed;
  j["remaining"] = b.remaining;
  if (b.slices) {
    const eval::SliceReport& s = *b.slices;
    j["slices"] = {{"total", s.total}, {"good", s.good},         {"bad", s.bad},
                   {"empty", s.empty}, {"upcoming", s.upcoming}, {"mean_ratio", s.mean_ratio()}};
    j["empty_slices"] = s.empty;  // the name the issue gives it, beside slices.empty
  }
  j["coverage"] = b.coverage();
  j["covered_minutes"] = b.covered_minutes;
  j["elapsed_minutes"] = b.elapsed_minutes;
  return j;
}

json sla_json(const eval::SlaReport& s) {
  return {{"target", s.target.percent()},
          {"met", s.met},
          {"sli", s.sli},
          {"margin_percent", s.margin_percent},
          {"bad_until_breach", s.bad_until_breach ? json(*s.bad_until_breach) : json(nullptr)}};
}

json budgeting_json(const config::BudgetingSpec& b) {
  json j = {{"method", config::to_string(b.method)}};
  if (b.timesliced()) j["slice"] = format_duration(b.slice);
  if (b.method == config::BudgetingMethod::kTimeslices) j["slice_target"] = b.slice_target_ratio();
  return j;
}

json sli_json(const config::SliSpec& sli) {
  if (sli.type == config::SliType::kRatio) return {{"type", "ratio"}};
  return {{"type", "latency"},
          {"threshold_ms", sli.threshold_ms},
          {"failed_requests_are_bad", sli.failed_requests_are_bad}};
}

json optional_time(const std::optional<Timestamp>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

json rule_json(const eval::AlertRuleReport& a, const std::optional<eval::AlertInstance>& state) {
  const config::AlertRuleSpec& r = *a.rule;
  json j = {{"rule", r.name},
            {"severity", config::to_string(r.severity)},
            {"long", r.long_window.name},
            {"short", r.short_window.name},
            {"factor", r.factor},
            {"min_events", r.min_events},
            {"long_burn_rate", a.long_window.burn_rate},
            {"short_burn_rate", a.short_window.burn_rate},
            {"long_window", window_json(a.long_window)},
            {"short_window", window_json(a.short_window)},
            {"events", a.long_window.counts.total},
            {"low_traffic", a.low_traffic},
            {"insufficient_data", a.low_traffic && !a.firing},
            {"condition", a.firing}};
  if (state) {
    j["state"] = eval::to_string(state->state);
    j["firing"] = state->state == eval::AlertState::kFiring;
    if (state->state != eval::AlertState::kInactive) {
      j["since"] = format_rfc3339(state->since);
      j["resolved_at"] = optional_time(state->resolved_at);
      j["budget_consumed"] = state->budget_consumed;
      j["postmortem_required"] = state->postmortem_required;
    }
  } else {
    j["firing"] = a.firing;
    j["state"] = a.firing ? "firing" : a.low_traffic ? "insufficient_data" : "inactive";
  }
  if (!r.runbook_url.empty()) j["runbook_url"] = r.runbook_url;
  return j;
}

json tier_json(const policy::SloAssessment& v) {
  const config::TierSpec& t = v.tier();
  json decisions = json::object();
  for (const config::ChangeType c : config::kChangeTypes) {
    const config::ChangeRule& r = t.rule(c);
    decisions[config::to_string(c)] = {{"decision", r.allow ? "allow" : "deny"}, {"requires", r.requirements}};
  }
  return {{"name", t.name}, {"summary", policy::describe_tier(t)}, {"changes", std::move(decisions)}};
}

json forecast_json(const policy::SloAssessment& v) {
  json recovers = json::array();
  const auto& tiers = v.status.spec->policy.tiers;
  for (size_t i = 0; i < v.tier_index; ++i) {
    recovers.push_back({{"tier", tiers[i].name},
                        {"above_percent", tiers[i].above_percent()},
                        {"at", optional_time(v.tier_recovery[i])}});
  }
  return {{"burn_rate_1h", v.status.forecast.burn_rate_1h},
          {"exhausted_at", optional_time(v.status.forecast.exhausted_at)},
          {"recovers", std::move(recovers)}};
}

// The primary budget window against the events one bad event needs not to overspend it.
json too_few_events_json(const eval::SloStatus& s) {
  const eval::BudgetReport& b = s.primary();
  const bool occurrences = b.method == config::BudgetingMethod::kOccurrences;
  return {{"flagged", occurrences && eval::too_few_events(b.window.counts, s.spec->objective)},
          {"events", b.window.counts.total},
          {"needed", eval::events_for_one_bad_event(s.spec->objective)}};
}

}  // namespace

json status_json(const policy::SloAssessment& v) {
  const eval::SloStatus& s = v.status;
  const config::SloSpec& spec = *s.spec;
  json budgets = json::array();
  for (size_t i = 0; i < s.budgets.size(); ++i) budgets.push_back(budget_json(s.budgets[i], i == spec.primary));
  json windows = json::array();
  for (const auto& w : s.windows) windows.push_back(window_json(w));
  json alerts = json::array();
  for (size_t i = 0; i < s.alerts.size(); ++i) alerts.push_back(rule_json(s.alerts[i], v.alert_states[i]));
  json episodes = json::array();
  for (const auto& e : v.episodes) {
    episodes.push_back({{"rule", e.rule},
                        {"severity", config::to_string(e.severity)},
                        {"start", format_rfc3339(e.start)},
                        {"end", optional_time(e.end)},
                        {"budget_consumed", e.budget_consumed},
                        {"postmortem_required", e.postmortem_required}});
  }
  json out = {{"slo", spec.name},
              {"service", spec.service},
              {"description", spec.description},
              {"objective", spec.objective.percent()},
              {"sli", sli_json(spec.sli)},
              {"budgeting", budgeting_json(spec.budgeting)},
              {"match", spec.match},
              {"at", format_rfc3339(s.at)},
              {"tier", tier_json(v)},
              {"budget", budgets[spec.primary]},
              {"budgets", std::move(budgets)},
              {"sla", s.sla ? sla_json(*s.sla) : json(nullptr)},
              {"forecast", forecast_json(v)},
              {"windows", std::move(windows)},
              {"alerts", std::move(alerts)},
              {"episodes", std::move(episodes)},
              {"too_few_events", too_few_events_json(s)},
              {"memory_bytes", s.memory_bytes}};
  return out;
}

json summary_json(const policy::SloAssessment& v) {
  const eval::SloStatus& s = v.status;
  const config::SloSpec& spec = *s.spec;
  const eval::BudgetReport& primary = s.primary();
  const eval::WindowReport& shortest = s.windows.front();
  json firing = json::array();
  json insufficient = json::array();
  for (size_t i = 0; i < s.alerts.size(); ++i) {
    const bool on = v.alert_states[i] ? v.alert_states[i]->state == eval::AlertState::kFiring : s.alerts[i].firing;
    if (on) firing.push_back(s.alerts[i].rule->name);
    if (!on && s.alerts[i].low_traffic) insufficient.push_back(s.alerts[i].rule->name);
  }
  return {{"slo", spec.name},
          {"service", spec.service},
          {"objective", spec.objective.percent()},
          {"window", primary.window.name},
          {"remaining", primary.remaining},
          {"tier", v.tier().name},
          {"no_data", primary.window.no_data()},
          {"burn_rate", {{"window", shortest.name}, {"value", shortest.burn_rate}}},
          {"firing", std::move(firing)},
          {"insufficient_data", std::move(insufficient)},
          {"too_few_events", too_few_events_json(s)["flagged"]}};
}

}  // namespace budgetd::api
