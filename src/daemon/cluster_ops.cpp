// The daemon's cluster housekeeping (cluster mode only): bootstrap from a peer's snapshot at
// start, the notification leader's lease, heartbeats and trimming. The replication log itself
// is wired in start_replication().

#include <fmt/format.h>

#include <chrono>
#include <thread>

#include "budgetd/cluster/bootstrap.h"
#include "budgetd/cluster/stream_keys.h"
#include "budgetd/core/log.h"
#include "budgetd/daemon/daemon.h"
#include "budgetd/store/slo_set.h"

namespace budgetd {

bool Daemon::sends_notifications() const {
  // Embedded: always. Cluster: only while this node holds the lease, so that one replica sends
  // each notification; the others keep the same alert states and take over when it goes.
  return !lease_ || lease_->held();
}

Status Daemon::bootstrap_if_empty() {
  const auto snap = state();
  if (!snap->config->cluster) return Status::Ok();
  const std::string& dir = snap->config->storage.dir;
  if (!cluster::data_dir_empty(env_, dir)) return Status::Ok();
  // An epoch file without data is of an incarnation that never kept anything: set it aside too.
  if (auto aside = cluster::set_aside_data(env_, dir, fmt::format("{}", to_unix_ms(clock_.now()))); !aside.ok()) {
    return aside.status();
  }
  return bootstrap_from_peer("the data dir is empty", /*required=*/false);
}

Status Daemon::bootstrap_from_peer(const std::string& why, bool required) {
  const auto snap = state();
  const config::ClusterConfig& cluster = *snap->config->cluster;
  const auto started = std::chrono::steady_clock::now();
  cluster::RedisClient redis(cluster.redis);
  auto got = cluster::bootstrap_from_peer(env_, snap->config->storage.dir, cluster, redis);
  // Peers that are live but give no snapshot are usually starting too (restarted together):
  // ask again for about 5 s before refusing to start.
  for (int attempt = 1; !got.ok() && attempt < 10; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    got = cluster::bootstrap_from_peer(env_, snap->config->storage.dir, cluster, redis);
  }
  if (!got.ok()) return Unavailable("cluster bootstrap (" + why + "): " + got.status().message());
  if (!got->has_value()) {
    if (required) {
      return Unavailable("cluster bootstrap (" + why +
                         "): no live peer to fetch a snapshot from; start a peer that holds the data first");
    }
    log::info("cluster: no live peer to bootstrap from; this node starts the cluster empty")
        .field("node", cluster.node);
    return Status::Ok();
  }
  const cluster::BootstrapSource& source = **got;
  bootstraps_->inc();
  const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
  log::info("cluster: bootstrapped from a peer's snapshot")
      .field("reason", why)
      .field("peer", source.peer)
      .field("snapshot", source.snapshot)
      .field("bytes", source.bytes)
      .field("duration_ms", ms);
  return Status::Ok();
}

Status Daemon::bootstrap_if_trimmed() {
  const cluster::ReplicationView* view = replication();
  if (view == nullptr || !view->position_trimmed()) return Status::Ok();
  const auto snap = state();
  log::warn(
      "cluster: this node's stream position was trimmed away (it was gone longer than node_timeout); "
      "it bootstraps from a peer's snapshot")
      .field("node", snap->config->cluster->node);
  const std::string stamp = fmt::format("{}", to_unix_ms(clock_.now()));
  BUDGETD_ASSIGN_OR_RETURN(std::string aside, cluster::set_aside_data(env_, snap->config->storage.dir, stamp));
  log::info("cluster: the data dir's snapshots and log were set aside").field("dir", aside);
  BUDGETD_RETURN_IF_ERROR(bootstrap_from_peer("its stream position was trimmed", /*required=*/true));
  // Start over from the peer's snapshot, on a fresh store: what recovery loaded before belongs
  // to the set-aside data.
  publish(make_state(snap->config, store::SloSet::build(*snap->config, nullptr)));
  const auto fresh = state();
  auto rec = durable::recover(env_, snap->config->storage.dir, *fresh->slos, keys_, clock_.now(), states_);
  if (!rec.ok()) return rec.status();
  recovery_ = *rec;
  return Status::Ok();
}

void Daemon::start_cluster_housekeeping() {
  const auto snap = state();
  if (!snap->config->cluster || replication() == nullptr) return;
  const config::ClusterConfig& cluster = *snap->config->cluster;
  lease_ = std::make_unique<cluster::LeaderLease>(cluster, metrics_);
  lease_->start();
  membership_ = std::make_unique<cluster::Membership>(
      cluster, cluster::shard_keys(cluster), [this] { return state()->slos; }, *replication(), lease_.get(), clock_,
      metrics_);
}

void Daemon::start_heartbeats() {
  // Only once the server listens: a heartbeat tells peers they may fetch a snapshot from here.
  if (membership_) membership_->start();
}

void Daemon::stop_cluster_housekeeping() {
  // The lease first: a stopping node hands notifications over at once.
  if (lease_) lease_->stop();
  if (membership_) membership_->stop();
}

}  // namespace budgetd
