#pragma once
// Who is in the cluster, how far each node has applied the log, and trimming the log below what
// every live node can resume from (DESIGN.md §8: bounded Redis memory).
//
//   Membership m(config.cluster.value(), shard_keys, [&] { return state()->slos; }, replicator, lease, clock, metrics);
//   m.start();                  // its own thread: a heartbeat round every heartbeat_interval
//   ClusterStatus s = m.cluster_status();   // GET /v1/cluster, from the last round's copy
//   m.stop();
//
// Every round a node writes its heartbeat, the hash `<stream>:node:<node>` (advertise URL,
// config hash, applied and snapshot positions per shard, lag, time) with a PEXPIRE of
// node_timeout, so a node that dies vanishes by itself; it adds its name to the set
// `<stream>:nodes`, reads every member's heartbeat (dropping names whose hash has expired), and
// trims each shard with XTRIM MINID at the smallest *snapshot* position of the live nodes: the
// point each can resume from after a restart (its applied position may be ahead of its last
// snapshot, and a restart loses what it applied after the snapshot). A node that was not live
// when the stream was trimmed finds its position trimmed at start and bootstraps from a peer.
//
// The config hash covers the SLOs' names and identities (what a record names its SLOs by). A
// node whose hash differs is reported in cluster_status(), counted in
// budgetd_cluster_config_mismatched_nodes and logged once per differing SLO, with the SLO list
// its heartbeat carries.
//
// Thread safety: cluster_status() from any thread (the last round's copy under a mutex);
// start()/stop() from one controlling thread; step() from one thread at a time (the loop, or a
// test that does not start it).

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "budgetd/cluster/cluster_view.h"
#include "budgetd/cluster/leader_lease.h"
#include "budgetd/cluster/redis_client.h"
#include "budgetd/cluster/replication_view.h"
#include "budgetd/config/config.h"
#include "budgetd/core/clock.h"
#include "budgetd/metrics/registry.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::cluster {

// "name=<identity hash, hex>" per SLO, sorted, comma-separated: what a heartbeat carries.
std::string slo_identities(const store::SloSet& slos);
// FNV-1a of slo_identities(), 16 hex digits.
std::string config_hash(const store::SloSet& slos);
// Stream ids "ms-seq" compared as numbers; a text that is not one compares as 0-0.
int compare_stream_ids(std::string_view a, std::string_view b);

// The live nodes' heartbeats as Redis holds them now (bootstrap asks this before anything runs).
Result<std::vector<ClusterNode>> read_heartbeats(RedisClient& redis, const config::ClusterConfig& config);

class Membership final : public ClusterView {
 public:
  using SloSource = std::function<std::shared_ptr<const store::SloSet>()>;
  // `shard_keys`: the stream key of each shard, as the log names them. `lease` may be null.
  Membership(const config::ClusterConfig& config, std::vector<std::string> shard_keys, SloSource slos,
             const ReplicationView& replication, const LeaderLease* lease, const Clock& clock,
             metrics::Registry& metrics);
  ~Membership() override;
  Membership(const Membership&) = delete;
  Membership& operator=(const Membership&) = delete;

  void start();
  void stop();
  // One round: heartbeat, read the others, trim. Unavailable if Redis could not be reached
  // (the previous round's view stays).
  Status step(RedisClient& redis);
  ClusterStatus cluster_status() const override;

 private:
  void loop();
  Status write_heartbeat(RedisClient& redis, const ReplicationStatus& self);
  void compare_configs(RedisClient& redis, std::vector<ClusterNode>& nodes);
  uint64_t trim(RedisClient& redis, const std::vector<ClusterNode>& nodes);

  const config::ClusterConfig config_;
  const std::vector<std::string> shard_keys_;
  const std::string node_key_, nodes_key_;
  const SloSource slos_;
  const ReplicationView& replication_;
  const LeaderLease* lease_;
  const Clock& clock_;
  metrics::Gauge& nodes_gauge_;
  metrics::Gauge& mismatched_gauge_;
  metrics::Counter& trimmed_;
  metrics::Counter& heartbeat_failures_;

  // The loop's own (step() runs on one thread at a time).
  std::shared_ptr<const store::SloSet> hashed_slos_;
  std::string hash_, identities_;
  bool write_identities_ = true;                                   // on the first round and after a change
  std::map<std::string, std::string> compared_;                    // node -> the config hash last compared with ours
  std::map<std::string, std::vector<MismatchedSlo>> differences_;  // node -> how its SLOs differ

  mutable std::mutex mu_;
  ClusterStatus status_;   // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace budgetd::cluster
