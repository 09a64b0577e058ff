#pragma once
// The per-SLO, per-bucket deltas of one batch. Ingest sums a batch here first and applies it to
// the store in one pass afterwards: a batch of 10,000 events for 3 SLOs becomes a handful of
// store updates, a malformed body is dropped before anything is applied, and the same deltas
// are what the write-ahead log records.
//
//   DeltaBatch deltas;            // reused batch after batch: no allocation once warm
//   deltas.add(slo, bucket, 1, 1);
//   for (const Delta& d : deltas.deltas()) ...;
//   deltas.clear();
//
// Attributed deltas (attribution:) are summed the same way per SLO, label, value and bucket,
// each distinct value string kept once in the batch's text:
//
//   deltas.add_attributed(slo, label, "/pay", bucket, 1, 1);
//
// Thread safety: none; one per thread.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "budgetd/store/slo_set.h"

namespace budgetd::ingest {

using Delta = store::BucketDelta;

class DeltaBatch {
 public:
  DeltaBatch();
  void add(uint32_t slo, int64_t bucket, uint64_t good, uint64_t total);
  void clear();
  void add_attributed(uint32_t slo, uint32_t label, std::string_view value, int64_t bucket, uint64_t good,
                      uint64_t total);
  std::span<const Delta> deltas() const { return deltas_; }
  const store::AttributedDeltas& attributed() const { return attributed_; }
  bool empty() const { return deltas_.empty(); }

 private:
  void grow();
  size_t home(uint32_t slo, int64_t bucket) const;
  uint32_t intern(std::string_view value);
  void grow_attributed();
  void grow_values();

  std::vector<Delta> deltas_;   // in first-seen order
  std::vector<int32_t> index_;  // open addressing: position in deltas_, or -1
  std::vector<size_t> used_;    // the index_ slots in use, to clear them without a scan
  store::AttributedDeltas attributed_;
  std::vector<int32_t> attributed_index_;  // open addressing over (slo, label, value, bucket)
  std::vector<size_t> attributed_used_;
  std::vector<int32_t> value_index_;    // open addressing over the value strings
  std::vector<uint64_t> value_hashes_;  // per interned value
  std::vector<size_t> value_used_;
};

}  // namespace budgetd::ingest
