#pragma once
// Idempotency-Key: a retried batch with the same key within the TTL (24 h) is applied once and
// answered with the first answer. Keys live here in memory, and in the log records and
// snapshots so they survive restarts.
//
//   switch (table.claim(key, body_hash, now, &answer)) {
//     case Claim::kNew: ...commit..., then table.complete(key, answer) or table.abandon(key);
//     case Claim::kReplay: answer 200 with `answer`;
//     case Claim::kMismatch: answer 422;  case Claim::kInFlight: answer 409;
//   }
//
// Thread safety: all methods may be called from any thread (one mutex; per request, not per
// event).

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "budgetd/durable/batch_record.h"

namespace budgetd::durable {

class IdempotencyTable {
 public:
  // Past max_keys or max_bytes (keys and answers), the oldest completed keys are forgotten.
  IdempotencyTable(Millis ttl, size_t max_keys, size_t max_bytes = 256u << 20)
      : ttl_(ttl), max_keys_(max_keys), max_bytes_(max_bytes) {}

  enum class Claim { kNew, kReplay, kMismatch, kInFlight };
  Claim claim(std::string_view key, uint64_t body_hash, Timestamp now, std::string* answer);
  // The batch of a kNew claim was committed: remember its answer.
  void complete(const IdempotentAnswer& answer);
  // The batch of a kNew claim was not applied: the key is free again.
  void abandon(std::string_view key);
  // From the log or a snapshot at start-up; keys past the TTL at `now` are ignored.
  void restore(const IdempotentAnswer& answer, Timestamp now);
  // The keys still within the TTL, for a snapshot: those completed (or restored) at or before
  // `through` (a stamp()), or all of them.
  std::vector<IdempotentAnswer> live(Timestamp now, uint64_t through = UINT64_MAX) const;
  // Grows by one with every complete() and restore(): a point in the order keys were completed,
  // which a snapshot's capture takes under the closed write gate.
  uint64_t stamp() const;
  size_t size() const;
  size_t bytes() const;

  static uint64_t hash_body(std::string_view body);

 private:
  struct Entry {
    bool in_flight = false;
    IdempotentAnswer answer;
    uint64_t stamp = 0;  // when it was last completed or restored (stamp())
  };
  void evict_locked(Timestamp now);
  // REQUIRES: mu_. Sets `e`'s answer, keeping bytes_ true.
  void set_answer_locked(Entry& e, const IdempotentAnswer& answer);
  void erase_locked(std::unordered_map<std::string, Entry>::iterator it);
  static size_t cost(const Entry& e);

  const Millis ttl_;
  const size_t max_keys_;
  const size_t max_bytes_;
  mutable std::mutex mu_;
  size_t bytes_ = 0;  // cost() of every entry
  uint64_t stamp_ = 0;
  std::unordered_map<std::string, Entry> entries_;
  std::multimap<Timestamp, std::string> order_;  // by first-acceptance time, for expiry
};

}  // namespace budgetd::durable
