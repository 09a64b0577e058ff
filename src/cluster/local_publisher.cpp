// ack: local (DESIGN.md §8): the backlog of records this node's WAL holds and the stream does
// not yet, its room (cluster.max_backlog_bytes), and the publisher that gets it into the stream
// in seq order. The rest of the write side is in replicator.cpp.

#include <chrono>
#include <string>
#include <vector>

#include "budgetd/cluster/redis_client.h"
#include "budgetd/cluster/replicator.h"
#include "budgetd/core/log.h"
#include "publishing.h"
#include "replication_state.h"
#include "stream_record.h"

namespace budgetd::cluster {

using publishing::kMaxPipeline;
using publishing::seconds_since;
using publishing::SteadyClock;

namespace {

// How long an ack: local publisher waits for a missing WAL seq (callbacks of concurrent appends
// arrive out of order) before it publishes past the gap; the WAL hands out seqs without gaps,
// so this only fires if a record's callback never comes.
constexpr auto kGapPatience = std::chrono::seconds(2);

}  // namespace

Status Replicator::check_backlog_room(size_t bytes) {
  const uint64_t held = state_->backlog_bytes();
  if (held + bytes <= config_.max_backlog_bytes) {
    backlog_full_logged_.store(false, std::memory_order_relaxed);
    return Status::Ok();
  }
  backlog_refused_.inc();
  // One log line per time the backlog fills, not one per refused request.
  if (!backlog_full_logged_.exchange(true, std::memory_order_relaxed)) {
    log::error("replication: the ack: local backlog is full; ingest answers 503 until it drains")
        .field("backlog_bytes", held)
        .field("max_backlog_bytes", config_.max_backlog_bytes)
        .field("redis_reachable", redis_reachable_.load(std::memory_order_relaxed));
  }
  return Unavailable("the replication backlog holds " + std::to_string(held >> 20) +
                     " MiB accepted here and not yet in Redis (cluster.max_backlog_bytes); Redis is "
                     "unreachable or behind: GET /v1/cluster says which");
}

uint64_t Replicator::next_published_after(uint64_t seq) const {
  do {
    ++seq;
  } while (unpublished_seqs_.contains(seq));
  return seq;
}

void Replicator::publish_local_loop() {
  RedisClient redis(config_.redis);
  const std::string& key = shard_keys_[static_cast<size_t>(home_shard_)];
  auto gap_since = SteadyClock::time_point{};
  auto role_checked = SteadyClock::time_point{};
  for (;;) {
    std::vector<StreamRecord> records = state_->backlog_from(next_local_, kMaxPipeline);
    {
      std::unique_lock lock(mu_);
      if (stopping_) return;  // the backlog stays, for the final snapshot
      if (records.empty()) {
        wake_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_; });
        continue;
      }
    }
    // Publish in seq order only (receivers keep a high-water mark per origin): stop at a gap
    // until the missing seq's WAL callback has put it in the backlog.
    size_t contiguous = 0;
    for (uint64_t want = next_local_; contiguous < records.size() && records[contiguous].seq == want; ++contiguous)
      want = next_published_after(want);
    if (contiguous == 0) {
      if (gap_since == SteadyClock::time_point{}) gap_since = SteadyClock::now();
      if (SteadyClock::now() - gap_since < kGapPatience) {
        std::unique_lock lock(mu_);
        wake_.wait_for(lock, std::chrono::milliseconds(1), [&] { return stopping_; });
        continue;
      }
      log::warn("replication: a WAL seq never reached the backlog; publishing past it")
          .field("missing_from", next_local_)
          .field("next", records.front().seq);
      next_local_ = records.front().seq;
      contiguous = 1;
    }
    gap_since = {};
    records.resize(contiguous);
    std::vector<std::vector<std::string>> cmds;
    for (const StreamRecord& r : records) cmds.push_back(xadd_command(key, r));
    const auto started = SteadyClock::now();
    auto replies = redis.pipeline(key, cmds);
    publish_seconds_.observe(seconds_since(started));
    size_t done = 0;
    if (replies.ok()) {
      while (done < replies->size() && !(*replies)[done].is_error()) ++done;
    }
    redis_reachable_.store(replies.ok(), std::memory_order_relaxed);
    if (done > 0) {
      // Copies that did make it are published again with the rest: receivers count them once.
      state_->published_through(records[done - 1].seq);
      next_local_ = next_published_after(records[done - 1].seq);
    } else if (replies.ok()) {
      log::warn("replication: Redis refused a record").field("error", (*replies)[0].str);
    }
    (void)check_role(redis, role_checked);  // reachability comes from the XADDs' answers above
    refresh_metrics();
  }
}

}  // namespace budgetd::cluster
