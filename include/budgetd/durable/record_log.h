#pragma once
// A log an accepted record must reach before it is applied (DESIGN.md §6, §8): the local
// write-ahead log (Wal), and in a cluster the replication log too. The Committer writes to a
// RecordLog and never knows which one it is.
//
//   log.append(RecordType::kBatch, payload, [](Result<uint64_t> seq) { ... });
//
// Thread safety: implementations take appends from any thread.

#include <cstdint>
#include <string_view>

#include "budgetd/core/move_only_function.h"
#include "budgetd/core/status.h"
#include "budgetd/durable/wal_format.h"

namespace budgetd::durable {

class RecordLog {
 public:
  // Gets the record's sequence number in this log, or why it is not in the log. Move-only, so
  // it can own what must be released exactly once (a WriteGate::Ticket).
  using Done = MoveOnlyFunction<void(Result<uint64_t>)>;

  virtual ~RecordLog() = default;
  // Calls `done` exactly once: with the record's seq once it is as durable as the log promises,
  // or with an error, and then the record is not in the log. `done` may run on the log's thread.
  virtual void append(RecordType type, std::string_view payload, Done done) = 0;
};

}  // namespace budgetd::durable
