#include "history_json.h"

namespace budgetd::api {
namespace {

using json = nlohmann::ordered_json;

json point_json(const eval::HistoryPoint& p, const std::string& tier, const std::vector<std::string>& windows) {
  const eval::BudgetReport& b = p.budget;
  json burn = json::object();
  for (size_t i = 0; i < windows.size(); ++i) {
    burn[windows[i]] = p.burn_rates[i] ? json(*p.burn_rates[i]) : json(nullptr);
  }
  return {{"ts", format_rfc3339(p.ts)},    {"good", b.window.counts.good}, {"total", b.window.counts.total},
          {"remaining", b.remaining},      {"consumed", b.consumed},       {"tier", tier},
          {"no_data", b.window.no_data()}, {"burn_rate", std::move(burn)}};
}

json period_json(const eval::PeriodReport& p) {
  return {{"start", format_rfc3339(p.period.start)},
          {"end", format_rfc3339(p.period.end)},
          {"good", p.budget.window.counts.good},
          {"total", p.budget.window.counts.total},
          {"compliance", p.budget.sli * 100},
          {"remaining", p.budget.remaining},
          {"met", p.met}};
}

}  // namespace

json history_json(const store::StoredSlo& slo, const policy::HistoryAssessment& a, bool periods_asked) {
  const config::SloSpec& spec = *slo.spec;
  const eval::History& h = a.history;
  std::vector<std::string> windows;
  for (const Millis w : h.burn_windows) windows.push_back(format_duration(w));
  json points = json::array();
  for (size_t i = 0; i < h.points.size(); ++i) {
    points.push_back(point_json(h.points[i], spec.policy.tiers[a.tier_index[i]].name, windows));
  }
  json out = {{"slo", spec.name},
              {"service", spec.service},
              {"objective", spec.objective.percent()},
              {"window", spec.primary_window().name},
              {"calendar", spec.primary_window().is_calendar()},
              {"from", format_rfc3339(h.points.front().ts)},
              {"to", format_rfc3339(h.points.back().ts)},
              {"step", format_duration(h.step)},
              {"burn_rate_windows", windows},
              {"points", std::move(points)}};
  if (periods_asked) {
    json periods = json::array();
    for (const eval::PeriodReport& p : h.periods) periods.push_back(period_json(p));
    out["periods"] = std::move(periods);
  }
  out["memory_bytes"] = slo.memory_bytes();
  return out;
}

}  // namespace budgetd::api
