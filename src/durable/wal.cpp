#include "budgetd/durable/wal.h"

#include <algorithm>
#include <chrono>

#include "budgetd/core/log.h"

namespace budgetd::durable {

namespace {
using Steady = std::chrono::steady_clock;
}  // namespace

const char* to_string(FsyncPolicy p) {
  switch (p) {
    case FsyncPolicy::kAlways:
      return "always";
    case FsyncPolicy::kInterval:
      return "interval";
    case FsyncPolicy::kNever:
      return "never";
  }
  return "?";
}

Wal::Wal(Env& env, WalOptions options, uint64_t next_seq, metrics::Registry& metrics)
    : env_(env),
      options_(std::move(options)),
      appends_(metrics.counter("budgetd_wal_appends_total", "Batch records appended to the write-ahead log")),
      append_bytes_(metrics.counter("budgetd_wal_append_bytes_total", "Bytes appended to the write-ahead log")),
      fsyncs_(metrics.counter("budgetd_wal_fsyncs_total", "fsyncs of the write-ahead log")),
      failures_(metrics.counter("budgetd_wal_failures_total",
                                "Times the write-ahead log stopped taking appends (write or fsync failed)")),
      fsync_seconds_(metrics.histogram("budgetd_wal_fsync_duration_seconds",
                                       "Time one fsync of the write-ahead log took", {}, metrics::kLatencyBuckets)),
      healthy_(
          metrics.gauge("budgetd_wal_healthy", "1 while the write-ahead log takes appends, 0 while it refuses them")),
      next_seq_(next_seq),
      durable_seq_(next_seq - 1),
      durable_offset_(0) {}

Wal::~Wal() { close(); }

Status Wal::start_segment_locked(uint64_t first_seq) {
  const std::string path = options_.dir + "/" + segment_name(first_seq);
  auto f = env_.open_append(path);
  if (!f.ok()) return f.status();
  std::shared_ptr<WritableFile> file = std::move(*f);
  // A leftover file of the same name can only be an abandoned segment holding no record we
  // acknowledged (recovery already replayed or set aside everything): start it afresh.
  BUDGETD_RETURN_IF_ERROR(file->truncate(0));
  BUDGETD_RETURN_IF_ERROR(file->append(kSegmentMagic));
  BUDGETD_RETURN_IF_ERROR(file->sync());
  BUDGETD_RETURN_IF_ERROR(env_.sync_dir(options_.dir));
  file_ = std::move(file);
  file_path_ = path;
  durable_offset_ = file_->size();
  return Status::Ok();
}

Status Wal::open() {
  BUDGETD_RETURN_IF_ERROR(env_.create_dirs(options_.dir));
  {
    std::lock_guard lock(mu_);
    BUDGETD_RETURN_IF_ERROR(start_segment_locked(next_seq_));
  }
  healthy_.set(1);
  sync_thread_ = std::thread([this] { sync_loop(); });
  return Status::Ok();
}

void Wal::fail_locked(const std::string& reason) {
  if (failure_.empty()) {
    failures_.inc();
    healthy_.set(0);
    log::error("wal: the write-ahead log stopped taking appends; ingest answers 503 until it recovers")
        .field("reason", reason)
        .field("segment", file_path_);
  }
  failure_ = reason;
  wake_.notify_all();
}

Result<uint64_t> Wal::append(RecordType type, std::string_view payload) {
  std::lock_guard lock(mu_);
  if (closed_) return Unavailable("the write-ahead log is closed (budgetd is stopping)");
  if (!failure_.empty()) return Unavailable("the write-ahead log refuses appends: " + failure_);
  if (file_->size() >= options_.segment_bytes) {
    // Rotate: the old segment must be durable before it stops being the one the sync thread syncs.
    Status s = file_->sync();
    if (s.ok()) s = start_segment_locked(next_seq_);
    if (!s.ok()) {
      fail_locked(s.message());
      return Unavailable("the write-ahead log cannot start a new segment: " + s.message());
    }
    durable_seq_ = next_seq_ - 1;
  }
  const uint64_t seq = next_seq_;
  const std::string record = frame_record(type, seq, payload);
  const uint64_t before = file_->size();
  if (Status s = file_->append(record); !s.ok()) {
    // Cut off whatever part of the record reached the file; the seq is not used.
    if (Status t = file_->truncate(before); !t.ok()) {
      log::error("wal: could not cut a failed append off the segment; recovery will drop it")
          .field("error", t.message());
    }
    fail_locked(s.message());
    return Unavailable("the write-ahead log could not write the batch: " + s.message());
  }
  ++next_seq_;
  appends_.inc();
  append_bytes_.inc(record.size());
  if (options_.policy == FsyncPolicy::kNever) {
    durable_seq_ = seq;
    durable_offset_ = file_->size();
  }
  return seq;
}

void Wal::on_durable(uint64_t seq, std::function<void(Status)> done) {
  if (options_.policy != FsyncPolicy::kAlways) {
    done(Status::Ok());
    return;
  }
  {
    std::lock_guard lock(mu_);
    if (seq > durable_seq_) {
      waiters_.push_back({seq, std::move(done)});
      wake_.notify_all();
      return;
    }
  }
  done(Status::Ok());
}

uint64_t Wal::last_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

std::string Wal::failure() const {
  std::lock_guard lock(mu_);
  return failure_;
}

void Wal::sync_loop() {
  auto next_interval_sync = Steady::now() + options_.fsync_interval;
  for (;;) {
    std::vector<Waiter> done;
    Status result;
    {
      std::unique_lock lock(mu_);
      const auto due = [&] {
        if (stop_) return true;
        if (!failure_.empty()) return false;  // handled by the timed retry below
        if (options_.policy == FsyncPolicy::kAlways) return !waiters_.empty();
        return false;
      };
      if (options_.policy == FsyncPolicy::kInterval && failure_.empty()) {
        wake_.wait_until(lock, next_interval_sync, due);
      } else if (!failure_.empty()) {
        wake_.wait_for(lock, options_.recovery_retry, [&] { return stop_; });
      } else {
        wake_.wait(lock, due);
      }
      if (stop_ && waiters_.empty() && (options_.policy != FsyncPolicy::kInterval || durable_seq_ == next_seq_ - 1))
        return;

      if (!failure_.empty()) {
        if (stop_) return;
        // Try to recover: a fresh segment that can be written and synced.
        if (Status s = start_segment_locked(next_seq_); s.ok()) {
          log::info("wal: the write-ahead log recovered; ingest resumes").field("segment", file_path_);
          failure_.clear();
          healthy_.set(1);
          durable_seq_ = next_seq_ - 1;
        }
        continue;
      }

      // Sync what has been written so far. Appends go on meanwhile; they wait for the next round.
      const std::shared_ptr<WritableFile> file = file_;
      const uint64_t target_seq = next_seq_ - 1;
      const uint64_t target_offset = file->size();
      lock.unlock();
      const auto start = Steady::now();
      result = file->sync();
      fsync_seconds_.observe(std::chrono::duration<double>(Steady::now() - start).count());
      fsyncs_.inc();
      next_interval_sync = Steady::now() + options_.fsync_interval;
      lock.lock();

      if (result.ok()) {
        if (file == file_) {
          durable_seq_ = std::max(durable_seq_, target_seq);
          durable_offset_ = std::max(durable_offset_, target_offset);
        }
        auto ready =
            std::partition(waiters_.begin(), waiters_.end(), [&](const Waiter& w) { return w.seq > durable_seq_; });
        done.assign(std::make_move_iterator(ready), std::make_move_iterator(waiters_.end()));
        waiters_.erase(ready, waiters_.end());
      } else {
        if (options_.policy == FsyncPolicy::kAlways && file == file_) {
          // Nothing past the last good fsync was acknowledged: cut it off so that a restart
          // cannot apply a batch that was answered 503.
          if (Status t = file_->truncate(durable_offset_); !t.ok()) {
            log::error("wal: could not cut unsynced records off the segment").field("error", t.message());
          }
          next_seq_ = durable_seq_ + 1;
        } else if (options_.policy == FsyncPolicy::kInterval) {
          log::error("wal: fsync failed; batches acknowledged since the last good fsync may be lost on power failure")
              .field("records_at_risk", next_seq_ - 1 - durable_seq_);
        }
        fail_locked(result.message());
        done = std::move(waiters_);
        waiters_.clear();
      }
    }
    for (auto& w : done) w.done(result);
  }
}

void Wal::drop_through(uint64_t seq) {
  std::string open_segment;
  {
    std::lock_guard lock(mu_);
    open_segment = file_path_;
  }
  auto names = env_.list(options_.dir);
  if (!names.ok()) return;
  std::vector<std::pair<uint64_t, std::string>> segments;
  for (const auto& n : *names) {
    if (auto first = parse_segment_name(n)) segments.emplace_back(*first, n);
  }
  std::sort(segments.begin(), segments.end());
  // A segment's records end just before the next segment's first seq.
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const std::string path = options_.dir + "/" + segments[i].second;
    if (segments[i + 1].first - 1 > seq || path == open_segment) break;
    if (Status s = env_.remove(path); !s.ok()) {
      log::warn("wal: could not delete a segment a snapshot covers").field("segment", path).field("error", s.message());
    }
  }
}

void Wal::close() {
  {
    std::lock_guard lock(mu_);
    if (closed_) return;
    closed_ = true;
    stop_ = true;
    wake_.notify_all();
  }
  if (sync_thread_.joinable()) sync_thread_.join();
  std::lock_guard lock(mu_);
  if (file_ && failure_.empty() && options_.policy != FsyncPolicy::kNever) {
    if (Status s = file_->sync(); !s.ok()) log::error("wal: final fsync failed").field("error", s.message());
  }
}

}  // namespace budgetd::durable
