#pragma once
// The notification leader: one lease in Redis that picks the single replica sending Alertmanager
// and webhook notifications (DESIGN.md §8). Every replica keeps computing alert states from the
// same counts; only the holder's daemon hands changes to its notifier, so a new leader resolves
// what the old one fired.
//
//   LeaderLease lease(config.cluster.value(), metrics);
//   lease.start();                       // its own thread: acquire or renew every lease / 3
//   if (lease.held()) notifier.publish(...);
//   lease.stop();                        // releases the lease if held, so a peer takes over at once
//
// The key is `<stream>:leader`, its value the holder's node name, with a PX expiry of
// cluster.lease. A node believes it holds the lease only until `lease` after it *sent* the
// command that last set or extended it, minus a margin: by then Redis has expired it too, so
// two nodes never both believe they lead (up to clock-rate differences well inside the margin).
//
// Thread safety: held(), leader() and the metrics from any thread; start()/stop() from one
// controlling thread.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

#include "budgetd/cluster/redis_client.h"
#include "budgetd/config/config.h"
#include "budgetd/metrics/registry.h"

namespace budgetd::cluster {

class LeaderLease {
 public:
  LeaderLease(const config::ClusterConfig& config, metrics::Registry& metrics);
  ~LeaderLease();
  LeaderLease(const LeaderLease&) = delete;
  LeaderLease& operator=(const LeaderLease&) = delete;

  void start();
  void stop();
  // Whether this node may send notifications now.
  bool held() const;
  // The holder as last seen in Redis ("" if none, or Redis unreachable).
  std::string leader() const;
  // One acquire-or-renew round (the thread's step; tests call it directly). Returns held().
  bool step(RedisClient& redis);

 private:
  void loop();
  void set_holder(std::string holder);

  const config::ClusterConfig config_;
  const std::string key_;
  metrics::Gauge& leader_gauge_;
  metrics::Counter& acquired_;
  // Steady-clock nanoseconds until which this node holds the lease (0: not held). Written by the
  // lease thread; relaxed is enough: held() is a point-in-time answer, and no other data is
  // published through it.
  std::atomic<int64_t> held_until_{0};
  mutable std::mutex mu_;
  std::string holder_;     // guarded by mu_
  bool stopping_ = false;  // guarded by mu_
  std::condition_variable wake_;
  std::thread thread_;
};

}  // namespace budgetd::cluster
