#pragma once
// The Redis keys of the replication log, all under cluster.stream: shard i's stream is
// "<stream>:log:{<tag i>}", where tag i is the first hash tag whose Cluster slot lies in the
// i-th of `redis.shards` equal slot ranges (so shards land on different masters of a Redis
// Cluster); a node appends to shard hash(node) % shards and reads all of them.
//
// Thread safety: pure functions.

#include <string>
#include <vector>

#include "budgetd/config/config.h"

namespace budgetd::cluster {

// One key per shard, in shard order.
std::vector<std::string> shard_keys(const config::ClusterConfig& config);
// The shard `config.node` appends to.
int home_shard(const config::ClusterConfig& config);
// "<stream>:epoch:<node>": INCR'd once per start of an `ack: replicated` node (its epoch).
std::string epoch_key(const config::ClusterConfig& config);

}  // namespace budgetd::cluster
