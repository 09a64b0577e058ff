// GET /v1/slos, GET /v1/slos/{name}, /healthz, /readyz, /metrics and POST /-/reload.

#include "api.h"
#include "budgetd/eval/slo_status.h"
#include "handler_util.h"
#include "status_json.h"

namespace budgetd::api {

void Api::get_slos(Request& req, Respond respond) {
  const std::shared_ptr<const Snapshot> snap = backend_.snapshot();
  const Timestamp now = clock_.now();
  json list = json::array();
  for (const store::StoredSlo& slo : snap->router->slos().slos()) {
    auto status = eval::evaluate_slo(slo, now, now, snap->config->storage.status_lookback);
    if (status.ok()) {
      list.push_back(summary_json(*status));
    } else {
      list.push_back({{"slo", slo.spec->name}, {"service", slo.spec->service}, {"error", status.status().message()}});
    }
  }
  respond(reply(req, http::status::ok, {{"evaluated_at", format_rfc3339(now)}, {"slos", std::move(list)}}));
}

void Api::get_slo(Request& req, Respond respond) {
  const std::shared_ptr<const Snapshot> snap = backend_.snapshot();
  const store::StoredSlo* slo = snap->router->slos().find(req.params[0]);
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
  auto status = eval::evaluate_slo(*slo, at, now, snap->config->storage.status_lookback);
  if (!status.ok()) return respond(reply_error(req, http::status::bad_request, status.status().message()));
  respond(reply(req, http::status::ok, status_json(*status)));
}

void Api::get_healthz(Request& req, Respond respond) { respond(reply(req, http::status::ok, {{"status", "ok"}})); }

void Api::get_readyz(Request& req, Respond respond) {
  const std::string why = backend_.not_ready_reason();
  if (why.empty()) return respond(reply(req, http::status::ok, {{"status", "ready"}}));
  respond(reply(req, http::status::service_unavailable, {{"status", "not_ready"}, {"reason", why}}));
}

void Api::get_metrics(Request& req, Respond respond) {
  respond(text_response(http::status::ok, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8",
                        req.raw.version(), req.raw.keep_alive()));
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
                 {"slos", backend_.snapshot()->router->slos().slos().size()},
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
