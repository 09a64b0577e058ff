#pragma once
// Applies records that are already durable somewhere to the store and the durable states: the
// local log at start-up, and in a cluster the records other replicas committed. Batch records go
// to the SLOs they name (by name and identity hash: counts recorded for an SLO that was removed
// or whose identity changed are dropped and counted); state records go to the state they name.
//
//   RecordApplier applier(slo_set, keys, states);
//   BUDGETD_RETURN_IF_ERROR(applier.apply(record.type, record.payload, record.seq, now));
//
// A kDictionary record (the local log's SLO dictionary) is matched against the set once; the
// format 3 batch records after it name their SLOs by its indexes.
//
// Thread safety: none; one applier per replay (or per replication tailer), and the caller makes
// sure nothing else writes to the series meanwhile, or that it is inside the write gate. The
// caller says which: kExclusive (start-up recovery: nothing reads or writes the set yet, so the
// rings take plain stores) or kShared (a tailer beside the server: the lock-free writes).
//
// kExclusive also sums the deltas of many records to one SLO's bucket and writes each sum once,
// at flush() (called by the destructor too, and whenever a million sums are held): a log of
// millions of batches over a few thousand (SLO, bucket) pairs costs a few thousand ring writes
// instead of three cache-missing rings per delta. The sums leave what the writes in log order
// would: with one `now`, the store's adds commute (two buckets a ring retains never share a slot;
// where two do, past now + max_future after a clock stepped back, the newer lap wins whatever the
// order; and a sum saturates where its parts would). Read the store only after flush().

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "budgetd/durable/durable_state.h"
#include "budgetd/durable/idempotency.h"
#include "budgetd/durable/wal_format.h"
#include "budgetd/store/bucket_ring.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::durable {

struct BatchRecord;
class HeldSums;

class RecordApplier {
 public:
  RecordApplier(const store::SloSet& set, IdempotencyTable& keys, std::span<DurableState* const> states,
                store::WriteAccess access);

  ~RecordApplier();
  RecordApplier(const RecordApplier&) = delete;
  RecordApplier& operator=(const RecordApplier&) = delete;

  // DataLoss when the record's payload does not decode.
  Status apply(RecordType type, std::string_view payload, uint64_t seq, Timestamp now);
  // kExclusive: writes the sums held back so far to the store.
  void flush();

  uint64_t deltas_applied() const { return deltas_applied_; }
  uint64_t deltas_dropped() const { return deltas_dropped_; }  // SLOs removed or redefined
  uint64_t states_applied() const { return states_applied_; }
  uint64_t states_unknown() const { return states_unknown_; }  // records of a state this build lacks

 private:
  Status apply_batch(std::string_view payload, uint64_t seq, Timestamp now);
  Status apply_state(std::string_view payload, Timestamp now);
  Status apply_dictionary(std::string_view payload, uint64_t seq);
  void apply_values(const BatchRecord& batch, const std::vector<int>& to_set, Timestamp now);
  void add(size_t slo, int64_t bucket, uint64_t good, uint64_t total, Timestamp now);

  const store::SloSet& set_;
  IdempotencyTable& keys_;
  store::WriteAccess access_;
  std::unordered_map<std::string_view, DurableState*> states_;  // by name()
  // The set's index of each SLO of the last dictionary record, or -1 if gone or changed.
  std::vector<int> dictionary_to_set_;
  bool has_dictionary_ = false;
  store::WriteStats stats_;
  // kExclusive: (set index << 32 | bucket) -> the counts to add, all at `held_now_`.
  std::unique_ptr<HeldSums> held_;
  Timestamp held_now_{};
  uint64_t deltas_applied_ = 0;
  uint64_t deltas_dropped_ = 0;
  uint64_t states_applied_ = 0;
  uint64_t states_unknown_ = 0;
};

}  // namespace budgetd::durable
