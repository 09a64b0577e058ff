#pragma once
// The write-ahead log: every accepted batch is one record, appended before the batch is applied
// and before its 200 is sent. docs/storage.md has the on-disk format.
//
//   Wal wal(env, {.dir = "data/wal", .policy = FsyncPolicy::kAlways}, next_seq, metrics);
//   BUDGETD_RETURN_IF_ERROR(wal.open());
//   Result<uint64_t> seq = wal.append(RecordType::kBatch, payload);   // Unavailable when it cannot
//   wal.on_durable(*seq, [](Status s) { if (s.ok()) apply_and_answer_200(); else answer_503(); });
//
// Fsync policies: kAlways acknowledges a record only after an fsync that covers it; concurrent
// appenders share one fsync (group commit, on the log's own thread). kInterval fsyncs every
// fsync_interval; kNever leaves it to the kernel. Under kInterval/kNever on_durable calls back
// at once.
//
// Failures: a write that fails (disk full) is cut off the file and refused; an fsync that fails
// refuses the records it did not cover (under kAlways they are cut off the file too, so a
// restart cannot apply what was answered 503). Either way the log then refuses appends, with a
// reason for /readyz, until it manages to start a fresh segment (retried every second).
//
// Thread safety: append(), on_durable(), failure() and last_seq() from any thread.

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

class Wal {
 public:
  // `next_seq`: the sequence number the first appended record gets (last replayed + 1).
  Wal(Env& env, WalOptions options, uint64_t next_seq, metrics::Registry& metrics);
  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Starts a new segment at next_seq and the sync thread.
  Status open();
  Result<uint64_t> append(RecordType type, std::string_view payload);
  void on_durable(uint64_t seq, std::function<void(Status)> done);
  // The newest sequence number appended (0 before the first).
  uint64_t last_seq() const;
  // Deletes the segments whose records all have seq <= `seq`; never the open one.
  void drop_through(uint64_t seq);
  // Empty while the log takes appends; otherwise why it does not.
  std::string failure() const;
  // Final fsync; refuses appends afterwards.
  void close();

 private:
  struct Waiter {
    uint64_t seq;
    std::function<void(Status)> done;
  };
  void sync_loop();
  void fail_locked(const std::string& reason);
  Status start_segment_locked(uint64_t first_seq);

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
  bool stop_ = false;
  bool closed_ = false;
  std::thread sync_thread_;
};

const char* to_string(FsyncPolicy p);

}  // namespace budgetd::durable
