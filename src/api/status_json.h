#pragma once
// JSON forms of evaluation results, as documented in the README's API section.

#include <nlohmann/json.hpp>

#include "budgetd/eval/slo_status.h"

namespace budgetd::api {

// GET /v1/slos/{name}
nlohmann::ordered_json status_json(const eval::SloStatus& status);
// One entry of GET /v1/slos
nlohmann::ordered_json summary_json(const eval::SloStatus& status);

}  // namespace budgetd::api
