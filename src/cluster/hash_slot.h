#pragma once
// Redis Cluster's key -> hash slot mapping (CRC16-XMODEM of the key, or of its {hash tag}, mod
// 16384), as the Cluster specification defines it; the RedisClient routes by it and the
// replication log picks one hash tag per shard with it. Private to the cluster module.
//
// Thread safety: pure functions.

#include <cstdint>
#include <string>
#include <string_view>

namespace budgetd::cluster {

inline constexpr int kHashSlots = 16384;

uint16_t crc16(std::string_view bytes);
// The slot of `key`: only the part between the first '{' and the next '}' counts when that part
// is not empty (a hash tag), so keys sharing a tag share a slot.
int hash_slot(std::string_view key);
// The first hash tag ("0", "1", ...) whose slot lies in shard `shard` of `shards` equal slot
// ranges, so the shards' streams land on different slot ranges (and so on different masters of
// a Cluster that splits its slots evenly).
std::string shard_hash_tag(int shard, int shards);

}  // namespace budgetd::cluster
