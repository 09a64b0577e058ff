#pragma once
// An Env that fails on demand, for the disk-full / read-only / fsync-error tests, without root.

#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <mutex>

#include "budgetd/durable/env.h"

namespace budgetd::test {

class FaultyEnv final : public durable::Env {
 public:
  // errno to fail with; 0 = do not fail.
  std::atomic<int> append_errno{0};
  std::atomic<int> sync_errno{0};
  std::atomic<int> open_errno{0};
  // Fails write_file_atomically() alone (snapshots), while the log's appends still work.
  std::atomic<int> write_file_errno{0};
  // If set, a failing append first writes this many bytes of the data (a partial write).
  std::atomic<size_t> partial_bytes{0};
  std::atomic<uint64_t> syncs{0};
  // Each fsync of a log segment takes this long (a slow disk: lets group commit be observed).
  std::atomic<int> sync_delay_ms{0};

  // A latch on the fsyncs of log segments, so a test can act while one is in flight instead of
  // sleeping and hoping: after hold_syncs(), every fsync waits until release_syncs();
  // wait_until_a_sync_is_held() returns once one is waiting.
  void hold_syncs();
  void wait_until_a_sync_is_held();
  void release_syncs();
  // Called by every segment fsync: waits while syncs are held.
  void pass_sync_latch();
  // The same latch on the log's appends (its write(2)s): under fsync interval the thread that
  // commits a batch waits inside the append, holding the log's lock.
  void hold_appends();
  void wait_until_an_append_is_held();
  void release_appends();
  void pass_append_latch();

  Result<std::unique_ptr<durable::WritableFile>> open_append(const std::string& path) override;
  Result<std::string> read_file(const std::string& path) override { return base().read_file(path); }
  Status write_file_atomically(const std::string& path, std::string_view data) override;
  Result<std::vector<std::string>> list(const std::string& dir) override { return base().list(dir); }
  Result<uint64_t> file_size(const std::string& path) override { return base().file_size(path); }
  Status create_dirs(const std::string& dir) override { return base().create_dirs(dir); }
  Status rename(const std::string& from, const std::string& to) override { return base().rename(from, to); }
  Status remove(const std::string& path) override { return base().remove(path); }
  Status truncate(const std::string& path, uint64_t size) override { return base().truncate(path, size); }
  Status sync_dir(const std::string& dir) override;

 private:
  static durable::Env& base() { return durable::Env::posix(); }

  std::mutex latch_mu_;
  std::condition_variable latch_cv_;
  bool holding_ = false;          // guarded by latch_mu_
  int held_ = 0;                  // fsyncs waiting at the latch; guarded by latch_mu_
  bool holding_appends_ = false;  // guarded by latch_mu_
  int held_appends_ = 0;          // appends waiting at the latch; guarded by latch_mu_
};

}  // namespace budgetd::test
