#include "budgetd/durable/idempotency.h"

#include "budgetd/durable/crc32c.h"

namespace budgetd::durable {

uint64_t IdempotencyTable::hash_body(std::string_view body) {
  // Two CRC-32C over the body (the second seeded): fast, and not meant to resist an adversary,
  // only to catch a client reusing a key for another batch.
  const uint32_t a = crc32c::value(body);
  const uint32_t b = crc32c::extend(0x9E3779B9u, body.data(), body.size());
  return (static_cast<uint64_t>(a) << 32) | (b ^ static_cast<uint32_t>(body.size()));
}

size_t IdempotencyTable::cost(const Entry& e) {
  // The key twice (map key and answer), the answer, and the map nodes around them.
  constexpr size_t kOverhead = 160;
  return 2 * e.answer.key.size() + e.answer.answer.size() + kOverhead;
}

void IdempotencyTable::set_answer_locked(Entry& e, const IdempotentAnswer& answer) {
  bytes_ -= cost(e);
  e.in_flight = false;
  e.answer = answer;
  bytes_ += cost(e);
}

void IdempotencyTable::erase_locked(std::unordered_map<std::string, Entry>::iterator it) {
  bytes_ -= cost(it->second);
  entries_.erase(it);
}

void IdempotencyTable::evict_locked(Timestamp now) {
  // Oldest first: expired keys, then (past max_keys or max_bytes) the oldest live ones.
  while (!order_.empty() && (order_.begin()->first + ttl_ <= now || order_.size() > max_keys_ || bytes_ > max_bytes_)) {
    auto it = entries_.find(order_.begin()->second);
    // A key restored twice (snapshot, then log) is in order_ twice; drop the entry only with
    // the position that matches it.
    if (it != entries_.end() && !it->second.in_flight && it->second.answer.received == order_.begin()->first) {
      erase_locked(it);
    }
    order_.erase(order_.begin());
  }
}

IdempotencyTable::Claim IdempotencyTable::claim(std::string_view key, uint64_t body_hash, Timestamp now,
                                                std::string* answer) {
  std::lock_guard lock(mu_);
  evict_locked(now);
  auto [it, inserted] = entries_.try_emplace(std::string(key));
  if (inserted) {
    it->second.in_flight = true;
    it->second.answer.key = std::string(key);
    it->second.answer.body_hash = body_hash;
    bytes_ += cost(it->second);
    return Claim::kNew;
  }
  if (it->second.in_flight) return Claim::kInFlight;
  if (it->second.answer.body_hash != body_hash) return Claim::kMismatch;
  *answer = it->second.answer.answer;
  return Claim::kReplay;
}

void IdempotencyTable::complete(const IdempotentAnswer& answer) {
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.try_emplace(answer.key);
  if (inserted) bytes_ += cost(it->second);
  set_answer_locked(it->second, answer);
  it->second.stamp = ++stamp_;
  order_.emplace(answer.received, answer.key);
  evict_locked(answer.received);
}

void IdempotencyTable::abandon(std::string_view key) {
  std::lock_guard lock(mu_);
  auto it = entries_.find(std::string(key));
  if (it != entries_.end() && it->second.in_flight) erase_locked(it);
}

void IdempotencyTable::restore(const IdempotentAnswer& answer, Timestamp now) {
  if (answer.received + ttl_ <= now) return;
  std::lock_guard lock(mu_);
  auto [it, inserted] = entries_.try_emplace(answer.key);
  if (inserted) bytes_ += cost(it->second);
  set_answer_locked(it->second, answer);
  it->second.stamp = ++stamp_;
  order_.emplace(answer.received, answer.key);
  evict_locked(now);
}

std::vector<IdempotentAnswer> IdempotencyTable::live(Timestamp now, uint64_t through) const {
  std::lock_guard lock(mu_);
  std::vector<IdempotentAnswer> out;
  for (const auto& [key, e] : entries_) {
    if (!e.in_flight && e.stamp <= through && e.answer.received + ttl_ > now) out.push_back(e.answer);
  }
  return out;
}

uint64_t IdempotencyTable::stamp() const {
  std::lock_guard lock(mu_);
  return stamp_;
}

size_t IdempotencyTable::bytes() const {
  std::lock_guard lock(mu_);
  return bytes_;
}

size_t IdempotencyTable::size() const {
  std::lock_guard lock(mu_);
  return entries_.size();
}

}  // namespace budgetd::durable
