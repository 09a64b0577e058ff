#include "deploy_json.h"

#include <fmt/format.h>

#include "budgetd/core/log.h"

namespace budgetd::api {

using json = nlohmann::ordered_json;

json deploy_json(const deploys::Deploy& d) {
  json j = {
      {"id", deploys::format_id(d)}, {"service", d.service}, {"version", d.version}, {"ts", format_rfc3339(d.ts)}};
  const std::pair<const char*, const std::string*> optional_fields[] = {
      {"change", &d.change}, {"commit", &d.commit}, {"ci_job", &d.ci_job}, {"url", &d.url}};
  for (const auto& [key, value] : optional_fields) {
    if (!value->empty()) j[key] = *value;
  }
  return j;
}

json deploy_json(const deploys::Deploy& d, const deploys::DeployImpact& impact) {
  json slos = json::array();
  for (const deploys::SloImpact& s : impact.slos) {
    json e = {{"slo", s.slo}, {"window", s.window}, {"retained", s.retained}};
    if (s.retained) {
      e["counted_from"] = format_rfc3339(s.counted_from);
      e["counted_to"] = format_rfc3339(s.counted_to);
      e["bad"] = s.bad;
      e["total"] = s.total;
      e["consumed"] = s.consumed;
      e["burn_rate_1h_before"] = s.burn_rate_1h_before ? json(*s.burn_rate_1h_before) : json(nullptr);
      e["burn_rate_1h_after"] = s.burn_rate_1h_after;
    }
    slos.push_back(std::move(e));
  }
  json j = deploy_json(d);
  j["impact"] = {{"from", format_rfc3339(impact.from)},
                 {"to", format_rfc3339(impact.to)},
                 {"ongoing", impact.ongoing},
                 {"slos", std::move(slos)}};
  return j;
}

std::string last_deploy_reason(const deploys::Deploy& d, const deploys::DeployImpact& impact, Timestamp now) {
  const deploys::SloImpact* worst = nullptr;
  for (const deploys::SloImpact& s : impact.slos) {
    if (s.retained && (worst == nullptr || s.consumed > worst->consumed)) worst = &s;
  }
  if (worst == nullptr) return {};
  // "10:02" on the day of `now` (UTC, as every time budgetd prints); the date too before it.
  const std::string ts = format_rfc3339(d.ts);  // 2026-11-24T10:02:00Z
  const bool today = ts.substr(0, 10) == format_rfc3339(now).substr(0, 10);
  const std::string when = today ? ts.substr(11, 5) : ts.substr(0, 10) + " " + ts.substr(11, 5);
  return fmt::format("{}, deployed {}, has consumed {:.1f} % of {}'s {} budget since", d.version, when,
                     worst->consumed * 100.0, worst->slo, worst->window);
}

void add_last_deploy(json& gate_answer, const deploys::DeployLog& kept, std::string_view service,
                     const store::SloSet& slos, Timestamp now) {
  const std::optional<deploys::Deploy> d = kept.last(service, now);
  if (!d) return;
  auto impact = deploys::deploy_impact(*d, kept.next_after(*d), slos, now);
  if (!impact.ok()) {
    log::warn("gate: the last deploy's impact is unknown").field("error", impact.status().message());
    return;
  }
  if (std::string reason = last_deploy_reason(*d, *impact, now); !reason.empty())
    gate_answer["reasons"].push_back(std::move(reason));
  gate_answer["last_deploy"] = deploy_json(*d, *impact);
}

}  // namespace budgetd::api
