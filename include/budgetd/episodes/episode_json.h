#pragma once
// The JSON form of a burn episode, one set of field names wherever an episode is shown:
// GET /v1/slos/{name}/episodes, the backtest report, `budgetd postmortem --json`.
//
//   {"id", "slo", "service", "status": "ongoing"|"resolved", "start", "detection", "end" (null
//    while ongoing), "duration_seconds", "detection_delay_seconds", "rules", "alerts": [{"rule",
//    "severity", "fired", "resolved"}], "peak_burn_rate", "peak_rule", "peak_at",
//    "budget_consumed", "budget_window", "bad_events", "allowed_bad_events",
//    "postmortem_required", "start_resolution", "updated",
//    "contributors": {"start", "end", "labels": [...], "top"}}
//
// Times are RFC 3339 UTC; an ongoing episode's duration runs to `now`. Callers add "deploys".
//
//   nlohmann::ordered_json j = episode_json(e, now);
//   j["contributors"] = episode_contributors_json(slo, e, now);

#include <nlohmann/json.hpp>

#include "budgetd/episodes/episode.h"
#include "budgetd/eval/contributors.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::episodes {

nlohmann::ordered_json episode_json(const Episode& e, Timestamp now);

// The label values that burned the episode's budget: eval::contributors over [start, end) (to
// `now` while ongoing), from the rings as they are now. {"start", "end", "labels": [{"label",
// "bad", "total", "values": [...]}] in eval/contributors_json.h's one form,
// "top": "endpoint=/pay: 91 % of bad events; ..."}; labels is empty for an SLO without
// attribution:, and "error" says why when the rings no longer hold the span.
nlohmann::ordered_json episode_contributors_json(const store::StoredSlo& slo, const Episode& e, Timestamp now);

}  // namespace budgetd::episodes
