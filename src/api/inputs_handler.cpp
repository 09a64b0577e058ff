// POST /otlp/v1/traces and POST /api/v1/write (issue 16): OTLP spans as events and Prometheus
// counters as counts, committed through the same Committer (WAL, cluster log) as POST /v1/events.

#include "api.h"
#include "budgetd/core/echo.h"
#include "budgetd/core/log.h"
#include "budgetd/inputs/body_encoding.h"
#include "budgetd/inputs/counter_ledger.h"
#include "budgetd/inputs/otlp_metrics.h"
#include "budgetd/inputs/otlp_traces.h"
#include "budgetd/inputs/remote_write.h"
#include "handler_util.h"

namespace budgetd::api {

// What the inputs keep between requests: the counters' baselines and pairing cells, and the
// counter routes of the SLO set in force (rebuilt when a reload swaps it).
struct Api::Inputs {
  explicit Inputs(metrics::Registry& m)
      : samples_counted(
            m.counter("budgetd_pushed_samples_total", "Pushed counter samples, by outcome", {{"outcome", "counted"}})),
        samples_baseline(
            m.counter("budgetd_pushed_samples_total", "Pushed counter samples, by outcome", {{"outcome", "baseline"}})),
        samples_rejected(
            m.counter("budgetd_pushed_samples_total", "Pushed counter samples, by outcome", {{"outcome", "rejected"}})),
        samples_skipped(m.counter("budgetd_pushed_samples_total", "Pushed counter samples, by outcome",
                                  {{"outcome", "stale_or_duplicate"}})),
        unpaired(m.counter("budgetd_pushed_unpaired_total",
                           "Increases of a good/bad counter that no total increase covered (dropped)")),
        bodies_refused(m.counter("budgetd_input_bodies_refused_total",
                                 "OTLP and remote_write bodies refused whole (undecodable, too large)")),
        spans_other_kinds(m.counter("budgetd_otlp_spans_skipped_total",
                                    "OTLP spans of kinds ingest.otlp.span_kinds does not count")) {}

  std::shared_ptr<const inputs::CounterRoutes> routes_for(const std::shared_ptr<const store::SloSet>& slos) {
    std::lock_guard lock(routes_mu);  // a leaf: held for a pointer compare, and a rebuild after a reload
    if (!routes || &routes->slos() != slos.get()) routes = std::make_shared<inputs::CounterRoutes>(slos);
    return routes;
  }

  inputs::CounterLedger ledger;
  std::mutex routes_mu;
  std::shared_ptr<const inputs::CounterRoutes> routes;
  metrics::Counter& samples_counted;
  metrics::Counter& samples_baseline;
  metrics::Counter& samples_rejected;
  metrics::Counter& samples_skipped;
  metrics::Counter& unpaired;
  metrics::Counter& bodies_refused;
  metrics::Counter& spans_other_kinds;
};

std::shared_ptr<Api::Inputs> Api::make_inputs(metrics::Registry& m) { return std::make_shared<Inputs>(m); }

std::optional<HttpResponse> Api::decoded_body(Request& req, std::string& out, metrics::Counter& refused) {
  const std::string encoding = media_type(req.raw[http::field::content_encoding]);
  if (encoding.empty() || encoding == "identity") {
    out = std::move(req.raw.body());
    return std::nullopt;
  }
  if (encoding != "gzip") {
    return reply_error(req, http::status::unsupported_media_type,
                       "Content-Encoding '" + bounded_echo(encoding) + "' is not accepted; send gzip or none");
  }
  Result<std::string> raw = inputs::gunzip(req.raw.body(), config_.max_body_bytes);
  if (!raw.ok()) {
    refused.inc();
    const bool big = raw.status().code() == StatusCode::kOutOfRange;
    return reply_error(req, big ? http::status::payload_too_large : http::status::bad_request, raw.status().message());
  }
  out = std::move(*raw);
  return std::nullopt;
}

void Api::post_otlp_traces(Request& req, Respond respond) {
  const std::string type = media_type(req.raw[http::field::content_type]);
  inputs::Encoding encoding;
  if (type == "application/x-protobuf") {
    encoding = inputs::Encoding::kProtobuf;
  } else if (type == "application/json") {
    encoding = inputs::Encoding::kJson;
  } else {
    return respond(reply_error(req, http::status::unsupported_media_type,
                               "Content-Type '" + bounded_echo(type) +
                                   "' is not accepted; OTLP/HTTP sends application/x-protobuf or application/json"));
  }
  std::string body;
  if (auto bad = decoded_body(req, body, inputs_->bodies_refused)) return respond(std::move(*bad));
  const std::shared_ptr<const ServingState> state = backend_.state();
  const Timestamp now = clock_.now();
  thread_local inputs::SpanDecoder decoder;
  thread_local ingest::DeltaBatch deltas;
  thread_local ingest::BatchReport report;
  const ingest::IngestLimits limits{state->config->ingest.max_future, state->config->ingest.max_errors_listed};
  const config::OtlpIngestConfig& otlp = state->config->ingest.otlp;
  const auto produce = [&](ingest::EventSink& sink) { return decoder.decode(body, encoding, otlp, sink); };
  if (auto bad = ingest::prepare_events(produce, now, *state->router, limits, deltas, report)) {
    inputs_->bodies_refused.inc();
    batches_malformed_.inc();
    return respond(reply_error(req, http::status::bad_request, *bad + "; nothing of it was applied"));
  }
  inputs_->spans_other_kinds.inc(decoder.tally().other_kinds);
  std::string message;
  if (report.rejected != 0) {
    message = fmt::format("{} of {} spans rejected", report.rejected, decoder.tally().spans);
    if (!report.errors.empty()) message += "; the first: " + report.errors.front().error;
  }
  std::string answer = inputs::trace_response(encoding, report.rejected, message);
  const std::string answer_type =
      encoding == inputs::Encoding::kProtobuf ? "application/x-protobuf" : "application/json";
  const EventTally tally(report);
  if (deltas.empty()) {
    count_events(tally);
    return respond(reply_text(req, http::status::ok, std::move(answer), answer_type));
  }
  durable::PendingBatch batch;
  batch.slos = state->slos;
  batch.deltas.assign(deltas.deltas().begin(), deltas.deltas().end());
  batch.now = now;
  commit_input(
      req, std::move(batch),
      [this, tally, answer = std::move(answer), answer_type](unsigned version, bool keep_alive) mutable {
        count_events(tally);
        return text_response(http::status::ok, std::move(answer), answer_type, version, keep_alive);
      },
      nullptr, std::move(respond));
}

void Api::post_remote_write(Request& req, Respond respond) {
  const std::string type = media_type(req.raw[http::field::content_type]);
  if (type != "application/x-protobuf") {
    return respond(reply_error(req, http::status::unsupported_media_type,
                               "Content-Type '" + bounded_echo(type) +
                                   "' is not accepted; remote_write 1.0 sends application/x-protobuf (snappy)"));
  }
  const std::string encoding = media_type(req.raw[http::field::content_encoding]);
  if (!encoding.empty() && encoding != "snappy") {
    return respond(reply_error(req, http::status::unsupported_media_type,
                               "Content-Encoding '" + bounded_echo(encoding) + "' is not accepted; send snappy"));
  }
  // 400 for everything the sender cannot fix by retrying: Prometheus drops such a request
  // instead of resending it forever (5xx and 429 it retries).
  Result<std::string> raw = inputs::snappy_uncompress(req.raw.body(), config_.max_body_bytes);
  if (!raw.ok()) {
    inputs_->bodies_refused.inc();
    return respond(reply_error(req, http::status::bad_request, raw.status().message()));
  }
  const std::shared_ptr<const ServingState> state = backend_.state();
  const Timestamp now = clock_.now();
  const std::shared_ptr<const inputs::CounterRoutes> routes = inputs_->routes_for(state->slos);
  thread_local std::vector<inputs::SeriesInput> series;
  inputs::WriteTally tally;
  if (auto bad = inputs::decode_remote_write(*raw, *routes, series, tally)) {
    inputs_->bodies_refused.inc();
    return respond(reply_error(req, http::status::bad_request, *bad + "; nothing of it was applied"));
  }
  ingest_counters(req, state, series, now, std::move(respond));
}

void Api::post_otlp_metrics(Request& req, Respond respond) {
  const std::string type = media_type(req.raw[http::field::content_type]);
  if (type != "application/x-protobuf" && type != "application/json") {
    return respond(reply_error(req, http::status::unsupported_media_type,
                               "Content-Type '" + bounded_echo(type) +
                                   "' is not accepted; OTLP/HTTP sends application/x-protobuf or application/json"));
  }
  const auto encoding = type == "application/json" ? inputs::Encoding::kJson : inputs::Encoding::kProtobuf;
  std::string body;
  if (auto bad = decoded_body(req, body, inputs_->bodies_refused)) return respond(std::move(*bad));
  const std::shared_ptr<const ServingState> state = backend_.state();
  const Timestamp now = clock_.now();
  const std::shared_ptr<const inputs::CounterRoutes> routes = inputs_->routes_for(state->slos);
  thread_local std::vector<inputs::SeriesInput> series;
  inputs::MetricsTally tally;
  if (auto bad = inputs::decode_otlp_metrics(body, encoding, *routes, series, tally)) {
    inputs_->bodies_refused.inc();
    return respond(reply_error(req, http::status::bad_request, *bad + "; nothing of it was applied"));
  }
  inputs_->samples_rejected.inc(tally.rejected);
  ingest_counters(req, state, series, now, std::move(respond),
                  OtlpAnswer{encoding == inputs::Encoding::kProtobuf, tally.rejected, tally.first_error});
}

void Api::ingest_counters(Request& req, const std::shared_ptr<const ServingState>& state,
                          std::span<const inputs::SeriesInput> series, Timestamp now, Respond respond,
                          std::optional<OtlpAnswer> otlp) {
  thread_local ingest::DeltaBatch deltas;
  deltas.clear();
  inputs::CounterReport report;
  auto undo = std::make_shared<inputs::CounterLedger::Undo>();
  const inputs::CounterLimits limits{state->config->ingest.max_future, state->config->ingest.counter_pairing_delay};
  inputs_->ledger.ingest(series, *state->slos, now, limits, deltas, report, *undo);
  const auto count = [this, report] {
    inputs_->samples_counted.inc(report.counted);
    inputs_->samples_baseline.inc(report.baselines);
    inputs_->samples_rejected.inc(report.rejected());
    inputs_->samples_skipped.inc(report.stale + report.duplicates);
    inputs_->unpaired.inc(report.unpaired);
  };
  // remote_write: 204 when every sample was taken; 400 with the reason when some were refused
  // (too old, out of order, too far ahead): resending them cannot help, and the others are in.
  const auto answer = [report, count, otlp](unsigned version, bool keep_alive) {
    count();
    if (otlp) {  // OTLP: 200, with partial_success when some points were refused
      const uint32_t rejected = otlp->rejected + report.rejected();
      const std::string first = otlp->first_error.empty() ? report.first_error : otlp->first_error;
      const auto enc = otlp->protobuf ? inputs::Encoding::kProtobuf : inputs::Encoding::kJson;
      return text_response(
          http::status::ok,
          inputs::metrics_response(
              enc, rejected, rejected ? fmt::format("{} data points rejected; the first: {}", rejected, first) : ""),
          otlp->protobuf ? "application/x-protobuf" : "application/json", version, keep_alive);
    }
    if (report.rejected() == 0) {
      HttpResponse res{http::status::no_content, version};
      res.keep_alive(keep_alive);
      res.prepare_payload();
      return res;
    }
    return error_response(http::status::bad_request, "bad_request",
                          fmt::format("{} of {} samples refused (the others were counted): {}", report.rejected(),
                                      report.samples, report.first_error),
                          version, keep_alive);
  };
  if (deltas.empty()) return respond(answer(req.raw.version(), req.raw.keep_alive()));
  durable::PendingBatch batch;
  batch.slos = state->slos;
  batch.deltas.assign(deltas.deltas().begin(), deltas.deltas().end());
  batch.now = now;
  commit_input(
      req, std::move(batch), answer, [this, undo] { inputs_->ledger.undo(*undo); }, std::move(respond));
}

void Api::commit_input(const Request& req, durable::PendingBatch batch,
                       MoveOnlyFunction<HttpResponse(unsigned, bool)> answer, std::function<void()> on_failure,
                       Respond respond) {
  const unsigned version = req.raw.version();
  const bool keep_alive = req.raw.keep_alive();
  backend_.committer().commit(std::move(batch), [this, answer = std::move(answer), on_failure = std::move(on_failure),
                                                 respond = std::move(respond), version, keep_alive](Status st) mutable {
    if (st.ok()) return respond(answer(version, keep_alive));
    if (on_failure) on_failure();  // nothing was applied: the baselines go back too
    if (st.code() == StatusCode::kInvalidArgument) {
      return respond(error_response(http::status::payload_too_large, "payload_too_large",
                                    "the batch was not applied: " + st.message(), version, keep_alive));
    }
    batches_unavailable_.inc();
    HttpResponse res =
        error_response(http::status::service_unavailable, "unavailable",
                       "the batch was not applied: " + st.message() + "; retry later", version, keep_alive);
    res.set(http::field::retry_after, "5");
    respond(std::move(res));
  });
}

}  // namespace budgetd::api
