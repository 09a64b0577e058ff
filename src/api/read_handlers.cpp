// The read-scope answers and the probes: GET /v1/slos, /v1/slos/{name}, /v1/alerts, /metrics,
// and (no scope) /healthz, /readyz, /openapi.yaml.

#include "api.h"
#include "budgetd/api/slo_metrics.h"
#include "budgetd/core/log.h"
#include "budgetd/eval/alert_json.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/policy/assessment.h"
#include "cluster_json.h"
#include "contributors_json.h"
#include "handler_util.h"
#include "openapi.h"
#include "status_json.h"

namespace budgetd::api {
// A GET /v1/slos in progress: with many SLOs the list is the heaviest read, so it is evaluated
// kListSlice SLOs at a time, each slice a turn of its own on the read executor.
struct Api::SloListing {
  std::shared_ptr<const ServingState> snap;
  Timestamp now;
  json list = json::array();
  size_t next = 0;  // the next SLO to evaluate
  unsigned version;
  bool keep_alive;
  Respond respond;
};

void Api::get_slos(Request& req, Respond respond) {
  auto listing = std::make_shared<SloListing>();
  listing->snap = backend_.state();
  listing->now = clock_.now();
  listing->version = req.raw.version();
  listing->keep_alive = req.raw.keep_alive();
  listing->respond = std::move(respond);
  list_slos(std::move(listing));
}

void Api::list_slos(std::shared_ptr<SloListing> listing) {
  SloListing& l = *listing;
  const auto& slos = l.snap->slos->slos();
  for (;;) {
    const size_t end = std::min(slos.size(), l.next + kListSlice);
    for (; l.next < end; ++l.next) {
      const store::StoredSlo& slo = slos[l.next];
      auto view = policy::assess_slo(slo, l.now, l.now, l.snap->config->storage.status_lookback, backend_.alerts());
      if (view.ok()) {
        l.list.push_back(summary_json(*view));
      } else {
        l.list.push_back({{"slo", slo.spec->name}, {"service", slo.spec->service}, {"error", view.status().message()}});
      }
    }
    if (l.next == slos.size()) break;
    // The rest waits behind whatever the read executor was given meanwhile.
    if (executors_.read) {
      return run(Lane::kRead, [this, listing = std::move(listing)]() mutable { list_slos(std::move(listing)); });
    }
  }
  json answer = {{"evaluated_at", format_rfc3339(l.now)}, {"slos", std::move(l.list)}};
  add_replication(answer, backend_);
  l.respond(json_response(http::status::ok, answer, l.version, l.keep_alive));
}

void Api::get_slo(Request& req, Respond respond) {
  const std::shared_ptr<const ServingState> snap = backend_.state();
  const store::StoredSlo* slo = snap->slos->find(req.params[0]);
  if (slo == nullptr) {
    return respond(reply_no_such_slo(req, req.params[0]));
  }
  const Timestamp now = clock_.now();
  Timestamp at = now;
  if (auto text = req.query_param("at")) {
    auto parsed = parse_query_time("at", *text);
    if (!parsed.ok()) return respond(reply_error(req, http::status::bad_request, parsed.status().message()));
    at = *parsed;
  }
  auto view = policy::assess_slo(*slo, at, now, snap->config->storage.status_lookback, backend_.alerts());
  if (!view.ok()) return respond(reply_error(req, http::status::bad_request, view.status().message()));
  json answer = status_json(*view);
  // Only SLOs with attribution: have the key, so other answers stay as they were.
  if (slo->attribution) answer["contributors"] = status_contributors_json(*slo, *view, now);
  add_replication(answer, backend_);
  respond(reply(req, http::status::ok, answer));
}

void Api::get_alerts(Request& req, Respond respond) {
  json list = json::array();
  for (const eval::AlertInstance& a : backend_.alerts().firing()) list.push_back(eval::alert_json(a));
  // Rules min_events holds back: not firing, but not known to be fine either.
  json held = json::array();
  for (const eval::AlertInstance& a : backend_.alerts().insufficient_data()) held.push_back(eval::alert_json(a));
  respond(reply(req, http::status::ok,
                {{"evaluated_at", format_rfc3339(clock_.now())},
                 {"alerts", std::move(list)},
                 {"insufficient_data", std::move(held)}}));
}

void Api::get_healthz(Request& req, Respond respond) { respond(reply(req, http::status::ok, {{"status", "ok"}})); }

void Api::get_readyz(Request& req, Respond respond) {
  const std::string why = backend_.not_ready_reason();
  if (why.empty()) return respond(reply(req, http::status::ok, {{"status", "ready"}}));
  respond(reply(req, http::status::service_unavailable, {{"status", "not_ready"}, {"reason", why}}));
}

void Api::get_metrics(Request& req, Respond respond) {
  // budgetd's own metrics are rendered now (a few hundred lines); the per-SLO part is the
  // evaluator's rendering of its last tick, sent after them as it lies (slo_metrics.h).
  HttpResponse res = text_response(http::status::ok, metrics_.render(), "text/plain; version=0.0.4; charset=utf-8",
                                   req.raw.version(), req.raw.keep_alive());
  const std::shared_ptr<const SloMetrics> slos = backend_.slo_metrics();
  if (!slos) return respond(std::move(res));
  respond(std::move(res), SharedText(slos, &slos->parts));
}

void Api::get_openapi(Request& req, Respond respond) {
  respond(text_response(http::status::ok, std::string(openapi_yaml()), "application/yaml", req.raw.version(),
                        req.raw.keep_alive()));
}

}  // namespace budgetd::api
