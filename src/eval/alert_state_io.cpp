// AlertTracker::save / load: the alert state in snapshots, so that a restart neither forgets a
// firing alert (and never sends its resolve) nor loses the burn-episode history.
//
// JSON, because it is small (a few hundred bytes per alert), read once per start, and must
// survive fields being added: unknown fields are ignored, missing ones take their defaults.

#include <nlohmann/json.hpp>

#include "budgetd/eval/alert_tracker.h"

namespace budgetd::eval {
namespace {

using nlohmann::json;

constexpr int kStateVersion = 1;

json time_json(Timestamp t) { return to_unix_ms(t); }
Timestamp time_of(const json& j) { return from_unix_ms(j.get<int64_t>()); }

config::Severity severity_of(const json& j) {
  return j.get<std::string>() == "ticket" ? config::Severity::kTicket : config::Severity::kPage;
}

AlertState state_of(const std::string& s) {
  if (s == "firing") return AlertState::kFiring;
  if (s == "resolved") return AlertState::kResolved;
  return AlertState::kInactive;
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
    for (const auto& [key, a] : alerts_) {
      json j = {{"slo", a.slo},
                {"service", a.service},
                {"rule", a.rule},
                {"severity", config::to_string(a.severity)},
                {"runbook_url", a.runbook_url},
                {"factor", a.factor},
                {"long_window", a.long_window},
                {"short_window", a.short_window},
                {"objective_percent", a.objective_percent},
                {"state", to_string(a.state)},
                {"since", time_json(a.since)},
                {"long_burn_rate", a.long_burn_rate},
                {"short_burn_rate", a.short_burn_rate},
                {"budget_consumed", a.budget_consumed},
                {"postmortem_required", a.postmortem_required}};
      if (a.resolved_at) j["resolved_at"] = time_json(*a.resolved_at);
      alerts.push_back(std::move(j));
    }
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
    if (root.at("version").get<int>() != kStateVersion) {
      return DataLoss("alert state version " + root.at("version").dump() + " is not supported");
    }
    for (const json& j : root.at("alerts")) {
      AlertInstance a;
      a.slo = j.at("slo").get<std::string>();
      a.service = j.value("service", "");
      a.rule = j.at("rule").get<std::string>();
      a.severity = severity_of(j.at("severity"));
      a.runbook_url = j.value("runbook_url", "");
      a.factor = j.value("factor", 0.0);
      a.long_window = j.value("long_window", "");
      a.short_window = j.value("short_window", "");
      a.objective_percent = j.value("objective_percent", 0.0);
      a.state = state_of(j.at("state").get<std::string>());
      a.since = time_of(j.at("since"));
      if (j.contains("resolved_at")) a.resolved_at = time_of(j.at("resolved_at"));
      a.long_burn_rate = j.value("long_burn_rate", 0.0);
      a.short_burn_rate = j.value("short_burn_rate", 0.0);
      a.budget_consumed = j.value("budget_consumed", 0.0);
      a.postmortem_required = j.value("postmortem_required", false);
      alerts[a.key()] = std::move(a);
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
