#include "budgetd/ingest/delta_batch.h"

namespace budgetd::ingest {

DeltaBatch::DeltaBatch() : index_(64, -1), attributed_index_(64, -1), value_index_(64, -1) {
  deltas_.reserve(32);
  used_.reserve(32);
}

namespace {
uint64_t mix(uint64_t h) {
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return h;
}
uint64_t attributed_key(uint32_t slo, uint32_t label, uint32_t value, int64_t bucket) {
  return mix((static_cast<uint64_t>(bucket) * 0x9E3779B97F4A7C15ull) ^ (uint64_t{slo} << 40) ^ (uint64_t{label} << 32) ^
             value);
}
}  // namespace

uint32_t DeltaBatch::intern(std::string_view value) {
  const uint64_t h = store::value_hash(value);
  const size_t mask = value_index_.size() - 1;
  for (size_t i = h & mask;; i = (i + 1) & mask) {
    const int32_t at = value_index_[i];
    if (at < 0) {
      const uint32_t id = attributed_.add_value(value);
      value_hashes_.push_back(h);
      value_index_[i] = static_cast<int32_t>(id);
      value_used_.push_back(i);
      if (attributed_.values.size() * 2 > value_index_.size()) grow_values();
      return id;
    }
    if (value_hashes_[static_cast<size_t>(at)] == h && attributed_.value(static_cast<uint32_t>(at)) == value)
      return static_cast<uint32_t>(at);
  }
}

void DeltaBatch::grow_values() {
  value_index_.assign(value_index_.size() * 2, -1);
  value_used_.clear();
  const size_t mask = value_index_.size() - 1;
  for (size_t n = 0; n < value_hashes_.size(); ++n) {
    size_t i = value_hashes_[n] & mask;
    while (value_index_[i] >= 0) i = (i + 1) & mask;
    value_index_[i] = static_cast<int32_t>(n);
    value_used_.push_back(i);
  }
}

void DeltaBatch::add_attributed(uint32_t slo, uint32_t label, std::string_view value, int64_t bucket, uint64_t good,
                                uint64_t total) {
  const uint32_t v = intern(value);
  const size_t mask = attributed_index_.size() - 1;
  for (size_t i = attributed_key(slo, label, v, bucket) & mask;; i = (i + 1) & mask) {
    const int32_t at = attributed_index_[i];
    if (at < 0) {
      attributed_index_[i] = static_cast<int32_t>(attributed_.deltas.size());
      attributed_used_.push_back(i);
      attributed_.deltas.push_back({slo, label, v, bucket, good, total});
      if (attributed_.deltas.size() * 2 > attributed_index_.size()) grow_attributed();
      return;
    }
    store::AttributedDelta& d = attributed_.deltas[static_cast<size_t>(at)];
    if (d.slo == slo && d.label == label && d.value == v && d.bucket == bucket) {
      d.good += good;
      d.total += total;
      return;
    }
  }
}

void DeltaBatch::grow_attributed() {
  attributed_index_.assign(attributed_index_.size() * 2, -1);
  attributed_used_.clear();
  const size_t mask = attributed_index_.size() - 1;
  for (size_t n = 0; n < attributed_.deltas.size(); ++n) {
    const store::AttributedDelta& d = attributed_.deltas[n];
    size_t i = attributed_key(d.slo, d.label, d.value, d.bucket) & mask;
    while (attributed_index_[i] >= 0) i = (i + 1) & mask;
    attributed_index_[i] = static_cast<int32_t>(n);
    attributed_used_.push_back(i);
  }
}

size_t DeltaBatch::home(uint32_t slo, int64_t bucket) const {
  // A 64-bit mix of both keys (splitmix64 finaliser); index_.size() is a power of two.
  uint64_t h = (static_cast<uint64_t>(bucket) * 0x9E3779B97F4A7C15ull) ^ slo;
  h ^= h >> 31;
  h *= 0xBF58476D1CE4E5B9ull;
  h ^= h >> 29;
  return static_cast<size_t>(h) & (index_.size() - 1);
}

void DeltaBatch::add(uint32_t slo, int64_t bucket, uint64_t good, uint64_t total) {
  for (size_t i = home(slo, bucket);; i = (i + 1) & (index_.size() - 1)) {
    const int32_t at = index_[i];
    if (at < 0) {
      index_[i] = static_cast<int32_t>(deltas_.size());
      used_.push_back(i);
      deltas_.push_back({slo, bucket, good, total});
      if (deltas_.size() * 2 > index_.size()) grow();
      return;
    }
    Delta& d = deltas_[static_cast<size_t>(at)];
    if (d.slo == slo && d.bucket == bucket) {
      d.good += good;
      d.total += total;
      return;
    }
  }
}

void DeltaBatch::grow() {
  index_.assign(index_.size() * 2, -1);
  used_.clear();
  for (size_t n = 0; n < deltas_.size(); ++n) {
    size_t i = home(deltas_[n].slo, deltas_[n].bucket);
    while (index_[i] >= 0) i = (i + 1) & (index_.size() - 1);
    index_[i] = static_cast<int32_t>(n);
    used_.push_back(i);
  }
}

void DeltaBatch::clear() {
  // Empty exactly the slots in use, so a batch after a huge one does not pay for its table.
  for (const size_t i : used_) index_[i] = -1;
  used_.clear();
  deltas_.clear();
  for (const size_t i : attributed_used_) attributed_index_[i] = -1;
  attributed_used_.clear();
  for (const size_t i : value_used_) value_index_[i] = -1;
  value_used_.clear();
  value_hashes_.clear();
  attributed_.clear();
}

}  // namespace budgetd::ingest
