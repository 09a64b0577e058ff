#include "budgetd/eval/alert_json.h"

#include <stdexcept>

namespace budgetd::eval {
namespace {

using ordered = nlohmann::ordered_json;

ordered optional_time(const std::optional<Timestamp>& t) { return t ? ordered(format_rfc3339(*t)) : ordered(nullptr); }

config::Severity severity_of(const nlohmann::json& j) {
  return j.get<std::string>() == "ticket" ? config::Severity::kTicket : config::Severity::kPage;
}

AlertState state_of(const std::string& s) {
  if (s == "firing") return AlertState::kFiring;
  if (s == "resolved") return AlertState::kResolved;
  if (s == "insufficient_data") return AlertState::kInsufficientData;
  return AlertState::kInactive;
}

// Reads a time as the one form writes it (RFC 3339) or as version 1 state did (unix ms).
Timestamp time_of(const nlohmann::json& j) {
  if (j.is_number_integer()) return from_unix_ms(j.get<int64_t>());
  auto t = parse_rfc3339(j.get<std::string>());
  if (!t.ok()) throw std::invalid_argument(t.status().message());
  return *t;
}

// The fields both forms share, read the same way.
AlertInstance common_fields(const nlohmann::json& j) {
  AlertInstance a;
  a.slo = j.at("slo").get<std::string>();
  a.service = j.value("service", "");
  a.rule = j.at("rule").get<std::string>();
  a.severity = severity_of(j.at("severity"));
  a.runbook_url = j.value("runbook_url", "");
  a.factor = j.value("factor", 0.0);
  a.long_window = j.value("long_window", "");
  a.short_window = j.value("short_window", "");
  a.state = state_of(j.at("state").get<std::string>());
  a.since = time_of(j.at("since"));
  if (j.contains("resolved_at") && !j.at("resolved_at").is_null()) a.resolved_at = time_of(j.at("resolved_at"));
  a.long_burn_rate = j.value("long_burn_rate", 0.0);
  a.short_burn_rate = j.value("short_burn_rate", 0.0);
  a.budget_consumed = j.value("budget_consumed", 0.0);
  a.postmortem_required = j.value("postmortem_required", false);
  a.incident = j.value("incident", "");
  a.events = j.value("events", uint64_t{0});
  a.min_events = j.value("min_events", uint64_t{0});
  a.top_contributors = j.value("top_contributors", "");
  return a;
}

template <typename Read>
Result<AlertInstance> guarded(const nlohmann::json& j, Read read) {
  try {
    return read(j);
  } catch (const std::exception& e) {  // nlohmann's type and missing-field errors, and bad times
    return DataLoss(std::string("an alert is malformed: ") + e.what());
  }
}

}  // namespace

ordered alert_json(const AlertInstance& a) {
  ordered j = {{"slo", a.slo},
               {"service", a.service},
               {"rule", a.rule},
               {"severity", config::to_string(a.severity)},
               {"state", to_string(a.state)},
               {"since", format_rfc3339(a.since)},
               {"resolved_at", optional_time(a.resolved_at)},
               {"objective", a.objective_percent},
               {"factor", a.factor},
               {"long_window", a.long_window},
               {"short_window", a.short_window},
               {"long_burn_rate", a.long_burn_rate},
               {"short_burn_rate", a.short_burn_rate},
               {"budget_consumed", a.budget_consumed},
               {"postmortem_required", a.postmortem_required},
               {"events", a.events},
               {"min_events", a.min_events}};
  if (!a.runbook_url.empty()) j["runbook_url"] = a.runbook_url;
  if (!a.incident.empty()) j["incident"] = a.incident;
  if (!a.top_contributors.empty()) j["top_contributors"] = a.top_contributors;
  return j;
}

Result<AlertInstance> alert_from_json(const nlohmann::json& j) {
  return guarded(j, [](const nlohmann::json& x) {
    AlertInstance a = common_fields(x);
    a.objective_percent = x.value("objective", 0.0);
    return a;
  });
}

Result<AlertInstance> alert_from_version1_json(const nlohmann::json& j) {
  return guarded(j, [](const nlohmann::json& x) {
    AlertInstance a = common_fields(x);
    a.objective_percent = x.value("objective_percent", 0.0);
    return a;
  });
}

}  // namespace budgetd::eval
