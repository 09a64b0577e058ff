#include "budgetd/notify/incident.h"

#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "budgetd/eval/alert_json.h"

namespace budgetd::notify {

const char* to_string(Transition t) {
  switch (t) {
    case Transition::kOpened:
      return "opened";
    case Transition::kEscalated:
      return "escalated";
    case Transition::kUpdated:
      return "updated";
    case Transition::kResolved:
      return "resolved";
  }
  return "?";
}

config::Severity Incident::severity() const {
  // A page that stopped while tickets fire on no longer makes the incident a page.
  const bool any_firing = std::any_of(
      rules.begin(), rules.end(), [](const eval::AlertInstance& a) { return a.state == eval::AlertState::kFiring; });
  const bool page = std::any_of(rules.begin(), rules.end(), [&](const eval::AlertInstance& a) {
    return a.severity == config::Severity::kPage && (!any_firing || a.state == eval::AlertState::kFiring);
  });
  return page ? config::Severity::kPage : config::Severity::kTicket;
}

Timestamp Incident::since() const {
  Timestamp t = Timestamp::max();
  for (const auto& a : rules) t = std::min(t, a.since);
  return rules.empty() ? Timestamp{} : t;
}

double Incident::budget_consumed() const {
  double c = 0;
  for (const auto& a : rules) c = std::max(c, a.budget_consumed);
  return c;
}

bool Incident::postmortem_required() const {
  return std::any_of(rules.begin(), rules.end(), [](const eval::AlertInstance& a) { return a.postmortem_required; });
}

namespace {
bool has_page(const std::vector<eval::AlertInstance>& rules) {
  return std::any_of(rules.begin(), rules.end(),
                     [](const eval::AlertInstance& a) { return a.severity == config::Severity::kPage; });
}
}  // namespace

std::vector<Incident> IncidentLog::step(const std::vector<eval::AlertChange>& changes,
                                        const std::vector<eval::AlertInstance>& firing, Timestamp now,
                                        Millis resend_interval) {
  std::map<std::string, std::vector<eval::AlertInstance>> burning;  // by incident id
  for (const auto& a : firing) burning[a.incident].push_back(a);
  std::set<std::string> opened;
  std::map<std::string, std::vector<eval::AlertInstance>> resolved;  // this step's resolves, by incident
  for (const auto& c : changes) {
    if (c.kind == eval::AlertChange::Kind::kFired)
      opened.insert(c.alert.incident);
    else
      resolved[c.alert.incident].push_back(c.alert);
  }
  // Rules that stopped while others of their incident fire on: the incident's next word names
  // them as resolved.
  for (const auto& [id, rules] : resolved) {
    if (burning.count(id) == 0) continue;
    auto& left = open_[id].left;
    left.insert(left.end(), rules.begin(), rules.end());
  }
  std::vector<Incident> out;
  for (auto& [id, rules] : burning) {
    auto it = open_.find(id);
    if (it != open_.end() && it->second.rules.empty()) it = open_.end();  // only just made, for `left`
    Transition t = Transition::kUpdated;
    if (it == open_.end()) {
      // Unknown but not opened by this step: it was open before a restart.
      t = opened.count(id) != 0 ? Transition::kOpened : Transition::kUpdated;
    } else if (has_page(rules) && !it->second.paged) {
      t = Transition::kEscalated;
    } else if (it->second.last_sent + resend_interval > now) {
      it->second.rules = rules;  // remembered for the resolve; nothing to send yet
      continue;
    }
    Open& o = open_[id];
    o.paged = has_page(rules);
    o.last_sent = now;
    o.rules = rules;
    rules.insert(rules.end(), o.left.begin(), o.left.end());
    o.left.clear();
    out.push_back({id, t, std::move(rules)});
  }
  // An incident none of whose rules fire any more is resolved: with the rules it last had, as
  // they ended (the resolves of this step), or as they were last seen.
  std::set<std::string> ended;
  for (const auto& [id, o] : open_) {
    if (burning.count(id) == 0) ended.insert(id);
  }
  for (const auto& [id, rules] : resolved) {
    if (burning.count(id) == 0) ended.insert(id);  // also one this notifier never saw open (a restart)
  }
  for (const std::string& id : ended) {
    std::vector<eval::AlertInstance> rules;
    if (auto it = open_.find(id); it != open_.end()) {
      rules = std::move(it->second.rules);
      for (auto& l : it->second.left) {
        if (std::none_of(rules.begin(), rules.end(), [&](const auto& a) { return a.key() == l.key(); }))
          rules.push_back(std::move(l));
      }
    }
    for (const auto& r : resolved[id]) {
      auto same = std::find_if(rules.begin(), rules.end(), [&](const auto& a) { return a.key() == r.key(); });
      if (same != rules.end())
        *same = r;
      else
        rules.push_back(r);
    }
    for (auto& r : rules) {
      if (r.state == eval::AlertState::kFiring) {  // it left the incident earlier; ended by now
        r.state = eval::AlertState::kResolved;
        if (!r.resolved_at) r.resolved_at = now;
      }
    }
    open_.erase(id);
    out.push_back({id, Transition::kResolved, std::move(rules)});
  }
  return out;
}

std::string incident_json(const Incident& incident, Timestamp now, const std::string& external_url) {
  using json = nlohmann::ordered_json;
  const bool firing = incident.transition != Transition::kResolved;
  const eval::AlertInstance& first = incident.rules.front();
  std::optional<Timestamp> resolved_at;
  if (!firing) {
    for (const auto& r : incident.rules) {
      const Timestamp t = r.resolved_at.value_or(now);
      if (!resolved_at || t > *resolved_at) resolved_at = t;
    }
  }
  json rules = json::array();
  std::vector<std::string> names;
  for (const auto& r : incident.rules) {
    rules.push_back(eval::alert_json(r));
    names.push_back(r.rule);
  }
  const double consumed = incident.budget_consumed();
  std::string summary = firing ? fmt::format("{}: error budget burning ({}); {:.1f} % of the budget consumed",
                                             first.slo, fmt::join(names, ", "), consumed * 100)
                               : fmt::format("{}: the burn has stopped ({}); it consumed {:.1f} % of the budget",
                                             first.slo, fmt::join(names, ", "), consumed * 100);
  if (incident.postmortem_required()) summary += "; a postmortem is required";
  // Who burned it: the first rule that names contributors (the firing ones come first).
  std::string top;
  for (const auto& r : incident.rules) {
    if (top.empty()) top = r.top_contributors;
  }
  if (!top.empty()) summary += "; top contributors: " + top;
  json j = {{"id", incident.id},
            {"transition", to_string(incident.transition)},
            {"status", firing ? "firing" : "resolved"},
            {"slo", first.slo},
            {"service", first.service},
            {"severity", config::to_string(incident.severity())},
            {"since", format_rfc3339(incident.since())},
            {"resolved_at", resolved_at ? json(format_rfc3339(*resolved_at)) : json(nullptr)},
            {"budget_consumed", consumed},
            {"postmortem_required", incident.postmortem_required()},
            {"summary", std::move(summary)},
            {"top_contributors", top}};
  if (!external_url.empty()) j["url"] = external_url + "/v1/slos/" + first.slo;
  j["rules"] = std::move(rules);
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

}  // namespace budgetd::notify
