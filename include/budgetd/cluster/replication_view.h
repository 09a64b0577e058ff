#pragma once
// What the api and the cluster's housekeeping (membership, bootstrap) may know of replication: a
// plain snapshot, so neither depends on the log's threads or on hiredis.
//
// Thread safety: implementations answer from any thread.

#include <cstdint>
#include <string>
#include <vector>

#include "budgetd/core/time.h"

namespace budgetd::cluster {

struct MismatchedSlo {
  std::string name;
  std::string reason;  // "unknown here" or "identity differs"
  uint64_t records = 0;  // records that named it and were not applied to it
};

struct ReplicationStatus {
  std::string node;
  bool redis_reachable = false;
  std::string redis_role;                    // of the server this node appends to
  std::vector<std::string> applied;          // per shard: the last stream id applied ("0-0" none)
  std::vector<std::string> snapshot;         // per shard: the position of the last snapshot (resume point)
  uint64_t lag_records = 0;                  // records in the streams not yet applied here
  double lag_seconds = 0;                    // age of the oldest record not yet applied (0: none)
  bool stale = false;                        // lag_seconds > cluster.stale_after, or Redis away
  uint64_t backlog_records = 0;              // ack: local: accepted here, not yet published
  std::vector<MismatchedSlo> mismatched;     // SLOs records named that this node cannot apply
};

class ReplicationView {
 public:
  virtual ~ReplicationView() = default;
  virtual ReplicationStatus status() const = 0;
  // True when this node's saved position lies below the streams' first entry (trimmed): it must
  // bootstrap from a peer's snapshot.
  virtual bool position_trimmed() const = 0;
};

}  // namespace budgetd::cluster
