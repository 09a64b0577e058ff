#pragma once
// What a replica must remember about the replication log, as a durable state named
// "replication" (saved in every snapshot under the closed write gate, so it always matches the
// store it is saved with; a restart resumes from it): per shard, the last stream entry applied;
// per origin (node, epoch), the highest seq applied (the high-water mark that makes applying
// exactly once exact when a record is published twice); this node's `ack: replicated` records
// whose fate was uncertain when their 503 went out; and, under `ack: local`, the records this
// node accepted that are not in the stream yet (the backlog). Private to the cluster module.
//
// Deciding about one record (judge) and recording that it was applied (advance) happen inside
// the write gate, together with applying it.
//
// Thread safety: every method from any thread (one mutex); save() runs under the closed gate.

#include <cstdint>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "budgetd/durable/durable_state.h"
#include "stream_record.h"

namespace budgetd::cluster {

class ReplicationState final : public durable::DurableState {
 public:
  ReplicationState(std::string node, int shards);

  std::string_view name() const override { return "replication"; }
  // It never changes through log records: only through the replication log's own threads.
  Status check(std::string_view record) const override;
  Status apply(std::string_view record, Timestamp now) override;
  std::string save() const override;
  Status load(std::string_view saved, Timestamp now) override;

  enum class Verdict {
    kApply,  // a record this replica has not counted yet
    kSkip,   // counted already (or this node's own, counted from its write-ahead log)
    kWait,   // this node's own, still being acknowledged: its publisher decides first
  };
  // `epoch`: this node's current `ack: replicated` epoch (0 when it has none). This node's own
  // `ack: local` records are marked when its WAL takes them (acknowledged()), and at start-up
  // for those the WAL replayed, so they are skipped like any record already counted.
  Verdict judge(const StreamRecord& r, uint64_t epoch) const;
  // `r`, read from `shard`, is applied or skipped: the shard's position and its origin's mark move.
  void advance(int shard, const StreamRecord& r);

  std::string position(int shard) const;
  std::vector<std::string> positions() const;
  std::vector<std::string> snapshot_positions() const;  // as of the last save() (or load())

  // This node's record (epoch, seq) is counted: by the committer (inside the gate).
  void acknowledged(uint64_t epoch, uint64_t seq);
  // ... answered 503, though it may be in the stream: whoever reads it there counts it.
  void uncertain(uint64_t epoch, uint64_t seq);

  // ack: local: a record this node's write-ahead log holds, to publish (seq order).
  void push_backlog(StreamRecord r);
  // Up to `max` backlog records with seq >= `from`, in seq order.
  std::vector<StreamRecord> backlog_from(uint64_t from, size_t max) const;
  // The backlog records through `seq` are in the stream.
  void published_through(uint64_t seq);
  size_t backlog_size() const;
  uint64_t backlog_first_seq() const;  // 0 when empty
  uint64_t mark(const std::string& node, uint64_t epoch) const;

 private:
  const std::string node_;
  mutable std::mutex mu_;
  std::vector<std::string> positions_;                          // guarded by mu_
  mutable std::vector<std::string> snapshot_positions_;         // guarded by mu_
  std::map<std::pair<std::string, uint64_t>, uint64_t> marks_;  // guarded by mu_: (node, epoch) -> seq
  std::set<std::pair<uint64_t, uint64_t>> uncertain_;           // guarded by mu_: this node's (epoch, seq)
  std::map<uint64_t, StreamRecord> backlog_;                    // guarded by mu_: by WAL seq
};

}  // namespace budgetd::cluster
