#pragma once
// The commit path of every accepted batch: log, then apply (DESIGN.md §6). The one piece of
// code that applies accepted batches to the store (and changes to the other durable states);
// the api calls it once per batch.
//
//   Committer committer(wal, gate, keys, [&] { return current_slo_set(); }, metrics);
//   committer.commit(std::move(batch), [](Status s) { ...answer the request... });
//
// commit() enters the write gate, re-routes the batch if a reload replaced the SLO set since
// it was routed, appends one record to the log and, once the log says the record is durable,
// applies the deltas and remembers the batch's Idempotency-Key (both inside the gate, so a
// snapshot has both or neither); then it leaves the gate and calls `done`. The gate's ticket
// travels inside the log's callback, so no path can leave the gate held.
//
// The store never learns which log fed it: the log is a RecordLog (the local write-ahead log;
// in a cluster, the replication log beside it, DESIGN.md §8).
//
// Thread safety: commit() from any thread; `done` may run on the log's thread.

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "budgetd/core/move_only_function.h"
#include "budgetd/core/time.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/durable_state.h"
#include "budgetd/durable/idempotency.h"
#include "budgetd/durable/record_log.h"
#include "budgetd/metrics/registry.h"
#include "budgetd/store/slo_set.h"
#include "budgetd/store/write_gate.h"

namespace budgetd::durable {

// An accepted batch on its way to the log and the store.
struct PendingBatch {
  std::shared_ptr<const store::SloSet> slos;  // the set its deltas were routed with
  std::vector<store::BucketDelta> deltas;
  store::AttributedDeltas attributed;   // per label value (attribution:), beside `deltas`
  std::optional<IdempotentAnswer> key;  // remembered once the batch is applied
  Timestamp now;                        // the receipt time: what "retained" is judged against
};

class Committer {
 public:
  using CurrentSlos = std::function<std::shared_ptr<const store::SloSet>()>;
  using Done = MoveOnlyFunction<void(Status)>;

  // `current`: the SLO set in force now; a reload changes it only while the gate is closed.
  // `naming`: how batch records name their SLOs (batch_record.h); kByDictionary only for a log
  // whose dictionary is always the current set's (an embedded budgetd's Wal).
  Committer(RecordLog& log, store::WriteGate& gate, IdempotencyTable& keys, CurrentSlos current,
            metrics::Registry& metrics, SloNaming naming = SloNaming::kByName);

  // `done` gets OK once the batch is applied (and as durable as the log promises), or the
  // log's error: then nothing of the batch is applied.
  void commit(PendingBatch batch, Done done);

  // The same path for a change to a durable state (durable_state.h): state.check(record), one
  // kState record, then state.apply(record, now) inside the gate. `done` gets OK, or check's
  // error (nothing logged), or the log's error; either way nothing changed then.
  void commit_state(DurableState& state, std::string record, Timestamp now, Done done);

 private:
  // REQUIRES: inside the gate. Moves the deltas of a batch routed with an older SLO set onto
  // `current`, dropping those of SLOs it removed or redefined.
  void reroute(PendingBatch& batch, std::shared_ptr<const store::SloSet> current);
  static void reroute_attributed(PendingBatch& batch, const store::SloSet& before, const store::SloSet& after,
                                 const std::vector<int>& to_after);
  // REQUIRES: inside the gate, the batch's record durable.
  void apply(PendingBatch& batch, uint64_t seq);
  // Whether the batch names a label value that has no slot yet in a table with room left.
  static bool brings_new_values(const PendingBatch& batch);

  RecordLog& log_;
  store::WriteGate& gate_;
  IdempotencyTable& keys_;
  const CurrentSlos current_;
  const SloNaming naming_;
  metrics::Counter& expired_writes_;
  metrics::Counter& saturated_writes_;
  metrics::Counter& reload_dropped_updates_;
  // Held from assigning a batch's new label values their slots until its record is appended, so
  // slots are assigned in log order and a replay assigns the same ones (docs/storage.md,
  // "Attribution"). Taken only by the few batches that bring a new value to a table with room.
  std::mutex assign_mu_;
};

}  // namespace budgetd::durable
