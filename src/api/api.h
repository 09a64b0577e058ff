#pragma once
// The API's routes and handlers (DESIGN.md §4), plus what every request gets: routing with
// 404/405, bearer-token auth by scope, a JSON error for every failure, request metrics by route
// and code, and a structured log line (debug for every request, warn for every error answer).
//
// Routing, auth and request metrics live in api.cpp; each handler in the file named for it
// (listed beside the declarations below).
//
// Threads. handle() runs on the I/O thread that read the request (server.threads): it routes,
// checks the token and the query, and answers errors and the probes (/healthz, /readyz) at once,
// there. Every other handler runs on its route's executor (route_table.h, Lane): reads on the
// read executor (server.read_threads), batches on the ingest executor (server.ingest_threads),
// reload and snapshot on a one-thread admin executor. So no batch decode queues in front of a
// gate query, no read in front of a probe, and nothing slow on an I/O thread. Each executor is
// a FIFO queue whose length is bounded by the open connections (one request in flight each).
// A long read yields: the SLO list evaluates kListSlice SLOs per turn and queues the rest behind
// whatever arrived meanwhile. Until run_on() is called every handler runs inside handle().
//
// Thread safety: one Api serves every thread above, so handle() and the handlers run
// concurrently. After run_on() its members are read-only, except the per-route counters by
// status code, registered on first use through atomic pointers (see Api::count); what changes
// at run time (the config, the SLOs) comes from the Backend, taken once per request.

#include <array>
#include <atomic>
#include <chrono>
#include <memory>

#include <boost/asio/strand.hpp>

#include "budgetd/api/server.h"
#include "budgetd/core/move_only_function.h"
#include "budgetd/ingest/batch.h"
#include "budgetd/inputs/counter_ledger.h"
#include "route_table.h"
#include "session.h"

namespace budgetd::api {

// What a gate is asked, by query (GET /v1/gate) or by Flagger's webhook payload.
struct GateQuestion {
  std::string service;
  config::ChangeType change = config::ChangeType::kFeature;
  std::string slo;  // empty: every SLO of the service
  std::string ci_job;
  std::string commit;
  bool dry_run = false;
  const char* source = "gate";  // "gate" or "webhook", as the decision log names it
};

class Api final : public RequestHandler {
 public:
  Api(const config::ServerConfig& config, Backend& backend, const Clock& clock, metrics::Registry& metrics);

  void handle(Request& request, Respond respond) override;
  void note_protocol_error(http::status status, std::string_view remote, std::string_view why) override;

  const RouteTable& routes() const { return routes_; }

  // The executors of the read, ingest and admin lanes (the server owns them).
  struct Executors {
    net::any_io_executor read, ingest, admin;
  };
  // REQUIRES: before the first request.
  void run_on(Executors executors) {
    executors_ = std::move(executors);
    // The gate's decisions are committed one at a time, on the ingest executor, so the decision
    // log holds them in the order they were answered.
    decisions_ = net::make_strand(executors_.ingest);
  }
  // Before the executors' contexts are destroyed: a strand's state lives in its context's
  // strand service, so it must go first (ThreadSanitizer saw the strand lock a destroyed mutex).
  void leave_executors() {
    decisions_ = {};
    executors_ = {};
  }

  // SLOs the list evaluates per turn on the read executor: a few milliseconds.
  static constexpr size_t kListSlice = 64;

 private:
  // Runs `work` on the lane's executor, or here and now (kIo, or no executors).
  void run(Lane lane, MoveOnlyFunction<void()> work);
  // Per-route metrics; counters by status code are registered on first use.
  struct RouteMetrics {
    std::string route;
    metrics::Histogram* duration = nullptr;
    std::array<std::atomic<metrics::Counter*>, 600> by_code{};
  };
  RouteMetrics& route_metrics(const std::string& route);
  void count(RouteMetrics& m, unsigned code, std::chrono::steady_clock::time_point started);

  // events_handler.cpp: POST /v1/events
  struct KeyClaim {
    std::optional<durable::IdempotentAnswer> key;  // a new key: remember the batch's answer under it
    std::optional<HttpResponse> answer;            // answer this instead (a replay, or why the key is refused)
  };
  void post_events(Request& req, Respond respond);
  KeyClaim claim_idempotency_key(const Request& req, Timestamp now);
  // A batch's events by outcome, counted in metrics once its answer is known.
  struct EventTally {
    explicit EventTally(const ingest::BatchReport& r)
        : accepted(r.accepted),
          unmatched(r.unmatched),
          too_old(r.rejected_too_old),
          future(r.rejected_future),
          invalid(r.rejected - r.rejected_too_old - r.rejected_future) {}
    uint32_t accepted, unmatched, too_old, future, invalid;
  };
  void commit_and_answer(const Request& req, durable::PendingBatch batch, std::string answer, EventTally tally,
                         Respond respond);
  void count_events(const EventTally& tally);

  // read_handlers.cpp
  void get_slos(Request& req, Respond respond);  // GET /v1/slos
  struct SloListing;
  void list_slos(std::shared_ptr<SloListing> listing);  // one slice of it, then the next
  void get_slo(Request& req, Respond respond);          // GET /v1/slos/{name}
  void get_alerts(Request& req, Respond respond);       // GET /v1/alerts
  void get_metrics(Request& req, Respond respond);      // GET /metrics
  void get_healthz(Request& req, Respond respond);      // GET /healthz
  void get_readyz(Request& req, Respond respond);       // GET /readyz
  void get_openapi(Request& req, Respond respond);      // GET /openapi.yaml
  // history_handler.cpp
  void get_history(Request& req, Respond respond);  // GET /v1/slos/{name}/history
  // contributors_handler.cpp
  void get_contributors(Request& req, Respond respond);  // GET /v1/slos/{name}/contributors
  // gate_handler.cpp
  void get_gate(Request& req, Respond respond);           // GET /v1/gate
  void post_gate_webhook(Request& req, Respond respond);  // POST /v1/gate/webhook (Flagger)
  // Decides, logs, records in the decision log, answers: 200 when allowed, else `denied_status`.
  void answer_gate(Request& req, GateQuestion q, http::status denied_status, Respond respond);
  metrics::Counter& gate_decision_counter(const std::string& service, const char* decision);
  // gate_audit_handlers.cpp (admin): break-glass overrides; the decision log (read)
  void post_override(Request& req, Respond respond);    // POST /v1/gate/overrides
  void get_overrides(Request& req, Respond respond);    // GET /v1/gate/overrides
  void delete_override(Request& req, Respond respond);  // DELETE /v1/gate/overrides/{id}
  void get_decisions(Request& req, Respond respond);    // GET /v1/gate/decisions
  // deploys_handler.cpp
  void post_deploys(Request& req, Respond respond);  // POST /v1/deploys
  void get_deploys(Request& req, Respond respond);   // GET /v1/deploys
  // episodes_handler.cpp
  void get_episodes(Request& req, Respond respond);  // GET /v1/slos/{name}/episodes
  // admin_handlers.cpp
  void post_reload(Request& req, Respond respond);    // POST /-/reload
  void post_snapshot(Request& req, Respond respond);  // POST /-/snapshot
  // cluster_handler.cpp
  void get_cluster(Request& req, Respond respond);         // GET /v1/cluster
  void get_admin_snapshot(Request& req, Respond respond);  // GET /v1/admin/snapshot
  // inputs_handler.cpp (issue 16): OTLP/HTTP and Prometheus remote_write
  struct Inputs;
  static std::shared_ptr<Inputs> make_inputs(metrics::Registry& m);
  void post_otlp_traces(Request& req, Respond respond);   // POST /otlp/v1/traces
  void post_remote_write(Request& req, Respond respond);  // POST /api/v1/write
  void post_otlp_metrics(Request& req, Respond respond);  // POST /otlp/v1/metrics
  // The body with its Content-Encoding undone (gzip, bounded by max_body_bytes; identity), or
  // the error answer (415 for another coding, 400/413 for bad or oversized gzip, counted in
  // `refused`). POST /v1/events and the OTLP routes call it.
  std::optional<HttpResponse> decoded_body(Request& req, std::string& out, metrics::Counter& refused);
  // How an OTLP metrics request is answered (a remote_write one: 204, or 400 naming refusals).
  struct OtlpAnswer {
    bool protobuf = true;
    uint32_t rejected = 0;  // points the decoder refused
    std::string first_error;
  };
  void ingest_counters(Request& req, const std::shared_ptr<const ServingState>& state,
                       std::span<const inputs::SeriesInput> series, Timestamp now, Respond respond,
                       std::optional<OtlpAnswer> otlp = std::nullopt);
  // Commits like commit_and_answer, answering with answer(version, keep_alive) once applied;
  // on_failure (if any) runs when nothing was applied.
  void commit_input(const Request& req, durable::PendingBatch batch,
                    MoveOnlyFunction<HttpResponse(unsigned, bool)> answer, std::function<void()> on_failure,
                    Respond respond);

  // dashboard_handler.cpp
  void get_dashboard(Request& req, Respond respond);  // GET /
  void get_ui_asset(Request& req, Respond respond);   // GET /ui/{asset}

  const config::ServerConfig config_;
  Backend& backend_;
  const Clock& clock_;
  metrics::Registry& metrics_;
  RouteTable routes_;
  std::vector<std::unique_ptr<RouteMetrics>> route_metrics_;  // fixed after construction
  Executors executors_;
  net::any_io_executor decisions_;  // a strand on the ingest executor (run_on)

  metrics::Counter& events_accepted_;
  metrics::Counter& events_unmatched_;
  metrics::Counter& events_rejected_invalid_;
  metrics::Counter& events_rejected_too_old_;
  metrics::Counter& events_rejected_future_;
  metrics::Counter& batches_malformed_;
  metrics::Counter& batches_unavailable_;
  metrics::Counter& idempotent_replays_;
  metrics::Counter& auth_failures_;
  metrics::Counter& deploys_recorded_;
  metrics::Counter& deploys_refused_;
  metrics::Counter& contributors_refused_;  // GET .../contributors answered 400
  std::shared_ptr<Inputs> inputs_;          // inputs_handler.cpp; guards what it changes itself
};

}  // namespace budgetd::api
