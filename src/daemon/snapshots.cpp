// The daemon's snapshots: written on request, at the interval, at shutdown, for a peer, and as
// soon as the log outgrows its limit (storage.wal_max_bytes, storage.wal_max_store_ratio); the
// snapshot loop that paces them. Split from daemon.cpp, which starts and stops the parts.
#include "budgetd/daemon/daemon.h"

#include <algorithm>
#include <chrono>

#include "budgetd/core/log.h"

namespace budgetd {

Result<std::string> Daemon::take_snapshot() {
  if (shutting_down_.load()) return Unavailable("budgetd is stopping; it writes a final snapshot on its way out");
  return write_snapshot(durable::SnapshotReason::kAdmin);
}

Result<std::string> Daemon::write_snapshot(durable::SnapshotReason reason) {
  // One snapshot at a time, so that they land in cut order; reloads wait only for the capture.
  std::lock_guard write_lock(snapshot_mu_);
  return write_snapshot_locked(reason);
}

Result<std::string> Daemon::snapshot_bytes() {
  if (shutting_down_.load()) return Unavailable("budgetd is stopping; ask another peer for a snapshot");
  // Read back under the same lock: no later snapshot can delete the file meanwhile (the two
  // newest are kept), and the peer gets exactly the cut just written, with its replication state.
  std::lock_guard write_lock(snapshot_mu_);
  BUDGETD_ASSIGN_OR_RETURN(std::string path, write_snapshot_locked(durable::SnapshotReason::kPeer));
  return env_.read_file(path);
}

Result<std::string> Daemon::write_snapshot_locked(durable::SnapshotReason reason) {
  if (!wal_) return Unavailable("budgetd is not running");
  durable::SnapshotCapture capture;
  {
    std::lock_guard lock(state_mu_);  // the gate has one closer at a time, and the SLO set is fixed
    capture = snapshotter_->capture(gate_, *wal_, *state()->slos, keys_, clock_.now(), states_);
  }
  auto name = snapshotter_->write(std::move(capture), *wal_, keys_, alerts_.save(), reason);
  if (!name.ok()) return name.status();
  watch_log_size_locked();  // the log is shorter now, and the store may have another size
  return state()->config->storage.dir + "/" + *name;
}

uint64_t Daemon::log_limit_bytes() const { return log_limit_bytes_.load(std::memory_order_relaxed); }

void Daemon::watch_log_size_locked() {
  const auto snap = state();
  const config::StorageConfig& storage = snap->config->storage;
  // The store's size is what its snapshot takes; before the first, what its rings take.
  uint64_t store = snapshotter_->last_bytes();
  if (store == 0) {
    for (const store::StoredSlo& s : snap->slos->slos()) store += s.memory_bytes();
  }
  const double scaled = storage.wal_max_store_ratio * static_cast<double>(store);
  const uint64_t limit =
      std::max(storage.wal_max_bytes, scaled >= 0x1p63 ? uint64_t{1} << 63 : static_cast<uint64_t>(scaled));
  log_limit_bytes_.store(limit, std::memory_order_relaxed);
  log_limit_gauge_.set(static_cast<double>(limit));
  if (!wal_->notify_when_over(limit)) return;
  // Past it with no record since the last snapshot: another would have the same cut, replace
  // that file and free nothing. The next record makes one worth taking.
  if (snapshotter_->last_bytes() > 0 && wal_->last_seq() == snapshotter_->last_cut() &&
      !wal_->notify_when_over(wal_->disk_bytes())) {
    return;
  }
  log_outgrown();
}

void Daemon::log_outgrown() {
  {
    std::lock_guard l(loop_mu_);
    log_outgrown_ = true;
  }
  loop_wake_.notify_all();
}

void Daemon::snapshot_loop() {
  // The snapshot cadence is an I/O schedule, kept on the monotonic clock; budget time is not.
  using Steady = std::chrono::steady_clock;
  // A snapshot for the log's size waits this long after the previous one ended, or as long as
  // that one took (snapshot I/O at most half the time), and longer after one that failed or did
  // not bring the log under its limit (doubling up to snapshot_interval): a full disk or a log
  // that cannot shrink gets a metric and one log line, never a storm of snapshots.
  constexpr Steady::duration kLogSizeGap = std::chrono::seconds(2);
  Steady::duration failed_backoff = kLogSizeGap;     // after snapshots that failed
  Steady::duration untrimmed_backoff = kLogSizeGap;  // after snapshots that left the log past its limit
  Steady::time_point log_not_before{};
  Steady::time_point last = Steady::now();  // the end of the loop's last snapshot (or the start)
  for (;;) {
    const Millis every = state()->config->storage.snapshot_interval;
    const Steady::time_point interval_due = last + every;
    auto reason = durable::SnapshotReason::kInterval;
    bool rewatch = false;
    {
      std::unique_lock l(loop_mu_);
      for (;;) {
        if (stopping_) return;
        const Steady::time_point now = Steady::now();
        if (log_limit_changed_) {
          log_limit_changed_ = false;
          rewatch = true;
          break;
        }
        if (log_outgrown_ && now >= log_not_before) {
          log_outgrown_ = false;
          reason = durable::SnapshotReason::kLogSize;
          break;
        }
        if (now >= interval_due) break;
        loop_wake_.wait_until(l, log_outgrown_ ? std::min(interval_due, log_not_before) : interval_due);
      }
    }
    if (shutting_down_.load()) return;  // stop() writes the final snapshot
    // wal_ is reset only after this thread is joined.
    if (rewatch || (reason == durable::SnapshotReason::kLogSize && wal_->disk_bytes() <= log_limit_bytes())) {
      // A new limit, or a snapshot since the log passed its limit (POST /-/snapshot) trimmed it.
      std::lock_guard write_lock(snapshot_mu_);
      watch_log_size_locked();
      continue;
    }
    const Steady::time_point started = Steady::now();
    const bool written = write_snapshot(reason).ok();  // logged and counted inside
    last = Steady::now();
    if (!written) {
      // Watch again: a log still past its limit retries after the backoff below.
      std::lock_guard write_lock(snapshot_mu_);
      watch_log_size_locked();
    }
    if (reason == durable::SnapshotReason::kLogSize) {
      const auto twice = [&](Steady::duration d) { return std::min<Steady::duration>(2 * d, every); };
      Steady::duration gap = kLogSizeGap;
      if (!written) {
        gap = failed_backoff;
        failed_backoff = twice(failed_backoff);
      } else {
        failed_backoff = kLogSizeGap;
        if (wal_->disk_bytes() > log_limit_bytes()) {
          // The first snapshot after start, or after a quiet spell, may free nothing (segments
          // go only once the older of the two newest snapshots covers them): the next one does.
          gap = untrimmed_backoff;
          untrimmed_backoff = twice(untrimmed_backoff);
        } else {
          untrimmed_backoff = kLogSizeGap;
        }
      }
      log_not_before = last + std::max(gap, last - started);
    }
  }
}

}  // namespace budgetd
