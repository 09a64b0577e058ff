#pragma once
// The HTTP API (DESIGN.md §4) on Boost.Beast. Beast and Asio stay inside src/api: this header is
// all other modules see.
//
//   Server server(config.server, daemon, clock, metrics);   // daemon: the Backend
//   BUDGETD_RETURN_IF_ERROR(server.start());    // binds, starts the I/O threads and the executors
//   uint16_t port = server.port();              // the bound port (listen_port may be 0)
//   server.drain();                             // stop accepting, finish in-flight requests, join
//
// Sessions follow Beast's async pattern: a strand per connection, a fresh parser per request with
// body and header limits, a timeout on every read and write, one request in flight per
// connection, keep-alive.
//
// Threads (src/api/api.h says what runs where): server.threads I/O threads run the sessions and
// answer the probes; handlers run on a read executor (server.read_threads), an ingest executor
// (server.ingest_threads) and a one-thread admin executor.
//
// Thread safety: start() and drain() from one controlling thread; the backend is called from all
// of the server's threads.

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/core/clock.h"
#include "budgetd/core/status.h"
#include "budgetd/durable/committer.h"
#include "budgetd/durable/idempotency.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/ingest/router.h"
#include "budgetd/metrics/registry.h"

namespace budgetd::deploys {
class DeployLog;
}
namespace budgetd::cluster {
class ReplicationView;
class ClusterView;
}  // namespace budgetd::cluster
namespace budgetd::episodes {
class EpisodeLog;
}  // namespace budgetd::episodes
namespace budgetd::policy {
class GateOverrides;
class DecisionLog;
}  // namespace budgetd::policy

namespace budgetd::api {

struct SloMetrics;

// Everything a request is answered from, replaced whole on reload: requests take it once each,
// never per event.
struct ServingState {
  std::shared_ptr<const config::Config> config;
  std::shared_ptr<const store::SloSet> slos;
  std::shared_ptr<const ingest::Router> router;  // routes to `slos`
};

struct ReloadOutcome {
  bool ok = false;
  std::vector<std::string> errors;  // file:line:column: message, when !ok
  std::vector<std::string> warnings;
  std::vector<std::string> added, removed, changed;  // SLO names; changed: same identity, new math
  size_t kept = 0;                                   // SLOs whose counts carried over
};

// What the server needs from the daemon that runs it.
class Backend {
 public:
  virtual ~Backend() = default;
  virtual std::shared_ptr<const ServingState> state() const = 0;
  // Empty when ready to take traffic; otherwise why not, for /readyz.
  virtual std::string not_ready_reason() const = 0;
  // Where accepted batches go: logged, then applied.
  virtual durable::Committer& committer() = 0;
  virtual durable::IdempotencyTable& idempotency() = 0;
  // Re-reads the config file; an invalid one is refused and the running one kept.
  virtual ReloadOutcome reload() = 0;
  // Writes a snapshot now and returns its path (for backups).
  virtual Result<std::string> take_snapshot() = 0;
  // The state of every alert rule, kept by the evaluator loop.
  virtual const eval::AlertTracker& alerts() const = 0;
  // The per-SLO part of GET /metrics from the last evaluation tick (slo_metrics.h); null when
  // there is none (a backend without an evaluator): then scrapes carry budgetd's own metrics only.
  virtual std::shared_ptr<const SloMetrics> slo_metrics() const { return nullptr; }
  // The deploys POST /v1/deploys records (a durable state, changed through committer()); null
  // when the backend keeps none: then the deploy routes answer 404 and the gate names none.
  virtual deploys::DeployLog* deploys() { return nullptr; }
  // Cluster mode (a `cluster:` section): the replication log's state, for the `replication`
  // field of status and gate answers; null when embedded (then the answers carry none).
  virtual const cluster::ReplicationView* replication() const { return nullptr; }
  // Cluster mode: membership and the notification leader, for GET /v1/cluster; null when embedded.
  virtual const cluster::ClusterView* cluster() const { return nullptr; }
  // A snapshot written now, as its bytes (GET /v1/admin/snapshot: a peer bootstraps from it).
  virtual Result<std::string> snapshot_bytes() { return Unavailable("this backend keeps no snapshots"); }
  // The gate's break-glass overrides and its decision log (durable states, changed through
  // committer()); null when the backend keeps none: then the override and decision routes
  // answer 404 and the gate records nothing.
  virtual policy::GateOverrides* overrides() { return nullptr; }
  virtual policy::DecisionLog* decisions() { return nullptr; }
  // Burn episodes (GET /v1/slos/{name}/episodes); null when the backend keeps none (404 then).
  virtual const episodes::EpisodeLog* episodes() const { return nullptr; }
};

class Server {
 public:
  Server(const config::ServerConfig& config, Backend& backend, const Clock& clock, metrics::Registry& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  Status start();
  uint16_t port() const;
  // Graceful stop: no new connections; requests in flight finish (up to drain_timeout); idle
  // keep-alive connections close; the threads are joined. Idempotent.
  void drain();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetd::api
