#pragma once
// Start-up recovery and periodic snapshots: the two halves of making counts survive restarts.
//
//   RecoveryReport r = recover(env, "data", slo_set, keys, now, states).value();   // before serving
//   Snapshotter snaps(env, "data", metrics);
//   snaps.take(gate, wal, slo_set, keys, now, alerts, states);                     // every interval
//
// SLOs are matched by name and identity hash (name, service, SLI, matchers): counts recorded for
// an SLO whose identity changed, or that was removed, are dropped and counted in the report.

#include <array>
#include <atomic>
#include <chrono>
#include <span>
#include <string>
#include <vector>

#include "budgetd/core/status.h"
#include "budgetd/durable/durable_state.h"
#include "budgetd/durable/env.h"
#include "budgetd/durable/idempotency.h"
#include "budgetd/durable/snapshot.h"
#include "budgetd/durable/wal.h"
#include "budgetd/durable/wal_reader.h"
#include "budgetd/metrics/registry.h"
#include "budgetd/store/slo_set.h"
#include "budgetd/store/write_gate.h"

namespace budgetd::durable {

struct RecoveryReport {
  std::string snapshot;  // the file loaded; empty if none
  uint64_t snapshot_cut = 0;
  std::vector<std::string> damaged_snapshots;  // skipped, with why
  ReplayReport replay;
  uint64_t slos_restored = 0;          // from the snapshot
  uint64_t deltas_applied = 0;         // from the log
  uint64_t deltas_dropped = 0;         // for SLOs removed or whose identity changed
  uint64_t states_restored = 0;        // durable states loaded from the snapshot
  uint64_t state_records_applied = 0;  // from the log
  uint64_t state_records_unknown = 0;  // of a state this build does not have (skipped)
  std::string alerts;                  // the snapshot's alert state (eval::AlertTracker::save); may be empty
  Millis duration{0};
};

// REQUIRES: nothing else uses `set` or `states` yet.
Result<RecoveryReport> recover(Env& env, const std::string& dir, const store::SloSet& set, IdempotencyTable& keys,
                               Timestamp now, std::span<DurableState* const> states = {});

// The store as of one cut, encoded while the write gate was closed.
struct SnapshotCapture {
  uint64_t cut = 0;
  Timestamp taken_at{};
  std::string bytes;
  std::vector<SavedState> states;  // saved under the closed gate too
  // The Idempotency-Keys completed before the gate closed (IdempotencyTable::stamp): write()
  // takes only those. A key completed after the capture belongs to a batch the captured store
  // does not hold; a snapshot with it would answer a retry "already counted" for counts the
  // snapshot lacks. Seqs alone cannot tell: batches applied from the replication stream, or
  // acknowledged by it, have no local seq (0).
  uint64_t keys_stamp = 0;
  size_t slos = 0;
  std::chrono::steady_clock::duration pause{};
};

// Why a snapshot was written: the `reason` label of budgetd_snapshots_total and
// budgetd_snapshot_failures_total.
enum class SnapshotReason : uint8_t {
  kInterval,  // storage.snapshot_interval passed
  kLogSize,   // the log outgrew its limit (storage.wal_max_bytes, wal_max_store_ratio)
  kShutdown,  // the clean stop's final snapshot
  kAdmin,     // POST /-/snapshot, tools and tests
  kPeer,      // GET /v1/admin/snapshot: a replica bootstraps from it
};
inline constexpr size_t kSnapshotReasons = 5;
std::string_view to_string(SnapshotReason reason);

// Thread safety: one write() at a time (the daemon holds its snapshot lock); the accessors
// from any thread.
class Snapshotter {
 public:
  Snapshotter(Env& env, std::string dir, metrics::Registry& metrics);

  // Closes the gate just long enough to encode the store, save the durable states and note the
  // keys' stamp as of the log's last seq.
  SnapshotCapture capture(store::WriteGate& gate, const Wal& wal, const store::SloSet& set,
                          const IdempotencyTable& keys, Timestamp now, std::span<DurableState* const> states = {});
  // Adds the keys completed before the capture and the alert state, fsyncs the log through the cut, writes the
  // file atomically, keeps the two newest snapshots and deletes the log segments the older of
  // the two covers (so a damaged newest snapshot can still fall back on the other). Slow disk
  // I/O: callers keep it out of any lock a request or reload needs. Returns the file name.
  // A failure is counted every time and logged once until a snapshot is written again.
  Result<std::string> write(SnapshotCapture capture, Wal& wal, const IdempotencyTable& keys, std::string_view alerts,
                            SnapshotReason reason = SnapshotReason::kAdmin);
  // Both.
  Result<std::string> take(store::WriteGate& gate, Wal& wal, const store::SloSet& set, const IdempotencyTable& keys,
                           Timestamp now, std::string_view alerts = {}, std::span<DurableState* const> states = {},
                           SnapshotReason reason = SnapshotReason::kAdmin);
  // Bytes and cut of the last snapshot this snapshotter wrote; 0 before the first.
  uint64_t last_bytes() const { return last_bytes_.load(std::memory_order_relaxed); }
  uint64_t last_cut() const { return last_cut_.load(std::memory_order_relaxed); }

 private:
  Env& env_;
  const std::string dir_;
  std::array<metrics::Counter*, kSnapshotReasons> taken_{};
  std::array<metrics::Counter*, kSnapshotReasons> failed_{};
  // relaxed: sizes for the log's limit and metrics, ordering nothing.
  std::atomic<uint64_t> last_bytes_{0};
  std::atomic<uint64_t> last_cut_{0};
  uint64_t failures_in_a_row_ = 0;  // write() only
  metrics::Gauge& last_success_;
  metrics::Gauge& bytes_;
  metrics::Histogram& pause_seconds_;
  metrics::Histogram& duration_seconds_;
};

}  // namespace budgetd::durable
