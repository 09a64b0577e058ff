#pragma once
// JSON forms of deploys (README "Deploys"): the stored deploy, its impact, and the gate's
// reason line naming the last one. Private to api.

#include <string>

#include <nlohmann/json.hpp>

#include "budgetd/deploys/deploy_log.h"
#include "budgetd/deploys/impact.h"

namespace budgetd::api {

// {"id", "service", "version", "ts", "change"?, "commit"?, "ci_job"?, "url"?}: absent fields omitted.
nlohmann::ordered_json deploy_json(const deploys::Deploy& d);
// deploy_json plus "impact".
nlohmann::ordered_json deploy_json(const deploys::Deploy& d, const deploys::DeployImpact& impact);
// "v1.4.2, deployed 10:02, has consumed 12.0 % of checkout-availability's 30d budget since",
// naming the SLO it cost most; empty when no SLO of the service still holds its span.
std::string last_deploy_reason(const deploys::Deploy& d, const deploys::DeployImpact& impact, Timestamp now);

// The gate's part (README "Deploys"): "last_deploy", the newest deploy of `service` at `now`
// with its impact, and its reason line appended to "reasons". Nothing when it has none.
void add_last_deploy(nlohmann::ordered_json& gate_answer, const deploys::DeployLog& kept, std::string_view service,
                     const store::SloSet& slos, Timestamp now);

}  // namespace budgetd::api
