#include "budgetd/durable/wal.h"

#include <algorithm>
#include <chrono>
#include <future>
#include <iterator>

#include "budgetd/core/log.h"

namespace budgetd::durable {

namespace {
using Steady = std::chrono::steady_clock;
}  // namespace

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
      bytes_(metrics.gauge("budgetd_wal_bytes",
                           "Bytes the write-ahead log's segments take on disk (a snapshot lets the older ones go)")),
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
  // The segment given up stays on disk until a snapshot covers it (unless this one reuses its
  // name: a failed segment that got no record).
  if (file_ && file_path_ != path) closed_bytes_ += file_->size();
  file_ = std::move(file);
  file_path_ = path;
  durable_offset_ = file_->size();
  dictionary_in_segment_ = false;  // each segment holds its own
  return Status::Ok();
}

Status Wal::open() {
  BUDGETD_RETURN_IF_ERROR(env_.create_dirs(options_.dir));
  // Earlier processes' segments count until a snapshot lets them go; the one named like the new
  // segment is started afresh.
  uint64_t earlier = 0;
  if (auto names = env_.list(options_.dir); names.ok()) {
    for (const auto& n : *names) {
      if (!parse_segment_name(n) || n == segment_name(next_seq_)) continue;
      if (auto size = env_.file_size(options_.dir + "/" + n); size.ok()) earlier += *size;
    }
  }
  {
    std::lock_guard lock(mu_);
    closed_bytes_ = earlier;
    BUDGETD_RETURN_IF_ERROR(start_segment_locked(next_seq_));
    publish_size_locked();
  }
  healthy_.set(1);
  sync_thread_ = std::thread([this] { sync_loop(); });
  return Status::Ok();
}

std::vector<Wal::Completion> Wal::fail_locked(const std::string& reason) {
  std::vector<Completion> failed;
  if (failure_.empty()) {
    failures_.inc();
    healthy_.set(0);
    log::error("wal: the write-ahead log stopped taking appends; ingest answers 503 until it recovers")
        .field("reason", reason)
        .field("segment", file_path_);
  }
  failure_ = reason;
  publish_failure_locked();
  const uint64_t unsynced = next_seq_ - 1 - durable_seq_;
  if (options_.policy == FsyncPolicy::kAlways) {
    // None of the unsynced records was acknowledged: cut them off so that a restart cannot apply
    // a batch that was answered 503, and reuse their sequence numbers.
    if (unsynced > 0 && file_) {
      if (Status t = file_->truncate(durable_offset_); !t.ok()) {
        log::error("wal: could not cut unsynced records off the segment; a restart may apply them")
            .field("records", unsynced)
            .field("error", t.message());
      }
    }
    next_seq_ = durable_seq_ + 1;
    publish_size_locked();
    for (auto& w : waiters_) {
      failed.push_back(
          {std::move(w.done), Unavailable("the write-ahead log could not make the batch durable: " + reason)});
    }
    waiters_.clear();
  } else if (options_.policy == FsyncPolicy::kInterval && unsynced > 0) {
    log::error("wal: batches acknowledged since the last good fsync may be lost on power failure")
        .field("records_at_risk", unsynced);
  }
  wake_.notify_all();
  return failed;
}

std::vector<Wal::Completion> Wal::take_ready_locked() {
  std::vector<Completion> ready;
  auto first_ready =
      std::partition(waiters_.begin(), waiters_.end(), [&](const Waiter& w) { return w.seq > durable_seq_; });
  for (auto it = first_ready; it != waiters_.end(); ++it) ready.push_back({std::move(it->done), it->seq});
  waiters_.erase(first_ready, waiters_.end());
  return ready;
}

void Wal::append(RecordType type, std::string_view payload, Done done) {
  std::vector<Completion> completions;
  bool outgrown = false;
  {
    std::lock_guard lock(mu_);
    const auto refuse = [&](Status s) { completions.push_back({std::move(done), std::move(s)}); };
    if (payload.size() > kMaxRecordBytes) {
      refuse(InvalidArgument("the batch encodes to " + std::to_string(payload.size()) +
                             " bytes, more than one log record holds (" + std::to_string(kMaxRecordBytes) +
                             "); send it in smaller batches"));
    } else if (closed_) {
      refuse(Unavailable("the write-ahead log is closed (budgetd is stopping)"));
    } else if (!failure_.empty()) {
      refuse(Unavailable("the write-ahead log refuses appends: " + failure_));
    } else if (Status s = rotate_if_full_locked(completions); !s.ok()) {
      refuse(std::move(s));
    } else {
      // The dictionary, when this segment does not hold it yet, goes in front, in the same
      // write: both are in the file or neither is.
      const bool dictionary = !dictionary_.empty() && !dictionary_in_segment_;
      const uint64_t seq = next_seq_ + (dictionary ? 1 : 0);
      std::string record = frame_record(type, seq, payload);
      if (dictionary) record = frame_record(RecordType::kDictionary, next_seq_, dictionary_) + record;
      const uint64_t before = file_->size();
      if (Status w = file_->append(record); !w.ok()) {
        // Cut off whatever part of the record reached the file; the seq is not used.
        if (Status t = file_->truncate(before); !t.ok()) {
          log::error("wal: could not cut a failed append off the segment; recovery will drop it")
              .field("error", t.message());
        }
        auto failed = fail_locked(w.message());
        std::move(failed.begin(), failed.end(), std::back_inserter(completions));
        refuse(Unavailable("the write-ahead log could not write the batch: " + w.message()));
      } else {
        dictionary_in_segment_ |= dictionary;
        next_seq_ = seq + 1;
        appends_.inc();
        append_bytes_.inc(record.size());
        switch (options_.policy) {
          case FsyncPolicy::kAlways:
            waiters_.push_back({seq, std::move(done)});
            wake_.notify_all();
            break;
          case FsyncPolicy::kNever:
            durable_seq_ = seq;
            durable_offset_ = file_->size();
            [[fallthrough]];
          case FsyncPolicy::kInterval:
            completions.push_back({std::move(done), seq});
            // Keep the unsynced tail short: each fsync then stays short, above all the one
            // rotate_if_full_locked() must make under the lock.
            if (options_.policy == FsyncPolicy::kInterval && file_->size() - durable_offset_ > unsynced_wake_bytes())
              wake_.notify_all();
            break;
        }
      }
    }
    outgrown = passed_limit_locked();
  }
  if (outgrown && options_.outgrown) options_.outgrown();
  for (auto& c : completions) c.done(std::move(c.result));
}

void Wal::set_dictionary(std::string payload) {
  std::lock_guard lock(mu_);
  dictionary_ = std::move(payload);
  dictionary_in_segment_ = false;
}

Result<uint64_t> Wal::append_and_wait(RecordType type, std::string_view payload) {
  std::promise<Result<uint64_t>> promise;
  auto future = promise.get_future();
  append(type, payload, [&promise](Result<uint64_t> r) { promise.set_value(std::move(r)); });
  return future.get();
}

Status Wal::rotate_if_full_locked(std::vector<Completion>& completions) {
  if (file_->size() < options_.segment_bytes) return Status::Ok();
  // Why this fsync holds the lock: a segment must be durable before its successor takes a
  // record. Otherwise a power loss could keep the kernel's later writes to the new segment and
  // lose the old one's tail, a gap in the sequence that replay must treat as corruption (and set
  // every later segment aside). Appends wait for it; what keeps the wait short is that the sync
  // thread fsyncs the segment outside the lock whenever a quarter of a segment is unsynced
  // (append() wakes it), so this fsync covers at most that much. Rotation is once per
  // segment_bytes (64 MiB).
  Status s = file_->sync();
  fsyncs_.inc();
  if (s.ok()) {
    durable_seq_ = next_seq_ - 1;
    durable_offset_ = file_->size();
    auto ready = take_ready_locked();
    std::move(ready.begin(), ready.end(), std::back_inserter(completions));
    s = start_segment_locked(next_seq_);
  }
  if (s.ok()) return s;
  auto failed = fail_locked(s.message());
  std::move(failed.begin(), failed.end(), std::back_inserter(completions));
  return Unavailable("the write-ahead log cannot start a new segment: " + s.message());
}

std::vector<Wal::Completion> Wal::sync_unlocked(std::unique_lock<std::mutex>& lock, Status& result) {
  // Sync what has been written so far. Appends go on meanwhile; they wait for the next round.
  const std::shared_ptr<WritableFile> file = file_;
  const uint64_t target_seq = next_seq_ - 1;
  const uint64_t target_offset = file->size();
  lock.unlock();
  const auto start = Steady::now();
  result = file->sync();
  fsync_seconds_.observe(std::chrono::duration<double>(Steady::now() - start).count());
  fsyncs_.inc();
  lock.lock();
  // If the log failed (and cut records off) or rotated meanwhile, this fsync speaks for a file
  // state that no longer exists; the failure or the rotation already settled its records.
  if (file != file_ || !failure_.empty()) return {};
  if (!result.ok()) return fail_locked(result.message());
  durable_seq_ = std::max(durable_seq_, target_seq);
  durable_offset_ = std::max(durable_offset_, target_offset);
  return take_ready_locked();
}

Status Wal::sync_now() {
  std::vector<Completion> completions;
  Status result;
  {
    std::unique_lock lock(mu_);
    if (closed_) return Unavailable("the write-ahead log is closed (budgetd is stopping)");
    if (!failure_.empty()) return Unavailable("the write-ahead log refuses appends: " + failure_);
    completions = sync_unlocked(lock, result);
    if (result.ok() && !failure_.empty()) result = Unavailable("the write-ahead log failed meanwhile: " + failure_);
  }
  for (auto& c : completions) c.done(std::move(c.result));
  return result;
}

uint64_t Wal::last_seq() const {
  std::lock_guard lock(mu_);
  return next_seq_ - 1;
}

std::string Wal::failure() const {
  // Not mu_: an append or a segment switch's fsync may hold that for as long as the disk takes,
  // and /readyz must answer at once whatever the disk does.
  std::lock_guard lock(failure_mu_);
  return failure_text_;
}

void Wal::publish_failure_locked() {
  std::lock_guard lock(failure_mu_);
  failure_text_ = failure_;
}

void Wal::sync_loop() {
  auto next_interval_sync = Steady::now() + options_.fsync_interval;
  for (;;) {
    std::vector<Completion> completions;
    bool outgrown = false;
    {
      std::unique_lock lock(mu_);
      if (!failure_.empty()) {
        // Every policy recovers the same way: a fresh segment that can be written and synced.
        wake_.wait_for(lock, options_.recovery_retry, [&] { return stop_; });
        if (stop_) return;
        if (Status s = start_segment_locked(next_seq_); s.ok()) {
          log::info("wal: the write-ahead log recovered; ingest resumes").field("segment", file_path_);
          failure_.clear();
          publish_failure_locked();
          healthy_.set(1);
          durable_seq_ = next_seq_ - 1;
          outgrown = passed_limit_locked();  // the fresh segment's header
        }
        if (outgrown && options_.outgrown) {
          lock.unlock();
          options_.outgrown();
        }
        continue;
      }
      const auto woken = [&] { return stop_ || !failure_.empty(); };
      switch (options_.policy) {
        case FsyncPolicy::kAlways:
          wake_.wait(lock, [&] { return woken() || !waiters_.empty(); });
          break;
        case FsyncPolicy::kInterval:
          wake_.wait_until(lock, next_interval_sync,
                           [&] { return woken() || file_->size() - durable_offset_ > unsynced_wake_bytes(); });
          break;
        case FsyncPolicy::kNever:
          wake_.wait(lock, woken);
          break;
      }
      if (stop_) return;  // close() does the final fsync
      if (!failure_.empty()) continue;
      if (options_.policy == FsyncPolicy::kInterval) {
        next_interval_sync = Steady::now() + options_.fsync_interval;
        if (durable_seq_ == next_seq_ - 1) continue;  // nothing new to sync
      }
      Status result;
      completions = sync_unlocked(lock, result);
    }
    for (auto& c : completions) c.done(std::move(c.result));
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
  uint64_t removed = 0;
  for (size_t i = 0; i + 1 < segments.size(); ++i) {
    const std::string path = options_.dir + "/" + segments[i].second;
    if (segments[i + 1].first - 1 > seq || path == open_segment) break;
    // Its size first, so the log's count of bytes on disk stays exact; a segment that cannot be
    // measured stays (the next snapshot tries again).
    auto size = env_.file_size(path);
    Status s = size.ok() ? env_.remove(path) : size.status();
    if (!s.ok()) {
      log::warn("wal: could not delete a segment a snapshot covers").field("segment", path).field("error", s.message());
      continue;
    }
    removed += *size;
  }
  std::lock_guard lock(mu_);
  closed_bytes_ -= std::min(closed_bytes_, removed);
  publish_size_locked();
}

uint64_t Wal::publish_size_locked() {
  const uint64_t bytes = closed_bytes_ + (file_ ? file_->size() : 0);
  disk_bytes_.store(bytes, std::memory_order_relaxed);
  bytes_.set(static_cast<double>(bytes));
  return bytes;
}

bool Wal::passed_limit_locked() {
  if (publish_size_locked() <= outgrown_limit_) return false;
  outgrown_limit_ = kUnarmed;
  return true;
}

uint64_t Wal::disk_bytes() const { return disk_bytes_.load(std::memory_order_relaxed); }

bool Wal::notify_when_over(uint64_t limit) {
  std::lock_guard lock(mu_);
  if (publish_size_locked() > limit) {
    outgrown_limit_ = kUnarmed;
    return true;
  }
  outgrown_limit_ = limit;
  return false;
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
  std::vector<Completion> completions;
  {
    std::unique_lock lock(mu_);
    if (file_ && failure_.empty() && options_.policy != FsyncPolicy::kNever) {
      Status result;
      completions = sync_unlocked(lock, result);
      if (!result.ok()) log::error("wal: final fsync failed").field("error", result.message());
    }
    for (auto& w : waiters_) {
      completions.push_back(
          {std::move(w.done), Unavailable("the write-ahead log closed before the batch was durable")});
    }
    waiters_.clear();
  }
  for (auto& c : completions) c.done(std::move(c.result));
}

}  // namespace budgetd::durable
