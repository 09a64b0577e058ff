#include "budgetd/daemon/daemon.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cassert>

#include "budgetd/api/slo_metrics.h"
#include "budgetd/core/log.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/wal.h"
#include "budgetd/eval/slo_status.h"
#include "budgetd/store/slo_set.h"

#ifndef BUDGETD_VERSION
#define BUDGETD_VERSION "dev"
#endif

namespace budgetd {

Daemon::Daemon(config::Config config, const Clock& clock, durable::Env& env)
    : clock_(clock),
      env_(env),
      keys_(config.ingest.idempotency_ttl, config.ingest.idempotency_max_keys, config.ingest.idempotency_max_bytes),
      log_limit_gauge_(metrics_.gauge("budgetd_wal_limit_bytes",
                                      "Log size past which a snapshot is taken: max(storage.wal_max_bytes, "
                                      "storage.wal_max_store_ratio x budgetd_snapshot_bytes)")),
      evaluation_cache_gauge_(metrics_.gauge("budgetd_evaluation_cache_bytes",
                                             "Memory the evaluator keeps between ticks: sums of sealed blocks of "
                                             "buckets, so a tick re-reads only the buckets near its windows' edges")),
      reloads_ok_(metrics_.counter("budgetd_config_reloads_total", "Config reloads, by result", {{"result", "ok"}})),
      reloads_failed_(
          metrics_.counter("budgetd_config_reloads_total", "Config reloads, by result", {{"result", "refused"}})) {
  auto shared = std::make_shared<const config::Config>(std::move(config));
  add_state(deploys_);
  add_gate_states();
  add_state(episodes_);
  publish(make_state(shared, store::SloSet::build(*shared, nullptr)));
  metrics_
      .gauge("budgetd_build_info", "Always 1; the labels say which build is running", {{"version", BUDGETD_VERSION}})
      .set(1);
  metrics_.gauge("budgetd_process_start_time_seconds", "When this process started, in unix seconds (budgetd's clock)")
      .set(static_cast<double>(to_unix_ms(clock_.now())) / 1000.0);
  metrics_.gauge("budgetd_slos", "SLOs configured").set(static_cast<double>(shared->slos.size()));
  if (shared->cluster) {
    bootstraps_ =
        &metrics_.counter("budgetd_cluster_bootstraps_total",
                          "Times this node loaded a peer's snapshot at start (empty data dir, or trimmed position)");
  }
  // The snapshotter sets the time of the last snapshot; its age is worked out at scrape time,
  // on budgetd's clock, so an alert on it needs no clock arithmetic in PromQL.
  metrics::Gauge& last_snapshot = metrics_.gauge("budgetd_snapshot_last_success_timestamp_seconds",
                                                 "When the last snapshot was written, in unix seconds (0: none yet)");
  metrics_.add_collector([this, &last_snapshot](metrics::Exposition& ex) {
    const double last = last_snapshot.value();
    ex.family("budgetd_snapshot_age_seconds", "gauge",
              "Seconds since the last snapshot was written; -1 until this process has written one");
    ex.sample("budgetd_snapshot_age_seconds", {},
              last == 0 ? -1.0 : static_cast<double>(to_unix_ms(clock_.now())) / 1000.0 - last);
  });
}

Daemon::~Daemon() {
  stop();
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

Status Daemon::lock_storage_dir() {
  const std::string& dir = state()->config->storage.dir;
  BUDGETD_RETURN_IF_ERROR(env_.create_dirs(dir));
  // Two daemons appending to one log would corrupt it: hold an exclusive lock on the directory.
  const std::string path = dir + "/LOCK";
  lock_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock_fd_ < 0) return Unavailable("cannot open " + path + ": " + durable::errno_text(errno));
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    return Unavailable("storage.dir " + dir + " is in use by another budgetd (" + path + " is locked)");
  }
  return Status::Ok();
}

Status Daemon::start() {
  auto snap = state();
  const config::StorageConfig& storage = snap->config->storage;
  BUDGETD_RETURN_IF_ERROR(lock_storage_dir());
  create_replication();

  BUDGETD_RETURN_IF_ERROR(bootstrap_if_empty());
  // Recover before serving: the newest valid snapshot, then the log after it.
  auto rec = durable::recover(env_, storage.dir, *snap->slos, keys_, clock_.now(), states_);
  if (!rec.ok()) return rec.status();
  recovery_ = *rec;
  BUDGETD_RETURN_IF_ERROR(bootstrap_if_trimmed());
  snap = state();  // a bootstrap starts over on a fresh store
  if (!recovery_.alerts.empty()) {
    // Alert state is worth keeping (a firing alert must still resolve) but never worth refusing
    // to start over.
    if (Status s = alerts_.load(recovery_.alerts); !s.ok()) {
      log::warn("recovery: the snapshot's alert state is unreadable; alerts start inactive")
          .field("error", s.message());
    }
  }
  uint64_t next_seq = std::max(recovery_.snapshot_cut, recovery_.replay.last_seq) + 1;
  BUDGETD_RETURN_IF_ERROR(prepare_replication(next_seq));
  metrics_
      .gauge("budgetd_recovery_duration_seconds",
             "Time the last start-up spent loading the snapshot and replaying the log")
      .set(static_cast<double>(recovery_.duration.count()) / 1000.0);
  metrics_
      .counter("budgetd_wal_replayed_records_total",
               "Log records replayed at start-up (batches, state changes and SLO dictionaries)")
      .inc(recovery_.replay.records);
  metrics_
      .counter("budgetd_wal_torn_tails_total", "Incomplete records cut off the log's end at start-up (crash mid-write)")
      .inc(recovery_.replay.torn.empty() ? 0 : 1);
  metrics_
      .counter("budgetd_wal_corruptions_total", "Times replay stopped at damaged log data (the rest was moved aside)")
      .inc(recovery_.replay.corruption.empty() ? 0 : 1);
  metrics_.counter("budgetd_snapshot_load_failures_total", "Damaged snapshots skipped at start-up")
      .inc(recovery_.damaged_snapshots.size());
  log::info("recovery: done")
      .field("snapshot", recovery_.snapshot.empty() ? "none" : recovery_.snapshot)
      .field("slos_restored", recovery_.slos_restored)
      .field("records_replayed", recovery_.replay.records)
      .field("deltas_applied", recovery_.deltas_applied)
      .field("deltas_dropped", recovery_.deltas_dropped)
      .field("states_restored", recovery_.states_restored)
      .field("state_records_applied", recovery_.state_records_applied)
      .field("torn_tail", recovery_.replay.torn)
      .field("duration_ms", static_cast<int64_t>(recovery_.duration.count()));

  durable::WalOptions wal_options;
  wal_options.dir = storage.dir + "/wal";
  wal_options.policy = storage.fsync;
  wal_options.fsync_interval = storage.fsync_interval;
  wal_options.segment_bytes = storage.wal_segment_bytes;
  wal_options.outgrown = [this] { log_outgrown(); };
  // Members are set only once each part works, so that stop() after a failed start() cleans up
  // exactly what was started.
  auto wal = std::make_unique<durable::Wal>(env_, wal_options, next_seq, metrics_);
  BUDGETD_RETURN_IF_ERROR(wal->open());
  snapshotter_ = std::make_unique<durable::Snapshotter>(env_, storage.dir, metrics_);
  // Embedded, the log's records never leave it: they name SLOs by index in the log's dictionary
  // (kept the current set's by apply_config). A replica's records go to the stream: by name.
  if (!replicator_) wal->set_dictionary(durable::encode_dictionary(*state()->slos));
  committer_ = std::make_unique<durable::Committer>(
      replicator_ ? static_cast<durable::RecordLog&>(*replicator_) : *wal, gate_, keys_,
      [this] { return state()->slos; }, metrics_,
      replicator_ ? durable::SloNaming::kByName : durable::SloNaming::kByDictionary);
  wal_ = std::move(wal);
  {
    // A log left over from a run without snapshots may be past its limit already: the snapshot
    // thread then takes one at once.
    std::lock_guard write_lock(snapshot_mu_);
    watch_log_size_locked();
  }
  start_replication();
  // Before the evaluator starts: it reads lease_ (sends_notifications) from its thread.
  start_cluster_housekeeping();
  snapshot_thread_ = std::thread([this] { snapshot_loop(); });
  notifier_ = std::make_unique<notify::Notifier>(snap->config->notify, metrics_);
  // Alerts restored for rules this config no longer has resolve now, so no receiver keeps them.
  if (auto resolved = alerts_.retain(*snap->slos, clock_.now()); !resolved.empty() && sends_notifications()) {
    notifier_->publish(resolved, alerts_.firing(), clock_.now());
  }
  // One evaluation before the server listens: the first scrape, status or gate already has
  // alert states and the per-SLO metrics.
  evaluate_now();
  evaluator_thread_ = std::thread([this] { evaluator_loop(); });

  auto server = std::make_unique<api::Server>(snap->config->server, *this, clock_, metrics_);
  BUDGETD_RETURN_IF_ERROR(server->start());
  server_ = std::move(server);
  start_heartbeats();
  ready_.store(true);
  size_t memory = 0;
  for (const auto& s : snap->slos->slos()) memory += s.memory_bytes();
  log::info("budgetd: serving")
      .field("config", snap->config->source)
      .field("slos", uint64_t{snap->slos->slos().size()})
      .field("store_bytes", uint64_t{memory})
      .field("fsync", config::to_string(storage.fsync))
      .field("port", uint64_t{port()});
  return Status::Ok();
}

void Daemon::add_gate_states() {
  add_state(overrides_);
  add_state(decisions_);
}

void Daemon::add_state(durable::DurableState& state) {
  assert(!wal_ && "add_state() after start()");
  states_.push_back(&state);
}

uint16_t Daemon::port() const { return server_ ? server_->port() : 0; }

void Daemon::stop() {
  // From here reloads and snapshot requests are refused. No lock is held while requests drain:
  // a request inside reload() or take_snapshot() must be able to finish.
  if (shutting_down_.exchange(true)) return;
  if (!wal_) return;  // start() failed before anything that needs stopping
  ready_.store(false);
  if (server_) {
    server_->drain();
    server_.reset();
  }
  {
    std::lock_guard l(loop_mu_);
    stopping_ = true;
  }
  loop_wake_.notify_all();
  if (snapshot_thread_.joinable()) snapshot_thread_.join();
  if (evaluator_thread_.joinable()) evaluator_thread_.join();
  stop_cluster_housekeeping();
  if (notifier_) notifier_->stop();  // a last try for pending notifications, resolves above all
  stop_replication();                // nothing appends any more; the final snapshot has the positions
  // A snapshot at shutdown makes the next start replay nothing.
  if (wal_->failure().empty()) {
    if (auto s = write_snapshot(durable::SnapshotReason::kShutdown); !s.ok()) {
      log::warn("budgetd: the final snapshot failed; the next start replays the log")
          .field("error", s.status().message());
    }
  }
  {
    std::lock_guard write_lock(snapshot_mu_);
    std::lock_guard state_lock(state_mu_);  // a reload (SIGHUP) sets the log's dictionary under it
    wal_->close();
    wal_.reset();
  }
  log::info("budgetd: stopped");
}

void Daemon::evaluate_now() {
  std::lock_guard lock(evaluate_mu_);
  const auto started = std::chrono::steady_clock::now();
  const auto snap = state();
  const Timestamp now = clock_.now();
  std::vector<eval::AlertChange> changes;
  api::SloMetricsWriter slo_metrics;
  if (!evaluation_cache_ || evaluation_cache_->set() != snap->slos) {
    evaluation_cache_ = std::make_unique<eval::EvaluationCache>(snap->slos);
  }
  const std::vector<store::StoredSlo>& slos = snap->slos->slos();
  for (size_t i = 0; i < slos.size(); ++i) {
    const store::StoredSlo& slo = slos[i];
    eval::SeriesBlocks* blocks = evaluation_cache_->blocks(i);
    auto status = eval::evaluate_slo(slo, now, now, snap->config->storage.status_lookback, blocks);
    if (!status.ok()) {
      log::warn("evaluate: an SLO could not be evaluated")
          .field("slo", slo.spec->name)
          .field("error", status.status().message());
      continue;
    }
    auto observed = alerts_.observe(slo, *status, now, blocks);
    record_episode(slo, *status, now, blocks);
    // GET /metrics is rendered here, from the status the alert rules just used: scrapes share
    // this one rendering until the next tick.
    slo_metrics.add(slo, *status, alerts_);
    for (auto& c : observed) {
      log::info(c.kind == eval::AlertChange::Kind::kFired ? "alert: firing" : "alert: resolved")
          .field("slo", c.alert.slo)
          .field("rule", c.alert.rule)
          .field("severity", config::to_string(c.alert.severity))
          .field("long_burn_rate", c.alert.long_burn_rate)
          .field("short_burn_rate", c.alert.short_burn_rate)
          .field("budget_consumed", c.alert.budget_consumed)
          .field("postmortem_required", c.alert.postmortem_required);
      changes.push_back(std::move(c));
    }
  }
  evaluation_cache_gauge_.set(static_cast<double>(evaluation_cache_->memory_bytes()));
  std::shared_ptr<const api::SloMetrics> rendered =
      std::move(slo_metrics).finish(now, std::chrono::steady_clock::now() - started);
  {
    std::lock_guard published(published_mu_);
    slo_metrics_.swap(rendered);
  }
  rendered.reset();  // the previous tick's, freed outside the lock (unless a scrape still sends it)
  if (notifier_ && sends_notifications()) notifier_->publish(changes, alerts_.firing(), now);
}

std::shared_ptr<const api::SloMetrics> Daemon::slo_metrics() const {
  std::lock_guard lock(published_mu_);
  return slo_metrics_;
}

void Daemon::evaluate_soon() {
  {
    std::lock_guard l(loop_mu_);
    evaluate_soon_ = true;
  }
  loop_wake_.notify_all();
}

void Daemon::evaluator_loop() {
  // Evaluations happen every evaluation_interval of budgetd's clock. The loop checks that clock
  // often (a simulated one may jump), never more than every 100 ms of real time. start() ran
  // the first; a reload asks for one at once (evaluate_soon).
  Timestamp next = clock_.now() + state()->config->evaluation_interval;
  for (;;) {
    const Timestamp now = clock_.now();
    const Millis every = state()->config->evaluation_interval;
    if (now + every < next) next = now;  // the clock stepped back: do not sit out the difference
    bool soon = false;
    {
      std::lock_guard l(loop_mu_);
      std::swap(soon, evaluate_soon_);
    }
    if (now >= next || soon) {
      evaluate_now();
      next = clock_.now() + every;
    }
    std::unique_lock l(loop_mu_);
    const auto wait =
        std::min<std::chrono::milliseconds>(std::chrono::milliseconds(100), state()->config->evaluation_interval);
    if (loop_wake_.wait_for(l, wait, [&] { return stopping_ || evaluate_soon_; }) && stopping_) return;
  }
}

void Daemon::create_replication() {
  const auto& cluster = state()->config->cluster;
  if (!cluster) return;
  deploys_.set_origin(cluster->node);  // two replicas may draw the same deploy number at once
  replicator_ = std::make_unique<cluster::Replicator>(
      *cluster, cluster::ReplicatorDeps{gate_, keys_, [this] { return state()->slos; }, metrics_, clock_,
                                        state()->config->ingest.idempotency_ttl});
  add_state(replicator_->state());
}

Status Daemon::prepare_replication(uint64_t& next_seq) {
  if (!replicator_) return Status::Ok();
  BUDGETD_ASSIGN_OR_RETURN(const uint64_t least,
                           replicator_->prepare(env_, state()->config->storage.dir, recovery_.snapshot_cut));
  next_seq = std::max(next_seq, least);
  return Status::Ok();
}

void Daemon::start_replication() {
  if (replicator_) replicator_->start(*wal_, states_);
}

void Daemon::stop_replication() {
  if (replicator_) replicator_->stop();
}

std::shared_ptr<const api::ServingState> Daemon::state() const {
  std::lock_guard lock(published_mu_);
  return published_;
}

void Daemon::publish(std::shared_ptr<const api::ServingState> next) {
  // Deploys are kept as long as the longest budget window reaches back: no budget older ones
  // could be charged to. A config without SLOs keeps the retention it had.
  Millis longest{0};
  for (const config::SloSpec& slo : next->config->slos) {
    for (const config::WindowSpec& w : slo.windows) longest = std::max(longest, w.span());
  }
  if (longest > Millis{0}) deploys_.set_retention(longest);
  if (longest > Millis{0}) episodes_.set_retention(longest);  // the same reach: no window sees older ones
  std::lock_guard lock(published_mu_);
  published_ = std::move(next);
}

std::string Daemon::not_ready_reason() const {
  if (!ready_.load()) return "starting or draining";
  if (wal_) {
    if (std::string why = wal_->failure(); !why.empty()) return "ingest is refused: the write-ahead log " + why;
  }
  return "";
}

std::shared_ptr<const api::ServingState> Daemon::make_state(std::shared_ptr<const config::Config> config,
                                                            std::shared_ptr<const store::SloSet> slos) {
  auto state = std::make_shared<api::ServingState>();
  state->config = std::move(config);
  state->router = std::make_shared<const ingest::Router>(slos);
  state->slos = std::move(slos);
  return state;
}

}  // namespace budgetd
