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
// SLO dictionary (set_dictionary): a kDictionary record the log writes ahead of the first record
// of every segment and ahead of the next record after each set_dictionary(), in the same write as
// that record, so a reader meets it before any record that refers to it, and a segment is read on
// its own. A record cut off after a failure takes its dictionary with it; the log then goes on
// only in a fresh segment, which gets the dictionary again.
//
// Size: the log counts the bytes its segment files take on disk (budgetd_wal_bytes), the open
// one and those a snapshot has not yet let drop_through() delete. notify_when_over() asks for
// `outgrown` once they pass a limit, so the daemon can snapshot (and trim) a log that grows
// faster than the snapshot interval; the check costs an append one compare.
//
// Thread safety: every method may be called from any thread.

#include <atomic>
#include <condition_variable>
#include <functional>
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
  // Called once the segments on disk pass the limit of notify_when_over(): on the thread whose
  // append passed it, after the log's lock is released, so it may take locks of its own but
  // should only note the fact and return (the append's batch is waiting for its answer).
  std::function<void()> outgrown;
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
  // The kDictionary payload of the SLO set in force from now on (batch_record.h: format 3
  // records name SLOs by their index in it). Set before the first append that needs it, and on
  // every change of the set while no append is in flight (the daemon: inside a closed gate).
  void set_dictionary(std::string payload);
  // append() and wait for its `done`: for tools and tests, never from the log's own thread.
  Result<uint64_t> append_and_wait(RecordType type, std::string_view payload);
  // fsyncs everything appended so far, whatever the policy: a snapshot's cut must be in the log
  // on disk before the snapshot is, or a power loss could leave a gap below it.
  Status sync_now();
  // The newest sequence number appended (0 before the first).
  uint64_t last_seq() const;
  // Deletes the segments whose records all have seq <= `seq`; never the open one.
  void drop_through(uint64_t seq);
  // Bytes of every segment file on disk: what the log takes, and what a restart without a
  // snapshot would read. Never waits (scrapes and tests call it).
  uint64_t disk_bytes() const;
  // Arms `options.outgrown` to be called once disk_bytes() exceeds `limit`; a call replaces the
  // previous limit, and each one is good for one call of `outgrown`. Returns true, arming
  // nothing, when the log is past `limit` already.
  bool notify_when_over(uint64_t limit);
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
  // REQUIRES: mu_. Publishes the bytes on disk after they changed, and returns them.
  uint64_t publish_size_locked();
  // REQUIRES: mu_. publish_size_locked(); true when the bytes just passed the armed limit (which
  // disarms it): the caller runs `outgrown` once the lock is released.
  bool passed_limit_locked();
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
  metrics::Gauge& bytes_;

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
  // Bytes of the segment files on disk other than the open one (a failed segment that was
  // given up for a fresh one counts here until drop_through() deletes it).
  uint64_t closed_bytes_ = 0;
  uint64_t outgrown_limit_ = kUnarmed;  // notify_when_over()'s limit; kUnarmed once it fired
  static constexpr uint64_t kUnarmed = ~uint64_t{0};
  // closed_bytes_ + the open segment's size, written under mu_ for readers that must not take
  // it. relaxed: a size for metrics and the daemon's limit, ordering nothing else.
  std::atomic<uint64_t> disk_bytes_{0};
  std::string dictionary_;  // set_dictionary()'s payload; empty: none
  // The open segment holds dictionary_. A failure that cuts records off (kAlways) leaves the log
  // refusing appends until a fresh segment starts, which resets this: a cut dictionary is written
  // again ahead of the next record.
  bool dictionary_in_segment_ = false;
  bool stop_ = false;
  bool closed_ = false;
  std::thread sync_thread_;
};

}  // namespace budgetd::durable
