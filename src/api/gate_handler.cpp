// GET /v1/gate: may this service deploy this change now? (DESIGN.md §3)

#include "api.h"
#include "budgetd/core/log.h"
#include "budgetd/policy/assessment.h"
#include "budgetd/policy/gate.h"
#include "cluster_json.h"
#include "deploy_json.h"
#include "handler_util.h"
#include "status_json.h"

namespace budgetd::api {

void Api::get_gate(Request& req, Respond respond) {
  const auto service = req.query_param("service");
  const auto change_name = req.query_param("change");
  if (!service || service->empty())
    return respond(
        reply_error(req, http::status::bad_request, "service is required: /v1/gate?service=S&change=feature"));
  if (!change_name)
    return respond(reply_error(req, http::status::bad_request,
                               "change is required: one of feature, risky, reliability, security"));
  const auto change = policy::parse_change(*change_name);
  if (!change) {
    return respond(
        reply_error(req, http::status::bad_request,
                    "change '" + std::string(*change_name) + "' is not one of feature, risky, reliability, security"));
  }
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const auto slo_name = req.query_param("slo");
  const Timestamp now = clock_.now();
  std::vector<policy::SloDecision> decisions;
  for (const store::StoredSlo& slo : snap->slos->slos()) {
    if (slo.spec->service != *service || (slo_name && slo.spec->name != *slo_name)) continue;
    auto view = policy::assess_slo(slo, now, now, snap->config->storage.status_lookback, backend_.alerts());
    if (!view.ok()) return respond(reply_error(req, http::status::service_unavailable, view.status().message()));
    decisions.push_back(policy::decide(*view, *change));
  }
  if (decisions.empty()) {
    return respond(reply_error(
        req, http::status::not_found,
        slo_name ? "service '" + std::string(*service) + "' has no SLO named '" + std::string(*slo_name) + "'"
                 : "no SLO covers service '" + std::string(*service) + "'; GET /v1/slos lists them"));
  }
  const policy::GateDecision g = policy::combine(std::move(decisions));
  gate_decisions_[static_cast<size_t>(g.verdict)]->inc();
  log::info("gate: decision")
      .field("service", *service)
      .field("change", *change_name)
      .field("decision", policy::to_string(g.verdict))
      .field("tier", g.tier)
      .field("ci_job", req.query_param("ci_job").value_or(""))
      .field("commit", req.query_param("commit").value_or(""))
      .field("remote", req.remote);
  json answer = gate_json(g, *service, *change, now);
  if (const deploys::DeployLog* deploys = backend_.deploys())
    add_last_deploy(answer, *deploys, *service, *snap->slos, now);
  add_replication(answer, backend_);  // cluster mode: how far behind this replica answers
  respond(reply(req, http::status::ok, answer));
}

}  // namespace budgetd::api
