#include "budgetd/cluster/stream_keys.h"

#include "hash_slot.h"

namespace budgetd::cluster {

std::vector<std::string> shard_keys(const config::ClusterConfig& config) {
  std::vector<std::string> keys;
  for (int i = 0; i < config.redis.shards; ++i)
    keys.push_back(config.stream + ":log:{" + shard_hash_tag(i, config.redis.shards) + "}");
  return keys;
}

int home_shard(const config::ClusterConfig& config) {
  // CRC16 rather than std::hash: every build and every node must pick the same shard.
  return crc16(config.node) % config.redis.shards;
}

std::string epoch_key(const config::ClusterConfig& config) { return config.stream + ":epoch:" + config.node; }

}  // namespace budgetd::cluster
