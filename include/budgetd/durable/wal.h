#pragma once
// The write-ahead log: every accepted batch is one record, appended before the batch is applied
// and before its 200 is sent. docs/storage.md has the on-disk format.
//
//   Wal wal(env, {.dir = "data/wal", .policy = FsyncPolicy::kAlways}, next_seq, metrics);
//   BUDGETD_RETURN_IF_ERROR(wal.open());
//   wal.append(RecordType::kBatch, payload, [](Result<uint64_t> seq) {
//     if (seq.ok()) apply_and_answer_200(); else answer_503(seq.status());
//   });
//
// append() calls its `done` exactly once: with the record's seq once the record is as durable as
// the policy promises, or with an error, and then the record is not in the log. Registering the
// callback is part of the append (one critical section), so no failure can slip between them.
//
// Fsync policies: kAlways completes a record only after an fsync that covers it; concurrent
// appenders share one fsync (group commit, on the log's own thread, which also runs `done`).
// kInterval fsyncs every fsync_interval and kNever leaves it to the kernel; both complete at once,
// on the caller's thread, before append() returns.
//
// Failures: a write that fails (disk full) is cut off the file. Under kAlways so is every record
// not yet synced, and their waiters fail too, so a restart cannot apply a batch that was answered
// 503. An fsync that fails does the same under kAlways; under kInterval it can only log how many
// acknowledged records are at risk. Either way the log then refuses appends, with a reason for
// /readyz, and tries to start a fresh segment every `recovery_retry` until that works. If cutting
// the file fails too (a failing disk), the next segment starts at their seqs again and replay
// drops them; only a crash before that fresh segment exists could still apply them (retries
// with the same Idempotency-Key then count once).
//
// Thread safety: every method may be called from any thread.

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/core/time.h"
#include "budgetd/durable/env.h"
#include "budgetd/durable/record_log.h"
#include "budgetd/durable/wal_format.h"
#include "budgetd/metrics/registry.h"

namespace budgetd::durable {

using config::FsyncPolicy;

struct WalOptions {
  std::string dir;
  FsyncPolicy policy = FsyncPolicy::kInterval;
  Millis fsync_interval = kSecond;
  uint64_t segment_bytes = 64ull << 20;
  std::chrono::milliseconds recovery_retry{1000};  // how often a failed log tries a fresh segment
};

class Wal final : public RecordLog {
 public:
  // `next_seq`: the sequence number the first appended record gets (last replayed + 1).
  Wal(Env& env, WalOptions options, uint64_t next_seq, metrics::Registry& metrics);
  ~Wal() override;
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Starts a new segment at next_seq and the sync thread.
  Status open();
  void append(RecordType type, std::string_view payload, Done done) override;
  // append() and wait for its `done`: for tools and tests, never from the log's own thread.
  Result<uint64_t> append_and_wait(RecordType type, std::string_view payload);
  // fsyncs everything appended so far, whatever the policy: a snapshot's cut must be in the log
  // on disk before the snapshot is, or a power loss could leave a gap below it.
  Status sync_now();
  // The newest sequence number appended (0 before the first).
  uint64_t last_seq() const;
  // Deletes the segments whose records all have seq <= `seq`; never the open one.
  void drop_through(uint64_t seq);
  // Empty while the log takes appends; otherwise why it does not. Never waits for an append or
  // an fsync (readiness probes call it).
  std::string failure() const;
  // Final fsync; fails whatever still waits; refuses appends afterwards.
  void close();

 private:
  struct Waiter {
    uint64_t seq;
    Done done;
  };
  struct Completion {  // a `done` to run after the lock is released
    Done done;
    Result<uint64_t> result;
  };
  void sync_loop();
  // REQUIRES: mu_. Marks the log failed; under kAlways cuts off every unsynced record and hands
  // their waiters back, to be failed outside the lock.
  std::vector<Completion> fail_locked(const std::string& reason);
  // REQUIRES: mu_. Removes and returns the waiters whose records are now durable.
  std::vector<Completion> take_ready_locked();
  // REQUIRES: mu_. Starts a new segment once the open one is full (see wal.cpp for why this
  // one fsync happens under the lock).
  Status rotate_if_full_locked(std::vector<Completion>& completions);
  // REQUIRES: mu_ held by `lock`; releases it during the fsync. Settles the waiters it covers.
  std::vector<Completion> sync_unlocked(std::unique_lock<std::mutex>& lock, Status& result);
  Status start_segment_locked(uint64_t first_seq);
  // REQUIRES: mu_. Copies failure_ to where failure() reads it.
  void publish_failure_locked();
  // Unsynced bytes past which the sync thread runs before its interval is up (kInterval).
  uint64_t unsynced_wake_bytes() const { return options_.segment_bytes / 4; }

  Env& env_;
  const WalOptions options_;
  metrics::Counter& appends_;
  metrics::Counter& append_bytes_;
  metrics::Counter& fsyncs_;
  metrics::Counter& failures_;
  metrics::Histogram& fsync_seconds_;
  metrics::Gauge& healthy_;

  mutable std::mutex mu_;
  std::condition_variable wake_;
  std::shared_ptr<WritableFile> file_;  // the open segment
  std::string file_path_;
  uint64_t next_seq_;
  uint64_t durable_seq_;     // every record <= this is synced (or, under kNever, written)
  uint64_t durable_offset_;  // end of the last synced record in file_
  std::vector<Waiter> waiters_;
  std::string failure_;
  // failure_ as failure() reads it. A leaf lock of its own, taken under mu_ only to write.
  mutable std::mutex failure_mu_;
  std::string failure_text_;  // guarded by failure_mu_
  bool stop_ = false;
  bool closed_ = false;
  std::thread sync_thread_;
};

}  // namespace budgetd::durable
