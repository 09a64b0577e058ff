#pragma once
// A running budgetd: the composition root that main() and the integration tests share. It owns
// the published state (config + SLO set + router), the write-ahead log, snapshots, the
// idempotency keys, the metrics registry and the HTTP server.
//
//   ManualClock clock{t0};
//   Daemon d(std::move(config), clock);
//   if (Status s = d.start(); !s.ok()) ...;   // recovers from storage.dir, then serves
//   http_get("127.0.0.1", d.port(), "/v1/slos");      // the API on d.port()
//   d.reload();                                 // SIGHUP
//   d.stop();                                   // SIGTERM: drain, final snapshot, close the log
//
// Thread safety: start()/stop() from one controlling thread; reload(), evaluate_now(),
// take_snapshot() and the Backend methods from any thread. Which lock guards which member is
// written beside the members.

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

#include "budgetd/api/server.h"
#include "budgetd/cluster/leader_lease.h"
#include "budgetd/cluster/membership.h"
#include "budgetd/cluster/replicator.h"
#include "budgetd/config/config.h"
#include "budgetd/core/clock.h"
#include "budgetd/deploys/deploy_log.h"
#include "budgetd/durable/committer.h"
#include "budgetd/durable/env.h"
#include "budgetd/durable/idempotency.h"
#include "budgetd/durable/recovery.h"
#include "budgetd/durable/wal.h"
#include "budgetd/episodes/episode_log.h"
#include "budgetd/eval/evaluation_cache.h"
#include "budgetd/metrics/registry.h"
#include "budgetd/notify/notifier.h"
#include "budgetd/policy/decision_log.h"
#include "budgetd/policy/overrides.h"
#include "budgetd/store/write_gate.h"

namespace budgetd {

class Daemon final : public api::Backend {
 public:
  Daemon(config::Config config, const Clock& clock, durable::Env& env = durable::Env::posix());
  ~Daemon() override;

  // Registers a durable state (deploys, gate overrides, ...): recovered at start(), carried in
  // snapshots, changed through committer().commit_state(). REQUIRES: before start(); `state`
  // outlives the daemon.
  void add_state(durable::DurableState& state);

  Status start();
  uint16_t port() const;
  // SIGTERM: drain the server, take a final snapshot, close the log.
  void stop();
  // The recovery that start() ran.
  const durable::RecoveryReport& recovery() const { return recovery_; }
  // Writes a snapshot now (POST /-/snapshot, for backups). Returns its path. The snapshot thread
  // writes one every snapshot_interval, and as soon as the log outgrows its limit (see
  // snapshot_loop()).
  Result<std::string> take_snapshot() override;
  // The log size past which a snapshot is taken: max(storage.wal_max_bytes,
  // storage.wal_max_store_ratio x the last snapshot's bytes, or the store's memory before one).
  uint64_t log_limit_bytes() const;
  // A snapshot written now, read back (GET /v1/admin/snapshot: a peer bootstraps from it).
  Result<std::string> snapshot_bytes() override;
  // One evaluation of every SLO at the clock's now: alert states, notifications. The evaluator
  // loop runs it every alerting.evaluation_interval of budgetd's clock; tests call it directly.
  void evaluate_now();
  const eval::AlertTracker& alerts() const override { return alerts_; }

  std::shared_ptr<const api::ServingState> state() const override;
  // The per-SLO /metrics of the last evaluation (start() runs the first).
  std::shared_ptr<const api::SloMetrics> slo_metrics() const override;
  std::string not_ready_reason() const override;
  // REQUIRES: start() succeeded.
  durable::Committer& committer() override { return *committer_; }
  durable::IdempotencyTable& idempotency() override { return keys_; }
  api::ReloadOutcome reload() override;
  // Applies `config` as a reload would (tests; reload() reads the file first).
  api::ReloadOutcome apply_config(config::Config config);

  metrics::Registry& metrics() { return metrics_; }
  // The replication log's view (cluster mode; nullptr embedded). Set at the top of start(), so
  // usable once recovery has run.
  const cluster::ReplicationView* replication_view() const { return replicator_.get(); }

  // POST /v1/deploys's state, registered by the daemon itself.
  deploys::DeployLog* deploys() override { return &deploys_; }
  // The same, for the api's `replication` fields and GET /v1/cluster.
  const cluster::ReplicationView* replication() const override { return replication_view(); }
  // Cluster mode: membership and the notification leader (GET /v1/cluster); null when embedded.
  const cluster::ClusterView* cluster() const override { return membership_.get(); }
  // Whether this node sends notifications now: always when embedded, only while it holds the
  // leader lease in cluster mode.
  bool sends_notifications() const;
  // The gate's overrides and decision log, registered by the daemon itself (add_gate_states).
  policy::GateOverrides* overrides() override { return &overrides_; }
  policy::DecisionLog* decisions() override { return &decisions_; }
  // Burn episodes (a durable state registered by the daemon itself; episode_recording.cpp).
  const episodes::EpisodeLog* episodes() const override { return &episodes_; }

 private:
  static std::shared_ptr<const api::ServingState> make_state(std::shared_ptr<const config::Config> config,
                                                             std::shared_ptr<const store::SloSet> slos);
  Status lock_storage_dir();
  // Registers the gate's durable states (overrides, decision log); from the constructor.
  void add_gate_states();
  void publish(std::shared_ptr<const api::ServingState> next);
  // Takes snapshot_mu_, then state_mu_ for the capture only.
  Result<std::string> write_snapshot(durable::SnapshotReason reason);
  // REQUIRES: snapshot_mu_ held.
  Result<std::string> write_snapshot_locked(durable::SnapshotReason reason);
  // REQUIRES: snapshot_mu_ held, wal_ set. Asks the log to say when it passes log_limit_bytes()
  // (now: after a snapshot trimmed it, or the config changed); notes at once if it has.
  void watch_log_size_locked();
  // The log passed its limit: wakes the snapshot loop. From the log's `outgrown` (an appending
  // thread, outside the log's lock) and watch_log_size_locked().
  void log_outgrown();
  void snapshot_loop();
  void evaluator_loop();
  // Wakes the evaluator loop for an evaluation now (after a reload changed the SLOs).
  void evaluate_soon();
  // REQUIRES: evaluate_mu_ held. After the alert tracker observed `slo`: commits the next version
  // of its burn episode, when this node sends notifications (the one recorder in a cluster).
  void record_episode(const store::StoredSlo& slo, const eval::SloStatus& status, Timestamp now,
                      eval::SeriesBlocks* blocks);
  // Cluster mode: the replication log's state joins the durable states (before recovery).
  void create_replication();
  // Cluster mode, after recovery and before the WAL opens: raises `next_seq` above what this
  // data dir already used in the stream, and takes the records to publish.
  Status prepare_replication(uint64_t& next_seq);
  // Starts the publisher and the tailers; stop_replication() joins them (before the final snapshot).
  void start_replication();
  void stop_replication();
  // Cluster housekeeping (cluster_ops.cpp). Before recover(): a node with an empty data dir
  // fetches a live peer's snapshot into it. After recover(): a node whose stream position was
  // trimmed sets its data aside, fetches one, and recovers again from it.
  Status bootstrap_if_empty();
  Status bootstrap_if_trimmed();
  Status bootstrap_from_peer(const std::string& why, bool required);
  // The leader lease and the membership threads; stopped before the notifier.
  void start_cluster_housekeeping();
  // Membership's heartbeats, once the server listens (peers fetch snapshots from advertise).
  void start_heartbeats();
  void stop_cluster_housekeeping();

  // Who guards what. Set once by start() before any thread it starts, and reset by stop() only
  // after those threads are joined: recovery_, snapshotter_, committer_, notifier_, server_,
  // the threads. wal_ likewise, and stop() resets it under snapshot_mu_ and state_mu_
  // (write_snapshot reads it under the first, a reload sets its SLO dictionary under the second).
  // The rest is safe for concurrent use by itself (its own header says how) or guarded as noted.
  // Lock order: snapshot_mu_, then state_mu_, then evaluate_mu_; published_mu_ and loop_mu_ are
  // leaves (nothing is taken while they are held).
  const Clock& clock_;
  durable::Env& env_;
  metrics::Registry metrics_;
  // The published state (config + SLO set + router): requests take it once each, never per
  // event; a reload publishes a new one. A mutex rather than std::atomic<shared_ptr>: libstdc++ 12
  // builds that on a lock bit ThreadSanitizer cannot see, and one uncontended lock per request
  // costs nothing measurable.
  mutable std::mutex published_mu_;
  std::shared_ptr<const api::ServingState> published_;  // guarded by published_mu_
  std::shared_ptr<const api::SloMetrics> slo_metrics_;  // guarded by published_mu_; set by evaluate_now()
  durable::IdempotencyTable keys_;
  deploys::DeployLog deploys_;                  // safe for concurrent use; its retention set by publish()
  policy::GateOverrides overrides_;             // safe for concurrent use
  policy::DecisionLog decisions_;               // safe for concurrent use
  episodes::EpisodeLog episodes_;               // safe for concurrent use; its retention set by publish()
  std::vector<durable::DurableState*> states_;  // add_state() before start(); fixed afterwards
  store::WriteGate gate_;                       // its one closer at a time: state_mu_
  std::unique_ptr<durable::Wal> wal_;
  std::unique_ptr<cluster::Replicator> replicator_;  // cluster mode only; the committer's log then
  std::unique_ptr<durable::Committer> committer_;
  std::unique_ptr<durable::Snapshotter> snapshotter_;
  durable::RecoveryReport recovery_;
  std::unique_ptr<api::Server> server_;
  eval::AlertTracker alerts_;
  std::unique_ptr<notify::Notifier> notifier_;
  std::mutex evaluate_mu_;  // one evaluation at a time, in time order; alert changes reach the notifier in order
  // The last episode version this node committed per SLO, until the log has applied it (under
  // fsync: always, or a cluster's ack, that is after the evaluation): the next tick builds on it,
  // not on an older one. Guarded by evaluate_mu_.
  std::map<std::string, episodes::Episode, std::less<>> episodes_committed_;
  // The ticks' kept block sums, for the set they were built on (a reload starts a new one).
  // Guarded by evaluate_mu_.
  std::unique_ptr<eval::EvaluationCache> evaluation_cache_;
  std::thread evaluator_thread_;
  int lock_fd_ = -1;  // start() and the destructor only

  std::mutex snapshot_mu_;  // one snapshot write at a time; wal_ is reset only under it
  std::mutex state_mu_;     // serialises reloads and snapshot captures (the gate's one closer)
  std::atomic<bool> shutting_down_{false};
  std::mutex loop_mu_;
  std::condition_variable loop_wake_;
  bool stopping_ = false;           // guarded by loop_mu_: wakes the background loops
  bool evaluate_soon_ = false;      // guarded by loop_mu_: the evaluator evaluates at once
  bool log_outgrown_ = false;       // guarded by loop_mu_: the log passed its limit; a snapshot is due
  bool log_limit_changed_ = false;  // guarded by loop_mu_: a reload may have changed the limit
  // relaxed: the log's limit, written under snapshot_mu_, read by log_limit_bytes() anywhere.
  std::atomic<uint64_t> log_limit_bytes_{0};
  metrics::Gauge& log_limit_gauge_;
  metrics::Gauge& evaluation_cache_gauge_;
  std::thread snapshot_thread_;
  std::atomic<bool> ready_{false};
  metrics::Counter& reloads_ok_;
  metrics::Counter& reloads_failed_;
  // Cluster housekeeping: set by start() before the threads that read them, reset only by the
  // destructor (the evaluator asks lease_ until it is joined). lease_ before membership_, which
  // points to it.
  std::unique_ptr<cluster::LeaderLease> lease_;
  std::unique_ptr<cluster::Membership> membership_;
  metrics::Counter* bootstraps_ = nullptr;  // registered in cluster mode only
};

}  // namespace budgetd
