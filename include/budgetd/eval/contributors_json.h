#pragma once
// The one JSON form of contributors (eval/contributors.h), wherever they are written: the
// status, GET /v1/slos/{name}/contributors, burn episodes and the backtest report.
//
//   [{"label": "endpoint", "bad": N, "total": N,
//     "values": [{"value": "/pay", "bad": N, "total": N, "error_ratio": x, "share_of_bad": x,
//                 "other": false}, ...]}, ...]

#include <vector>

#include <nlohmann/json.hpp>

#include "budgetd/eval/contributors.h"

namespace budgetd::eval {

// The "labels" array, in the order given (labels as configured, values ranked).
nlohmann::ordered_json contributors_json(const std::vector<LabelContributors>& labels);

}  // namespace budgetd::eval
