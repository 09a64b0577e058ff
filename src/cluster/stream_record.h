#pragma once
// One entry of a replication stream: the record the local write-ahead log writes (a batch's
// per-SLO deltas with its Idempotency-Key, or a durable state's change), plus where it came from.
// Private to the cluster module.
//
//   XADD <stream>:log:{tag} * o <node> e <epoch> s <seq> t <type> p <payload>
//
// (node, epoch, seq) names a record uniquely and forever. Under `ack: local` the epoch names the
// origin's data dir (<storage.dir>/cluster-epoch, made once) and seq is its WAL seq; under
// `ack: replicated` the epoch is one life of the origin (INCR <stream>:epoch:<node> at its start)
// and seq counts within it. Within one (node, epoch) seqs rise in stream order (one publisher),
// which is what makes a high-water mark enough to apply exactly once.
//
// Thread safety: plain values.

#include <cstdint>
#include <string>
#include <vector>

#include "budgetd/cluster/redis_client.h"
#include "budgetd/core/status.h"
#include "budgetd/durable/wal_format.h"

namespace budgetd::cluster {

struct StreamRecord {
  std::string id;  // the stream entry's id ("1700000000000-0"); empty before XADD
  std::string origin;
  uint64_t epoch = 0;
  uint64_t seq = 0;
  durable::RecordType type = durable::RecordType::kBatch;
  std::string payload;
};

// XADD's argv for `record` to `key`.
std::vector<std::string> xadd_command(const std::string& key, const StreamRecord& record);
// One entry of an XREAD/XRANGE reply ([id, [field, value, ...]]); DataLoss if it is not one of ours.
Result<StreamRecord> decode_entry(const RedisReply& entry);
// The milliseconds part of a stream id (Redis's clock when it was added); 0 if unreadable.
int64_t stream_id_ms(const std::string& id);
// Whether stream id `a` is after `b` ("0-0" is before every entry).
bool stream_id_after(const std::string& a, const std::string& b);

}  // namespace budgetd::cluster
