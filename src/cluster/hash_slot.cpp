#include "hash_slot.h"

#include <cassert>

namespace budgetd::cluster {

uint16_t crc16(std::string_view bytes) {
  // CRC16-CCITT (XMODEM): polynomial 0x1021, initial value 0, no reflection, as Redis uses.
  uint16_t crc = 0;
  for (const char c : bytes) {
    crc = static_cast<uint16_t>(crc ^ (static_cast<uint16_t>(static_cast<unsigned char>(c)) << 8));
    for (int i = 0; i < 8; ++i) crc = static_cast<uint16_t>((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
  }
  return crc;
}

int hash_slot(std::string_view key) {
  if (const size_t open = key.find('{'); open != std::string_view::npos) {
    const size_t close = key.find('}', open + 1);
    if (close != std::string_view::npos && close > open + 1) key = key.substr(open + 1, close - open - 1);
  }
  return crc16(key) % kHashSlots;
}

std::string shard_hash_tag(int shard, int shards) {
  assert(shard >= 0 && shard < shards);
  const int64_t lo = int64_t{shard} * kHashSlots / shards;
  const int64_t hi = int64_t{shard + 1} * kHashSlots / shards;
  // Slots are spread evenly by CRC16, so a short decimal tag lands in any range of at least one
  // slot after a few thousand tries at most; 1024 shards is the config's limit.
  for (int i = 0;; ++i) {
    std::string tag = std::to_string(i);
    const int slot = hash_slot(tag);
    if (slot >= lo && slot < hi) return tag;
  }
}

}  // namespace budgetd::cluster
