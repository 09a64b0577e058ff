// The read-scope answers and the probes: GET /v1/slos, /v1/slos/{name}, /v1/alerts, /metrics,
// and (no scope) /healthz, /readyz, /openapi.yaml.

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

}  // namespace budgetd::api
