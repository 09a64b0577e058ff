#pragma once
// The JSON form of GET /v1/slos/{name}/history, as the README's "History" section documents
// it. Private to api (the history benchmark includes it to time the whole answer).

#include <nlohmann/json.hpp>

#include "budgetd/policy/assessment.h"

namespace budgetd::api {

// `periods_asked`: whether the request asked for periods (the key is absent otherwise).
nlohmann::ordered_json history_json(const store::StoredSlo& slo, const policy::HistoryAssessment& h,
                                    bool periods_asked);

}  // namespace budgetd::api
