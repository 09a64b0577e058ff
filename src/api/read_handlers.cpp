// GET /v1/slos, GET /v1/slos/{name}, /healthz, /readyz, /metrics and POST /-/reload.

#include "api.h"
#include "budgetd/core/log.h"
#include "budgetd/eval/alert_json.h"
#include "budgetd/eval/slo_status.h"
#include "handler_util.h"
#include "openapi.h"
#include "slo_metrics.h"
#include "budgetd/policy/assessment.h"
#include "status_json.h"

namespace budgetd::api {

void Api::get_slos(Request& req, Respond respond) {
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const Timestamp now = clock_.now();
  json list = json::array();
  for (const store::StoredSlo& slo : snap->slos->slos()) {
    auto view = policy::assess_slo(slo, now, now, snap->config->storage.status_lookback, backend_.alerts());
    if (view.ok()) {
      list.push_back(summary_json(*view));
    } else {
      list.push_back({{"slo", slo.spec->name}, {"service", slo.spec->service}, {"error", view.status().message()}});
    }
  }
  respond(reply(req, http::status::ok, {{"evaluated_at", format_rfc3339(now)}, {"slos", std::move(list)}}));
}

void Api::get_slo(Request& req, Respond respond) {
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const store::StoredSlo* slo = snap->slos->find(req.params[0]);
  if (slo == nullptr) {
    return respond(
        reply_error(req, http::status::not_found, "no SLO named '" + req.params[0] + "'; GET /v1/slos lists them"));
  }
  const Timestamp now = clock_.now();
  Timestamp at = now;
  if (auto text = req.query_param("at")) {
    auto parsed = parse_timestamp(*text);
    if (!parsed.ok()) return respond(reply_error(req, http::status::bad_request, "at: " + parsed.status().message()));
    at = *parsed;
  }
  auto view = policy::assess_slo(*slo, at, now, snap->config->storage.status_lookback, backend_.alerts());
  if (!view.ok()) return respond(reply_error(req, http::status::bad_request, view.status().message()));
  respond(reply(req, http::status::ok, status_json(*view)));
}

void Api::get_alerts(Request& req, Respond respond) {
  json list = json::array();
  for (const eval::AlertInstance& a : backend_.alerts().firing()) list.push_back(eval::alert_json(a));
  respond(reply(req, http::status::ok, {{"evaluated_at", format_rfc3339(clock_.now())}, {"alerts", std::move(list)}}));
}

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
  respond(reply(req, http::status::ok, gate_json(g, *service, *change, now)));
}

void Api::get_healthz(Request& req, Respond respond) { respond(reply(req, http::status::ok, {{"status", "ok"}})); }

void Api::get_readyz(Request& req, Respond respond) {
  const std::string why = backend_.not_ready_reason();
  if (why.empty()) return respond(reply(req, http::status::ok, {{"status", "ready"}}));
  respond(reply(req, http::status::service_unavailable, {{"status", "not_ready"}, {"reason", why}}));
}

void Api::get_metrics(Request& req, Respond respond) {
  std::string text = metrics_.render();
  const std::shared_ptr<const ServingState> snap = backend_.state();
  metrics::Exposition ex(text);
  write_slo_metrics(ex, *snap->slos, backend_.alerts(), clock_.now(), snap->config->storage.status_lookback);
  respond(text_response(http::status::ok, std::move(text), "text/plain; version=0.0.4; charset=utf-8",
                        req.raw.version(), req.raw.keep_alive()));
}

void Api::get_openapi(Request& req, Respond respond) {
  respond(text_response(http::status::ok, std::string(openapi_yaml()), "application/yaml", req.raw.version(),
                        req.raw.keep_alive()));
}

void Api::post_reload(Request& req, Respond respond) {
  const ReloadOutcome r = backend_.reload();
  if (!r.ok) {
    std::string message = "the new config is invalid; the running config stays:";
    for (const auto& e : r.errors) message += "\n" + e;
    json body = {{"error", {{"code", "bad_request"}, {"message", message}}}, {"errors", r.errors}};
    return respond(reply(req, http::status::bad_request, body));
  }
  respond(reply(req, http::status::ok,
                {{"reloaded", true},
                 {"slos", backend_.state()->slos->slos().size()},
                 {"kept", r.kept},
                 {"added", r.added},
                 {"removed", r.removed},
                 {"changed", r.changed},
                 {"warnings", r.warnings}}));
}

void Api::post_snapshot(Request& req, Respond respond) {
  const auto path = backend_.take_snapshot();
  if (!path.ok()) return respond(reply_error(req, http::status::service_unavailable, path.status().message()));
  respond(reply(req, http::status::ok, {{"snapshot", *path}, {"taken_at", format_rfc3339(clock_.now())}}));
}

}  // namespace budgetd::api
