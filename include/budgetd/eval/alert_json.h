#pragma once
// The one JSON form of an alert instance, with one set of field names, used wherever an alert
// is written: GET /v1/alerts, the webhook payload and the alert state kept in snapshots.
//
//   {"slo", "service", "rule", "severity", "state", "since", "resolved_at", "objective",
//    "factor", "long_window", "short_window", "long_burn_rate", "short_burn_rate",
//    "budget_consumed", "postmortem_required", "events", "min_events", "runbook_url", "incident"}
//
// Times are RFC 3339 UTC; resolved_at is null until the first firing span ends; runbook_url is
// left out when the rule has none, incident until the rule first fires. Reading takes what writing gives, ignores
// fields it does not know (a newer budgetd's) and gives missing ones their defaults (an older one's).
//
//   nlohmann::ordered_json j = alert_json(alert);
//   Result<AlertInstance> back = alert_from_json(j);

#include <nlohmann/json.hpp>

#include "budgetd/core/status.h"
#include "budgetd/eval/alert_tracker.h"

namespace budgetd::eval {

nlohmann::ordered_json alert_json(const AlertInstance& a);
// DataLoss when a field budgetd needs is missing or has the wrong type.
Result<AlertInstance> alert_from_json(const nlohmann::json& j);

// Alert state kept in snapshots before the one JSON form: times as unix milliseconds, the
// objective as objective_percent. Only for reading version 1 alert state.
Result<AlertInstance> alert_from_version1_json(const nlohmann::json& j);

}  // namespace budgetd::eval
