#pragma once
// JSON forms of the API's answers, as documented in the README's API section. Private to api.

#include <nlohmann/json.hpp>

#include "budgetd/policy/assessment.h"
#include "budgetd/policy/gate.h"

namespace budgetd::api {

// GET /v1/slos/{name}
nlohmann::ordered_json status_json(const policy::SloAssessment& view);
// One entry of GET /v1/slos
nlohmann::ordered_json summary_json(const policy::SloAssessment& view);

}  // namespace budgetd::api
