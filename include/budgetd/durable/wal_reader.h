#pragma once
// Replays the write-ahead log at start-up.
//
//   ReplayReport r = replay_wal(env, "data/wal", snapshot_seq, now, [&](const FramedRecord& rec) { ... });
//
// Records are delivered in order: those with seq > after_seq, and every kDictionary record of
// the segments read (a record after the cut may refer to a dictionary before it; only one of the
// segments that a snapshot has not let go can hold it). Damage is handled so that no
// acknowledged record is ever skipped silently and no data is ever deleted:
//
// - a torn tail (the last record of the last segment incomplete or failing its CRC, with no
//   valid record after it: a crash mid-write) is cut off and reported;
// - a damaged record at the end of a segment whose successor starts at that very seq is an
//   append that failed and was abandoned (disk full): cut off and reported; so are records at
//   a segment's end whose seqs the next segment starts again (a failed log that could not cut
//   off its unacknowledged records);
// - a gap between segments that the snapshot covers (seqs <= after_seq) is no damage;
// - a record that passes its CRC but that `apply` rejects with DataLoss is damage like a CRC
//   failure;
// - anything else (a CRC mismatch with valid records after it, a gap in the sequence numbers,
//   a missing segment) stops the replay there: the damaged segment's remainder and every later
//   segment are moved to <dir>/../corrupt-<unix ms>/ for inspection, and it is reported loudly.
//
// Replay takes time linear in the log's size, damage or not. Telling a torn tail from damage
// with valid records after it means trying a record at every offset after the damage; candidates
// are first checked by their header alone (type, zero bytes, a length that fits), and the CRCs
// of the ones that pass are bounded to 4 bytes per byte searched (+1 MiB). A tail with more
// record-like headers than that is not a crash's torn write (a torn batch record practically
// never has one): it is treated as damage with valid records after it, kept aside, never cut.

#include <functional>
#include <string>

#include "budgetd/core/status.h"
#include "budgetd/core/time.h"
#include "budgetd/durable/env.h"
#include "budgetd/durable/wal_format.h"

namespace budgetd::durable {

struct ReplayReport {
  uint64_t records = 0;   // delivered
  uint64_t last_seq = 0;  // of the last good record seen (delivered or not); after_seq if none
  uint64_t segments = 0;
  uint64_t bytes = 0;
  std::string torn;        // non-empty: what was cut off, and where
  std::string corruption;  // non-empty: where replay stopped and why
  std::string quarantine;  // where the data after the corruption was moved
};

Result<ReplayReport> replay_wal(Env& env, const std::string& dir, uint64_t after_seq, Timestamp now,
                                const std::function<Status(const FramedRecord&)>& apply);

}  // namespace budgetd::durable
