#pragma once
// What GET /v1/cluster shows of the cluster's housekeeping (membership, the notification
// leader): a plain snapshot, so the api depends neither on the housekeeping threads nor on hiredis.
//
//   if (const cluster::ClusterView* c = backend.cluster()) { ClusterStatus s = c->cluster_status(); ... }
//
// Thread safety: implementations answer from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "budgetd/cluster/replication_view.h"
#include "budgetd/core/time.h"

namespace budgetd::cluster {

// One node as its last heartbeat described it.
struct ClusterNode {
  std::string node;
  std::string advertise;              // how peers reach its API
  std::string config_hash;            // of its SLO identities (config_hash() below)
  std::vector<std::string> applied;   // per shard: the last stream id it applied
  std::vector<std::string> snapshot;  // per shard: what its last snapshot can resume from
  uint64_t lag_records = 0;
  double lag_seconds = 0;
  Timestamp heartbeat{};       // when it wrote the heartbeat, on its clock
  bool config_matches = true;  // config_hash equals this node's
  // When it does not: its SLOs against this node's ("unknown here", "missing there",
  // "identity differs"; records 0).
  std::vector<MismatchedSlo> slo_differences;
};

struct ClusterStatus {
  std::string node;         // this node
  std::string config_hash;  // this node's
  std::string leader;       // the node holding the notification lease ("" if none known)
  bool is_leader = false;
  bool membership_known = false;   // false until the first heartbeat round reached Redis
  std::vector<ClusterNode> nodes;  // the live ones (heartbeat not expired), this node included, by name
  uint64_t trimmed_records = 0;    // removed from the streams by this node's trims
};

class ClusterView {
 public:
  virtual ~ClusterView() = default;
  virtual ClusterStatus cluster_status() const = 0;
};

}  // namespace budgetd::cluster
