#include "budgetd/ingest/delta_batch.h"

namespace budgetd::ingest {

DeltaBatch::DeltaBatch() : index_(64, -1) {
  deltas_.reserve(32);
  used_.reserve(32);
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
}

}  // namespace budgetd::ingest
