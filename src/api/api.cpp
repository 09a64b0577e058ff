#include "api.h"

#include <fmt/format.h>
#include <boost/asio/post.hpp>

#include "auth.h"
#include "budgetd/core/log.h"
#include "budgetd/policy/gate.h"
#include "handler_util.h"

namespace budgetd::api {

namespace {
using Clock_ = std::chrono::steady_clock;
constexpr uint8_t scope(config::Scope s) { return static_cast<uint8_t>(s); }

// The message for a 400 if a query parameter is not one of `allowed`.
std::optional<std::string> unknown_param(const std::vector<std::pair<std::string, std::string>>& query,
                                         const std::vector<std::string>& allowed) {
  for (const auto& [k, v] : query) {
    if (std::find(allowed.begin(), allowed.end(), k) == allowed.end()) {
      const std::string valid = fmt::format("{}", fmt::join(allowed, ", "));
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
      batches_malformed_(metrics.counter(
          "budgetd_batches_malformed_total",
          "Event batches refused whole: not valid JSON, or a gzip body corrupt or over max_body_bytes")),
      batches_unavailable_(metrics.counter("budgetd_batches_unavailable_total",
                                           "Event batches answered 503 because the write-ahead log refused them")),
      idempotent_replays_(
          metrics.counter("budgetd_idempotent_replays_total",
                          "Batches answered from a remembered Idempotency-Key instead of applied again")),
      auth_failures_(metrics.counter("budgetd_auth_failures_total", "Requests refused with 401 or 403")),
      deploys_recorded_(
          metrics.counter("budgetd_deploys_total", "POST /v1/deploys, by result", {{"result", "recorded"}})),
      deploys_refused_(
          metrics.counter("budgetd_deploys_total", "POST /v1/deploys, by result", {{"result", "refused"}})),
      contributors_refused_(metrics.counter("budgetd_contributors_refused_total",
                                            "GET /v1/slos/{name}/contributors requests answered 400")),
      inputs_(make_inputs(metrics)) {
  const auto on = [this](void (Api::*h)(Request&, Respond)) {
    return [this, h](Request& r, Respond d) { (this->*h)(r, std::move(d)); };
  };
  const uint8_t open = 0;
  routes_.add(http::verb::post, "/v1/events", scope(config::Scope::kIngest), Lane::kIngest, {}, on(&Api::post_events));
  // issue 16: OTLP/HTTP (OTEL_EXPORTER_OTLP_ENDPOINT=http://budgetd:8080/otlp) and remote_write
  routes_.add(http::verb::post, "/otlp/v1/traces", scope(config::Scope::kIngest), Lane::kIngest, {},
              on(&Api::post_otlp_traces));
  routes_.add(http::verb::post, "/otlp/v1/metrics", scope(config::Scope::kIngest), Lane::kIngest, {},
              on(&Api::post_otlp_metrics));
  routes_.add(http::verb::post, "/api/v1/write", scope(config::Scope::kIngest), Lane::kIngest, {},
              on(&Api::post_remote_write));
  routes_.add(http::verb::get, "/v1/slos", scope(config::Scope::kRead), Lane::kRead, {}, on(&Api::get_slos));
  routes_.add(http::verb::get, "/v1/slos/{name}", scope(config::Scope::kRead), Lane::kRead, {"at"}, on(&Api::get_slo));
  routes_.add(http::verb::get, "/v1/slos/{name}/history", scope(config::Scope::kRead), Lane::kRead,
              {"range", "step", "from", "to", "periods"}, on(&Api::get_history));
  routes_.add(http::verb::get, "/v1/slos/{name}/contributors", scope(config::Scope::kRead), Lane::kRead,
              {"window", "label"}, on(&Api::get_contributors));
  routes_.add(http::verb::get, "/v1/alerts", scope(config::Scope::kRead), Lane::kRead, {}, on(&Api::get_alerts));
  routes_.add(http::verb::get, "/v1/gate", scope(config::Scope::kGate), Lane::kRead,
              {"service", "change", "slo", "ci_job", "commit", "dry_run"}, on(&Api::get_gate));
  routes_.add(http::verb::post, "/v1/gate/webhook", scope(config::Scope::kGate), Lane::kRead, {},
              on(&Api::post_gate_webhook));
  routes_.add(http::verb::post, "/v1/gate/overrides", scope(config::Scope::kAdmin), Lane::kIngest, {},
              on(&Api::post_override));
  routes_.add(http::verb::get, "/v1/gate/overrides", scope(config::Scope::kAdmin), Lane::kRead, {"service"},
              on(&Api::get_overrides));
  routes_.add(http::verb::delete_, "/v1/gate/overrides/{id}", scope(config::Scope::kAdmin), Lane::kIngest, {"by"},
              on(&Api::delete_override));
  routes_.add(http::verb::get, "/v1/gate/decisions", scope(config::Scope::kRead), Lane::kRead, {"service", "range"},
              on(&Api::get_decisions));
  routes_.add(http::verb::post, "/v1/deploys", scope(config::Scope::kGate), Lane::kIngest, {}, on(&Api::post_deploys));
  routes_.add(http::verb::get, "/v1/deploys", scope(config::Scope::kRead), Lane::kRead, {"service", "range"},
              on(&Api::get_deploys));
  routes_.add(http::verb::get, "/v1/slos/{name}/episodes", scope(config::Scope::kRead), Lane::kRead, {"range"},
              on(&Api::get_episodes));
  routes_.add(http::verb::get, "/metrics", scope(config::Scope::kRead), Lane::kRead, {}, on(&Api::get_metrics));
  routes_.add(http::verb::post, "/-/reload", scope(config::Scope::kAdmin), Lane::kAdmin, {}, on(&Api::post_reload));
  routes_.add(http::verb::post, "/-/snapshot", scope(config::Scope::kAdmin), Lane::kAdmin, {}, on(&Api::post_snapshot));
  // Cluster mode (404 when embedded): membership and lag from local copies; a peer's bootstrap snapshot.
  routes_.add(http::verb::get, "/v1/cluster", scope(config::Scope::kRead), Lane::kRead, {}, on(&Api::get_cluster));
  routes_.add(http::verb::get, "/v1/admin/snapshot", scope(config::Scope::kAdmin), Lane::kAdmin, {},
              on(&Api::get_admin_snapshot));
  // Probes answer on the I/O thread, whatever the executors are doing.
  routes_.add(http::verb::get, "/healthz", open, Lane::kIo, {}, on(&Api::get_healthz));
  routes_.add(http::verb::get, "/readyz", open, Lane::kIo, {}, on(&Api::get_readyz));
  routes_.add(http::verb::get, "/openapi.yaml", open, Lane::kIo, {}, on(&Api::get_openapi));
  // The dashboard's page and files: open, static, answered at once (dashboard_handler.cpp says why).
  routes_.add(http::verb::get, "/", open, Lane::kIo, {}, on(&Api::get_dashboard));
  routes_.add(http::verb::get, "/ui/{asset}", open, Lane::kIo, {}, on(&Api::get_ui_asset));
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
                     path = std::string(req.path), remote = req.remote,
                     dialect = error_dialect(req.raw)](HttpResponse&& res, SharedText tail) {
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
      speak_error_dialect(dialect, res);  // after the log line, which keeps budgetd's readable JSON
    } else if (log::enabled(log::Level::debug)) {
      log::debug("http: request")
          .field("method", method)
          .field("path", path)
          .field("status", res.result_int())
          .field("duration_ms", ms)
          .field("remote", remote)
          .field("bytes_out", uint64_t{res.body().size() + tail_bytes(tail)});
    }
    respond(std::move(res), std::move(tail));
  };

  if (match.handler == nullptr) {
    if (match.allowed.empty()) {
      return counted(reply_error(req, http::status::not_found, "no such endpoint: " + std::string(req.path)));
    }
    std::vector<std::string_view> verbs;
    for (const auto v : match.allowed) verbs.push_back(http::to_string(v));
    const std::string allow = fmt::format("{}", fmt::join(verbs, ", "));
    HttpResponse res = reply_error(
        req, http::status::method_not_allowed,
        std::string(req.raw.method_string()) + " is not allowed on " + std::string(req.path) + "; use " + allow);
    res.set(http::field::allow, allow);
    return counted(std::move(res));
  }
  const AuthResult auth = check_auth(backend_.state()->config->auth, req.raw[http::field::authorization], match.scope);
  if (auth != AuthResult::kAllowed) {
    auth_failures_.inc();
    if (auth == AuthResult::kWrongScope) {
      return counted(reply_error(req, http::status::forbidden,
                                 std::string("this token lacks the '") + scope_name(match.scope) + "' scope"));
    }
    HttpResponse res = reply_error(req, http::status::unauthorized,
                                   auth == AuthResult::kMissing
                                       ? std::string("send Authorization: Bearer <token> (a token with the '") +
                                             scope_name(match.scope) + "' scope)"
                                       : std::string("unknown token"));
    res.set(http::field::www_authenticate, "Bearer");
    return counted(std::move(res));
  }
  auto query = parse_query(qmark == std::string_view::npos ? std::string_view{} : target.substr(qmark + 1));
  if (!query) return counted(reply_error(req, http::status::bad_request, "the query string has bad percent-encoding"));
  // A typo in a parameter must not be silently ignored.
  if (auto bad = unknown_param(*query, *match.query_params))
    return counted(reply_error(req, http::status::bad_request, *bad));
  req.query = std::move(*query);
  req.params = std::move(match.params);
  // The request's message stays in the session's parser until the answer is written, so the
  // Request (which refers to it) may travel to the executor.
  run(match.lane, [handler = match.handler, req = std::make_unique<Request>(std::move(req)),
                   counted = std::move(counted)]() mutable { (*handler)(*req, std::move(counted)); });
}

void Api::run(Lane lane, MoveOnlyFunction<void()> work) {
  const net::any_io_executor* executor = nullptr;
  switch (lane) {
    case Lane::kIo:
      break;
    case Lane::kRead:
      executor = &executors_.read;
      break;
    case Lane::kIngest:
      executor = &executors_.ingest;
      break;
    case Lane::kAdmin:
      executor = &executors_.admin;
      break;
  }
  if (executor == nullptr || !*executor) return work();
  net::post(*executor, std::move(work));
}

}  // namespace budgetd::api
