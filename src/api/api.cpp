#include "api.h"

#include <nlohmann/json.hpp>

#include "budgetd/core/log.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/ingest/batch.h"
#include "status_json.h"

namespace budgetd::api {
namespace {

using json = nlohmann::ordered_json;
using Clock_ = std::chrono::steady_clock;

// Decoder and batch buffers, one set per server thread, reused request after request.
struct IngestScratch {
  ingest::BatchDecoder decoder;
  ingest::DeltaBatch deltas;
  ingest::BatchReport report;
};

HttpResponse reply(const Request& req, http::status status, const json& body) {
  return json_response(status, body, req.raw.version(), req.raw.keep_alive());
}

HttpResponse reply_error(const Request& req, http::status status, std::string_view message) {
  return error_response(status, error_code_for(status), message, req.raw.version(), req.raw.keep_alive());
}

// The media type of a Content-Type header, lower-cased, without parameters.
std::string media_type(std::string_view content_type) {
  const size_t semi = content_type.find(';');
  std::string_view t = content_type.substr(0, semi);
  while (!t.empty() && t.back() == ' ') t.remove_suffix(1);
  while (!t.empty() && t.front() == ' ') t.remove_prefix(1);
  std::string out(t);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// 400 unless every query parameter is one of `allowed`.
std::optional<std::string> unknown_param(const Request& req, std::initializer_list<std::string_view> allowed) {
  for (const auto& [k, v] : req.query) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      std::string valid;
      for (auto a : allowed) valid += (valid.empty() ? "" : ", ") + std::string(a);
      return "unknown query parameter '" + k + "'" +
             (valid.empty() ? " (this endpoint takes none)" : " (valid: " + valid + ")");
    }
  }
  return std::nullopt;
}

}  // namespace

Api::Api(const config::ServerConfig& config, Backend& backend, const Clock& clock, metrics::Registry& metrics)
    : config_(config),
      backend_(backend),
      clock_(clock),
      metrics_(metrics),
      events_accepted_(metrics.counter("budgetd_events_accepted_total", "Events applied to at least one SLO")),
      events_unmatched_(metrics.counter("budgetd_events_unmatched_total", "Valid events that matched no SLO")),
      events_rejected_invalid_(
          metrics.counter("budgetd_events_rejected_total", "Events rejected, by reason", {{"reason", "invalid"}})),
      events_rejected_too_old_(
          metrics.counter("budgetd_events_rejected_total", "Events rejected, by reason", {{"reason", "too_old"}})),
      events_rejected_future_(
          metrics.counter("budgetd_events_rejected_total", "Events rejected, by reason", {{"reason", "future"}})),
      batches_malformed_(metrics.counter("budgetd_batches_malformed_total",
                                         "Event batches refused whole because the body was not valid JSON")),
      store_expired_writes_(
          metrics.counter("budgetd_store_expired_writes_total",
                          "Bucket updates dropped because the bucket was recycled while the batch was applied")),
      store_saturated_writes_(
          metrics.counter("budgetd_store_saturated_writes_total",
                          "Bucket updates that hit a counter's maximum (2^44-1) and stopped counting")) {
  using namespace std::placeholders;
  routes_.add(http::verb::post, "/v1/events", [this](Request& r, Respond d) { post_events(r, std::move(d)); });
  routes_.add(http::verb::get, "/v1/slos", [this](Request& r, Respond d) { get_slos(r, std::move(d)); });
  routes_.add(http::verb::get, "/v1/slos/{name}", [this](Request& r, Respond d) { get_slo(r, std::move(d)); });
  routes_.add(http::verb::get, "/healthz", [this](Request& r, Respond d) { get_healthz(r, std::move(d)); });
  routes_.add(http::verb::get, "/readyz", [this](Request& r, Respond d) { get_readyz(r, std::move(d)); });
  routes_.add(http::verb::get, "/metrics", [this](Request& r, Respond d) { get_metrics(r, std::move(d)); });
  for (const auto& e : routes_.entries()) route_metrics(e.pattern);
  route_metrics("unmatched");
}

Api::RouteMetrics& Api::route_metrics(const std::string& route) {
  for (auto& m : route_metrics_) {
    if (m->route == route) return *m;
  }
  auto m = std::make_unique<RouteMetrics>();
  m->route = route;
  m->duration = &metrics_.histogram("budgetd_http_request_duration_seconds", "Time to answer a request, by route",
                                    {{"route", route}}, metrics::kLatencyBuckets);
  route_metrics_.push_back(std::move(m));
  return *route_metrics_.back();
}

void Api::count(RouteMetrics& m, unsigned code, Clock_::time_point started) {
  if (code >= m.by_code.size()) code = 0;
  // acquire/release: the Counter is constructed inside the registry by whichever thread first
  // stores the pointer; a thread that loads it must see the constructed object.
  metrics::Counter* c = m.by_code[code].load(std::memory_order_acquire);
  if (c == nullptr) {
    c = &metrics_.counter("budgetd_http_requests_total", "HTTP requests answered, by route and status code",
                          {{"route", m.route}, {"code", std::to_string(code)}});
    m.by_code[code].store(c, std::memory_order_release);
  }
  c->inc();
  m.duration->observe(std::chrono::duration<double>(Clock_::now() - started).count());
}

void Api::note_protocol_error(http::status status, std::string_view remote, std::string_view why) {
  RouteMetrics& m = *route_metrics_.back();  // "unmatched"
  count(m, static_cast<unsigned>(status), Clock_::now());
  log::warn("http: request failed before routing")
      .field("status", static_cast<int>(status))
      .field("remote", remote)
      .field("error", why);
}

void Api::handle(Request& req, Respond respond) {
  const auto started = Clock_::now();
  const std::string_view target = req.raw.target();
  const size_t qmark = target.find('?');
  req.path = target.substr(0, qmark);
  RouteTable::Match match = routes_.match(req.raw.method(), req.path);
  RouteMetrics& rm = match.pattern != nullptr ? route_metrics(*match.pattern) : *route_metrics_.back();

  Respond counted = [this, &rm, started, respond = std::move(respond), method = std::string(req.raw.method_string()),
                     path = std::string(req.path), remote = req.remote](HttpResponse&& res) {
    count(rm, res.result_int(), started);
    const double ms = std::chrono::duration<double, std::milli>(Clock_::now() - started).count();
    if (res.result_int() >= 400) {
      log::warn("http: error answer")
          .field("method", method)
          .field("path", path)
          .field("status", res.result_int())
          .field("duration_ms", ms)
          .field("remote", remote)
          .field("body", std::string_view(res.body()).substr(0, 500));
    } else if (log::enabled(log::Level::debug)) {
      log::debug("http: request")
          .field("method", method)
          .field("path", path)
          .field("status", res.result_int())
          .field("duration_ms", ms)
          .field("remote", remote)
          .field("bytes_out", uint64_t{res.body().size()});
    }
    respond(std::move(res));
  };

  if (match.handler == nullptr) {
    if (match.allowed.empty()) {
      return counted(reply_error(req, http::status::not_found, "no such endpoint: " + std::string(req.path)));
    }
    std::string allow;
    for (auto v : match.allowed) allow += (allow.empty() ? "" : ", ") + std::string(http::to_string(v));
    HttpResponse res = reply_error(
        req, http::status::method_not_allowed,
        std::string(req.raw.method_string()) + " is not allowed on " + std::string(req.path) + "; use " + allow);
    res.set(http::field::allow, allow);
    return counted(std::move(res));
  }
  auto query = parse_query(qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1));
  if (!query) return counted(reply_error(req, http::status::bad_request, "the query string has bad percent-encoding"));
  req.query = std::move(*query);
  req.params = std::move(match.params);
  (*match.handler)(req, std::move(counted));
}

void Api::post_events(Request& req, Respond respond) {
  const std::string type = media_type(req.raw[http::field::content_type]);
  ingest::BodyFormat format;
  if (type == "application/json") {
    format = ingest::BodyFormat::kJson;
  } else if (type == "application/x-ndjson" || type == "application/ndjson") {
    format = ingest::BodyFormat::kNdjson;
  } else {
    return respond(reply_error(req, http::status::unsupported_media_type,
                               "Content-Type '" + type +
                                   "' is not accepted; send application/json ({\"events\": [...]}) or "
                                   "application/x-ndjson (one event per line)"));
  }
  if (auto bad = unknown_param(req, {})) return respond(reply_error(req, http::status::bad_request, *bad));

  const std::shared_ptr<const Snapshot> snap = backend_.snapshot();
  const Timestamp now = clock_.now();
  thread_local IngestScratch scratch;
  std::string& body = req.raw.body();
  // simdjson reads up to 64 bytes past the end; reserve them once instead of copying the body.
  if (body.capacity() < body.size() + ingest::required_padding())
    body.reserve(body.size() + ingest::required_padding());

  const ingest::IngestLimits limits{snap->config->ingest.max_future, snap->config->ingest.max_errors_listed};
  const Status s = ingest::prepare_batch(scratch.decoder, body.data(), body.size(), body.capacity(), format, now,
                                         *snap->router, limits, scratch.deltas, scratch.report);
  if (!s.ok()) {
    batches_malformed_.inc();
    return respond(reply_error(req, http::status::bad_request, s.message()));
  }
  const store::WriteStats ws = ingest::apply_batch(scratch.deltas, snap->router->slos(), now);

  const ingest::BatchReport& r = scratch.report;
  events_accepted_.inc(r.accepted);
  events_unmatched_.inc(r.unmatched);
  events_rejected_too_old_.inc(r.rejected_too_old);
  events_rejected_future_.inc(r.rejected_future);
  events_rejected_invalid_.inc(r.rejected - r.rejected_too_old - r.rejected_future);
  if (ws.expired != 0) store_expired_writes_.inc(ws.expired);
  if (ws.saturated != 0) {
    store_saturated_writes_.inc(ws.saturated);
    log::error("store: a bucket counter reached its maximum and stopped counting")
        .field("updates", uint64_t{ws.saturated});
  }

  json errors = json::array();
  for (const auto& e : r.errors) {
    json item = {{"index", e.index}, {"error", e.error}};
    if (e.line != 0) item["line"] = e.line;
    errors.push_back(std::move(item));
  }
  json answer = {
      {"accepted", r.accepted}, {"rejected", r.rejected}, {"unmatched", r.unmatched}, {"errors", std::move(errors)}};
  if (r.errors_omitted != 0) answer["errors_omitted"] = r.errors_omitted;
  respond(reply(req, http::status::ok, answer));
}

void Api::get_slos(Request& req, Respond respond) {
  if (auto bad = unknown_param(req, {})) return respond(reply_error(req, http::status::bad_request, *bad));
  const std::shared_ptr<const Snapshot> snap = backend_.snapshot();
  const Timestamp now = clock_.now();
  json list = json::array();
  for (const store::StoredSlo& slo : snap->router->slos().slos()) {
    auto status = eval::evaluate_slo(slo, now, now, snap->config->storage.status_lookback);
    if (status.ok())
      list.push_back(summary_json(*status));
    else
      list.push_back({{"slo", slo.spec->name}, {"service", slo.spec->service}, {"error", status.status().message()}});
  }
  respond(reply(req, http::status::ok, {{"evaluated_at", format_rfc3339(now)}, {"slos", std::move(list)}}));
}

void Api::get_slo(Request& req, Respond respond) {
  if (auto bad = unknown_param(req, {"at"})) return respond(reply_error(req, http::status::bad_request, *bad));
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

}  // namespace budgetd::api
