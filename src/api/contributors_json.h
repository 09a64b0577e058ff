#pragma once
// The JSON form of an SLO's contributors (eval/contributors.h), in the status, the contributors
// route, and (through 15b's episodes) the burn episodes. Private to api.
//
//   {"window": "6h", "start": RFC3339, "end": RFC3339, "resolution": "1m",
//    "labels": [{"label": "endpoint", "bad": N, "total": N,
//                "values": [{"value": "/pay", "bad": N, "total": N, "error_ratio": x,
//                            "share_of_bad": x, "other": false}, ...]}]}

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "budgetd/eval/contributors.h"
#include "budgetd/policy/assessment.h"

namespace budgetd::api {

// The whole object for `window` over `span`.
nlohmann::ordered_json contributors_window_json(std::string window, const eval::ContributorsSpan& span,
                                                const std::vector<eval::LabelContributors>& labels);
// The status's "contributors": the primary budget window's, with "firing": the same for each
// firing rule's long window; null when the SLO has no attribution.
nlohmann::ordered_json status_contributors_json(const store::StoredSlo& slo, const policy::SloAssessment& view,
                                                Timestamp now);

}  // namespace budgetd::api
