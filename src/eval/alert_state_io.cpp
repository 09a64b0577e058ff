// AlertTracker::save / load: the alert state in snapshots, so that a restart neither forgets a
// firing alert (and never sends its resolve) nor loses the burn-episode history.
//
// JSON, because it is small (a few hundred bytes per alert), read once per start, and must
// survive fields being added: unknown fields are ignored, missing ones take their defaults.
// Alerts are written in their one JSON form (alert_json.h); version 1 files, from before it,
// are still read.

#include <nlohmann/json.hpp>

#include "budgetd/eval/alert_json.h"
#include "budgetd/eval/alert_tracker.h"

namespace budgetd::eval {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 2;
constexpr int kFirstJsonFormVersion = 2;  // alerts in alert_json's form from here on

json time_json(Timestamp t) { return to_unix_ms(t); }
Timestamp time_of(const json& j) { return from_unix_ms(j.get<int64_t>()); }

config::Severity severity_of(const json& j) {
  return j.get<std::string>() == "ticket" ? config::Severity::kTicket : config::Severity::kPage;
}

json episode_json(const AlertEpisode& e) {
  json j = {{"rule", e.rule},
            {"severity", config::to_string(e.severity)},
            {"start", time_json(e.start)},
            {"budget_consumed", e.budget_consumed},
            {"postmortem_required", e.postmortem_required}};
  if (e.end) j["end"] = time_json(*e.end);
  return j;
}

AlertEpisode episode_of(const json& j) {
  AlertEpisode e;
  e.rule = j.at("rule").get<std::string>();
  e.severity = severity_of(j.at("severity"));
  e.start = time_of(j.at("start"));
  if (j.contains("end")) e.end = time_of(j.at("end"));
  e.budget_consumed = j.value("budget_consumed", 0.0);
  e.postmortem_required = j.value("postmortem_required", false);
  return e;
}

}  // namespace

std::string AlertTracker::save() const {
  json alerts = json::array();
  json past = json::object();
  {
    std::lock_guard lock(mu_);
    for (const auto& [key, a] : alerts_) alerts.push_back(json(alert_json(a)));
    for (const auto& [slo, episodes] : past_) {
      json list = json::array();
      for (const AlertEpisode& e : episodes) list.push_back(episode_json(e));
      past[slo] = std::move(list);
    }
  }
  return json{{"version", kStateVersion}, {"alerts", std::move(alerts)}, {"episodes", std::move(past)}}.dump();
}

Status AlertTracker::load(std::string_view saved) {
  std::map<std::string, AlertInstance, std::less<>> alerts;
  std::map<std::string, std::deque<AlertEpisode>, std::less<>> past;
  try {
    const json root = json::parse(saved);
    const int version = root.at("version").get<int>();
    if (version < 1 || version > kStateVersion) {
      return DataLoss("alert state version " + root.at("version").dump() + " is not supported");
    }
    for (const json& j : root.at("alerts")) {
      Result<AlertInstance> a = version >= kFirstJsonFormVersion ? alert_from_json(j) : alert_from_version1_json(j);
      if (!a.ok()) return a.status();
      alerts[a->key()] = std::move(*a);
    }
    for (const auto& [slo, list] : root.at("episodes").items()) {
      auto& episodes = past[slo];
      for (const json& e : list) {
        if (episodes.size() < kEpisodesKept) episodes.push_back(episode_of(e));
      }
    }
  } catch (const json::exception& e) {
    return DataLoss(std::string("alert state is malformed: ") + e.what());
  }
  std::lock_guard lock(mu_);
  alerts_ = std::move(alerts);
  past_ = std::move(past);
  return Status::Ok();
}

}  // namespace budgetd::eval
