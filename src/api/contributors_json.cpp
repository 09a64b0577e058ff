#include "contributors_json.h"

#include "budgetd/eval/contributors_json.h"

namespace budgetd::api {

using json = nlohmann::ordered_json;

json contributors_window_json(std::string window, const eval::ContributorsSpan& span,
                              const std::vector<eval::LabelContributors>& labels) {
  json out = {{"window", std::move(window)},
              {"start", format_rfc3339(span.start)},
              {"end", format_rfc3339(span.end)},
              {"resolution", format_duration(span.resolution)}};
  out["labels"] = eval::contributors_json(labels);
  return out;
}

namespace {
// The contributors of one window of the status, or an {"window", "error"} object when its span
// is not attributed (a status far in the past).
json window_contributors(const store::StoredSlo& slo, std::string name, const WindowBounds& bounds, Timestamp now) {
  eval::ContributorsSpan span{};
  auto c = eval::contributors(slo, bounds.start, bounds.end, "", now, &span);
  if (!c.ok()) return {{"window", std::move(name)}, {"error", c.status().message()}};
  return contributors_window_json(std::move(name), span, *c);
}
}  // namespace

json status_contributors_json(const store::StoredSlo& slo, const policy::SloAssessment& view, Timestamp now) {
  if (!slo.attribution) return nullptr;
  const eval::SloStatus& s = view.status;
  const eval::WindowReport& primary = s.primary().window;
  json out = window_contributors(slo, primary.name, primary.bounds, now);
  json firing = json::array();
  for (size_t i = 0; i < s.alerts.size(); ++i) {
    const bool on =
        view.alert_states[i] ? view.alert_states[i]->state == eval::AlertState::kFiring : s.alerts[i].firing;
    if (!on) continue;
    const eval::WindowReport& w = s.alerts[i].long_window;
    json one = window_contributors(slo, w.name, w.bounds, now);
    one["rule"] = s.alerts[i].rule->name;
    firing.push_back(std::move(one));
  }
  out["firing"] = std::move(firing);
  return out;
}

}  // namespace budgetd::api
