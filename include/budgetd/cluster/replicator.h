#pragma once
// The replication log (DESIGN.md §8): one more RecordLog for the committer, over Redis streams
// that every replica reads whole. The committer and the store never learn which log fed them.
//
//   Replicator repl(*config.cluster, {gate, keys, current_slos, metrics, clock});
//   daemon.add_state(repl.state());          // "replication": positions, saved in snapshots
//   ... recover() ...
//   repl.start(wal, env, wal_dir, recovery.snapshot_cut, states);
//   Committer committer(repl, gate, keys, current_slos, metrics);
//
// ack: replicated — append() hands the record to the publisher thread, which XADDs it (batched
// with whatever else waits: one pipeline, one WAIT) and completes it once WAIT says
// wait_replicas Redis replicas hold it; Redis unreachable, a timeout or a short WAIT completes
// it with Unavailable (503 + Retry-After), and the committer applies nothing. Such a record may
// still be in the stream (the XADD went through, WAIT is not consensus): then every replica,
// this one included, counts it when it reads it, so they agree; a retry with the same
// Idempotency-Key counts once.
// ack: local — append() writes the local write-ahead log and completes as the WAL does; the
// record then waits in a backlog (saved in snapshots, and re-read from the WAL after a restart)
// until the publisher gets it into the stream, in seq order.
//
// Every replica runs one tailer thread per shard (XREAD BLOCK) that applies each record it has
// not counted yet through durable::RecordApplier, inside the write gate. Which records it has
// counted: the shard's position, and a high-water mark per origin (node, epoch), so a record
// published twice (a restart re-publishing its backlog, a retried pipeline) counts once.
//
// Thread safety: append() and the ReplicationView methods from any thread; start()/stop() from
// the daemon's controlling thread. The publisher and each tailer own their RedisClient.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <thread>
#include <vector>

#include "budgetd/cluster/replication_view.h"
#include "budgetd/config/config.h"
#include "budgetd/core/clock.h"
#include "budgetd/durable/durable_state.h"
#include "budgetd/durable/env.h"
#include "budgetd/durable/idempotency.h"
#include "budgetd/durable/record_log.h"
#include "budgetd/durable/wal.h"
#include "budgetd/metrics/registry.h"
#include "budgetd/store/slo_set.h"
#include "budgetd/store/write_gate.h"

namespace budgetd::cluster {

class ReplicationState;
struct StreamRecord;

struct ReplicatorDeps {
  store::WriteGate& gate;
  durable::IdempotencyTable& keys;
  std::function<std::shared_ptr<const store::SloSet>()> current_slos;  // changes only while the gate is closed
  metrics::Registry& metrics;
  const Clock& clock;      // budgetd's clock: what records are applied at
  Millis idempotency_ttl;  // ingest.idempotency_ttl: how long Redis keeps a batch's Idempotency-Key
};

class Replicator final : public durable::RecordLog, public ReplicationView {
 public:
  Replicator(const config::ClusterConfig& config, ReplicatorDeps deps);
  ~Replicator() override;
  Replicator(const Replicator&) = delete;
  Replicator& operator=(const Replicator&) = delete;

  // The durable state "replication"; register it with the daemon before recovery.
  durable::DurableState& state();
  // After recovery, before the local WAL opens: reads (or makes) this data dir's epoch
  // (<storage_dir>/cluster-epoch) and, under ack: local, takes the WAL's records after
  // `snapshot_cut` into the backlog (they may not be in the stream yet; the WAL replay counted
  // them). Returns the least seq the WAL may give its next record (above every seq this data
  // dir's epoch already used in the stream).
  Result<uint64_t> prepare(durable::Env& env, const std::string& storage_dir, uint64_t snapshot_cut);
  // Starts the publisher and the tailers. `wal`: the local log (`ack: local` writes it first).
  // `states`: every durable state, for the records of them other replicas commit.
  void start(durable::Wal& wal, std::vector<durable::DurableState*> states);
  // Joins the threads; records still waiting under ack: replicated fail (Unavailable), the
  // ack: local backlog stays for the final snapshot.
  void stop();

  void append(durable::RecordType type, std::string_view payload, Done done) override;

  ReplicationStatus status() const override;
  bool position_trimmed() const override;

  // The shard this node appends to: hash(node) % shards.
  int home_shard() const { return home_shard_; }

 private:
  struct Pending;
  // What one tailer last saw, for status() (written by its thread, read by any). relaxed, all
  // three: independent figures for a report; nothing else is published with them.
  struct Tail {
    std::atomic<bool> reachable{false};
    std::atomic<int64_t> oldest_unapplied_ms{0};  // stream time of the oldest entry not applied; 0: none
    std::atomic<uint64_t> lag_records{0};
  };
  void publish_replicated_loop();
  void publish_local_loop();
  // Replicated: one pipeline for `batch` (XADD each, then WAIT), completing each.
  void publish_batch(class RedisClient& redis, std::vector<Pending>& batch);
  // Replicated: claims the Idempotency-Keys of `batch`'s records in Redis (<stream>:idem:<key>,
  // SET NX PX ttl) so that a retry sent to another replica is not appended a second time;
  // completes (503) and drops the records whose key another replica holds.
  void claim_keys(class RedisClient& redis, std::vector<Pending>& batch);
  void tail_loop(int shard);
  // Applies the entries of one XREAD reply inside the gate; returns how many it consumed (it
  // stops before a record of this node's that its publisher is still deciding about, and before
  // a batch whose Idempotency-Key this node is committing right now).
  size_t apply_entries(int shard, const std::vector<StreamRecord>& records);
  // Before a batch record from the stream is applied. kSkip: this replica already counted the
  // batch under its Idempotency-Key (a retry another replica accepted too). kWait: this replica
  // is committing a batch under the same key at this moment; once that commit is done or
  // abandoned, the record is judged again (so the batch counts once here either way). kApply
  // leaves the record's key claimed (in flight) until the applier completes it. Notes the SLOs
  // it names that this node cannot apply it to.
  enum class Admission { kApply, kSkip, kWait };
  Admission admit_batch(const StreamRecord& r, const store::SloSet& set, Timestamp now);
  // Redis's answer for stream keys' lag when a tailer is behind (one Lua call, no payloads).
  void update_lag(class RedisClient& redis, int shard, const std::string& position);
  void fail_all(std::vector<Pending>& batch, const Status& why);
  // ack: local: Unavailable once the backlog would pass cluster.max_backlog_bytes.
  Status check_backlog_room(size_t bytes);
  // Asks the home shard's server its ROLE (for /v1/cluster), at most every second: `checked` is
  // the calling publisher's last time. Whether it answered, when it was asked; nullopt when not
  // due. (Only ack: replicated takes that as reachability: ack: local has its XADDs' answers.)
  std::optional<bool> check_role(class RedisClient& redis, std::chrono::steady_clock::time_point& checked);
  void refresh_metrics();

  const config::ClusterConfig config_;
  ReplicatorDeps deps_;
  std::unique_ptr<ReplicationState> state_;
  const int home_shard_;
  std::vector<std::string> shard_keys_;
  durable::Wal* wal_ = nullptr;                 // set by start()
  std::vector<durable::DurableState*> states_;  // set by start()
  uint64_t local_epoch_ = 0;                    // set by prepare(): this data dir's epoch
  uint64_t next_local_ = 0;                     // the publisher's (ack: local): the next WAL seq to publish
  // WAL seqs after the snapshot that hold no record to publish (an embedded log's SLO
  // dictionaries, which stay local): no gap to wait for. Written by prepare() before the
  // publisher starts, then the publisher's own.
  std::set<uint64_t> unpublished_seqs_;
  // The seq after `seq` that the backlog will hold (past unpublished_seqs_).
  uint64_t next_published_after(uint64_t seq) const;
  uint64_t next_seq_ = 0;                  // the publisher's (ack: replicated): within epoch_
  std::atomic<bool> tailers_stop_{false};  // relaxed: only asks the tailers to return; join() syncs

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::deque<Pending> pending_;  // guarded by mu_: ack: replicated, waiting for the publisher
  bool stopping_ = false;        // guarded by mu_
  // ack: replicated: this life's epoch, 0 until Redis handed one out; written by the publisher,
  // read by the tailers. acquire/release: a tailer that sees it also sees the marks made under it.
  std::atomic<uint64_t> epoch_{0};
  std::atomic<bool> redis_reachable_{false};  // relaxed: a status flag, publishes nothing else
  std::string redis_role_;                    // guarded by mu_: of the home shard's server, as the publisher last saw

  std::vector<std::unique_ptr<Tail>> tails_;  // one per shard; set before the threads start
  std::thread publisher_;
  std::vector<std::thread> tailers_;

  mutable std::mutex mismatch_mu_;
  std::map<std::string, MismatchedSlo> mismatched_;  // guarded by mismatch_mu_

  metrics::Histogram& publish_seconds_;
  metrics::Histogram& wait_seconds_;
  metrics::Counter& applied_records_;
  metrics::Gauge& mismatched_slos_;
  metrics::Gauge& lag_records_;
  metrics::Gauge& lag_seconds_;
  metrics::Gauge& backlog_records_;
  metrics::Counter& backlog_refused_;
  // relaxed: only keeps the "backlog is full" log line to one per filling; orders nothing.
  std::atomic<bool> backlog_full_logged_{false};
};

}  // namespace budgetd::cluster
