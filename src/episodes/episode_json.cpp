#include "budgetd/episodes/episode_json.h"

#include "budgetd/eval/contributors_json.h"

namespace budgetd::episodes {
namespace {

using json = nlohmann::ordered_json;

double seconds(Millis d) { return static_cast<double>(d.count()) / 1000.0; }

json time_or_null(const std::optional<Timestamp>& t) { return t ? json(format_rfc3339(*t)) : json(nullptr); }

}  // namespace

json episode_json(const Episode& e, Timestamp now) {
  json alerts = json::array();
  for (const RuleSpan& s : e.spans) {
    alerts.push_back({{"rule", s.rule},
                      {"severity", config::to_string(s.severity)},
                      {"fired", format_rfc3339(s.fired)},
                      {"resolved", time_or_null(s.resolved)}});
  }
  return {{"id", e.id},
          {"slo", e.slo},
          {"service", e.service},
          {"status", e.ongoing() ? "ongoing" : "resolved"},
          {"start", format_rfc3339(e.start)},
          {"detection", format_rfc3339(e.detection)},
          {"end", time_or_null(e.end)},
          {"duration_seconds", seconds(e.end.value_or(now) - e.start)},
          {"detection_delay_seconds", seconds(e.detection - e.start)},
          {"rules", e.rules()},
          {"alerts", std::move(alerts)},
          {"peak_burn_rate", e.peak_burn_rate},
          {"peak_rule", e.peak_rule},
          {"peak_at", format_rfc3339(e.peak_at)},
          {"budget_consumed", e.budget_consumed},
          {"budget_window", e.window},
          {"bad_events", e.bad_events},
          {"allowed_bad_events", e.allowed_bad_events},
          {"postmortem_required", e.postmortem_required},
          {"start_resolution", e.start_resolution.count() > 0 ? format_duration(e.start_resolution) : ""},
          {"updated", format_rfc3339(e.updated)}};
}

json episode_contributors_json(const store::StoredSlo& slo, const Episode& e, Timestamp now) {
  const Timestamp end = e.end.value_or(now);
  json out = {{"start", format_rfc3339(e.start)}, {"end", format_rfc3339(end)}};
  auto c = eval::contributors(slo, e.start, end, "");
  if (!c.ok()) {
    out["labels"] = json::array();
    out["top"] = "";
    out["error"] = c.status().message();
    return out;
  }
  out["labels"] = eval::contributors_json(*c);
  out["top"] = eval::top_contributors_text(*c, 3);
  return out;
}

}  // namespace budgetd::episodes
