// The replication log's write side: append() for both ack modes, the ack: replicated publisher,
// start and stop, and what the ReplicationView reports. The ack: local backlog and its publisher
// are in local_publisher.cpp, the read side (tailers) in tailer.cpp.

#include "budgetd/cluster/replicator.h"

#include <filesystem>

#include <fmt/format.h>

#include "budgetd/cluster/redis_client.h"
#include "budgetd/cluster/stream_keys.h"
#include "budgetd/core/log.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/wal_reader.h"
#include "publishing.h"
#include "replication_state.h"
#include "stream_record.h"

namespace budgetd::cluster {

using publishing::kMaxPipeline;
using publishing::kRoleEvery;
using publishing::seconds_since;
using publishing::SteadyClock;

struct Replicator::Pending {
  durable::RecordType type;
  std::string payload;
  Done done;
  std::string idem_key;  // the Redis key claim_keys() took for its Idempotency-Key, if any
};

Replicator::Replicator(const config::ClusterConfig& config, ReplicatorDeps deps)
    : config_(config),
      deps_(std::move(deps)),
      state_(std::make_unique<ReplicationState>(config.node, config.redis.shards)),
      home_shard_(cluster::home_shard(config)),
      shard_keys_(cluster::shard_keys(config)),
      publish_seconds_(deps_.metrics.histogram("budgetd_replication_publish_seconds",
                                               "Time to append records to the replication stream (one pipeline)", {},
                                               metrics::kLatencyBuckets)),
      wait_seconds_(deps_.metrics.histogram(
          "budgetd_replication_wait_seconds",
          "Time Redis's WAIT took to confirm wait_replicas replicas (ack: replicated)", {}, metrics::kLatencyBuckets)),
      applied_records_(deps_.metrics.counter("budgetd_replication_applied_records_total",
                                             "Records of the replication stream applied here (other replicas' "
                                             "records, and this one's that it had not counted yet)")),
      mismatched_slos_(deps_.metrics.gauge("budgetd_replication_mismatched_slos",
                                           "SLOs that replicated records name and this node cannot apply them to "
                                           "(unknown here, or another identity)")),
      lag_records_(deps_.metrics.gauge("budgetd_replication_lag_records",
                                       "Records in the replication streams not yet applied here")),
      lag_seconds_(deps_.metrics.gauge("budgetd_replication_lag_seconds",
                                       "Age of the oldest record in the replication streams not yet applied here")),
      backlog_records_(deps_.metrics.gauge("budgetd_replication_backlog_records",
                                           "ack: local: records accepted here and not yet in the replication stream")),
      backlog_refused_(deps_.metrics.counter("budgetd_replication_backlog_refused_total",
                                             "ack: local: records refused (503) because the backlog was full")) {}

Replicator::~Replicator() { stop(); }

durable::DurableState& Replicator::state() { return *state_; }

Result<uint64_t> Replicator::prepare(durable::Env& env, const std::string& storage_dir, uint64_t snapshot_cut) {
  // The data dir's epoch: made once, so that the WAL seqs of this data dir are named apart from
  // those of any earlier data dir of a node with the same name (bootstrap starts a new one).
  const std::string path = storage_dir + "/cluster-epoch";
  if (std::filesystem::exists(path)) {
    BUDGETD_ASSIGN_OR_RETURN(const std::string text, env.read_file(path));
    local_epoch_ = std::strtoull(text.c_str(), nullptr, 10);
    if (local_epoch_ == 0) return DataLoss(path + " does not hold an epoch number; remove it to start a new one");
  } else {
    local_epoch_ = static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count());
    BUDGETD_RETURN_IF_ERROR(env.write_file_atomically(path, std::to_string(local_epoch_) + "\n"));
  }
  if (config_.ack == config::AckMode::kLocal) {
    // What the WAL replayed after the snapshot: counted here, perhaps not yet in the stream. A
    // log this data dir kept as an embedded budgetd names SLOs by its dictionary, which stays
    // here: such records go to the stream by name.
    std::vector<durable::BatchRecord::Slo> dictionary;
    auto replayed = durable::replay_wal(
        env, storage_dir + "/wal", snapshot_cut, deps_.clock.now(), [&](const durable::FramedRecord& rec) {
          if (rec.type == durable::RecordType::kDictionary) {
            BUDGETD_ASSIGN_OR_RETURN(dictionary, durable::decode_dictionary(rec.payload));
            if (rec.seq > snapshot_cut) unpublished_seqs_.insert(rec.seq);
            return Status::Ok();
          }
          std::string payload(rec.payload);
          if (rec.type == durable::RecordType::kBatch) {
            BUDGETD_ASSIGN_OR_RETURN(payload, durable::by_name(rec.payload, dictionary));
          }
          state_->acknowledged(local_epoch_, rec.seq);
          state_->push_backlog({"", config_.node, local_epoch_, rec.seq, rec.type, std::move(payload)});
          return Status::Ok();
        });
    if (!replayed.ok()) return replayed.status();
  }
  return state_->mark(config_.node, local_epoch_) + 1;
}

void Replicator::start(durable::Wal& wal, std::vector<durable::DurableState*> states) {
  wal_ = &wal;
  states_ = std::move(states);
  const uint64_t first = state_->backlog_first_seq();
  next_local_ = first != 0 ? first : next_published_after(wal.last_seq());
  refresh_metrics();
  for (int i = 0; i < config_.redis.shards; ++i) tails_.push_back(std::make_unique<Tail>());
  if (config_.ack == config::AckMode::kReplicated)
    publisher_ = std::thread([this] { publish_replicated_loop(); });
  else
    publisher_ = std::thread([this] { publish_local_loop(); });
  for (int i = 0; i < config_.redis.shards; ++i) tailers_.emplace_back([this, i] { tail_loop(i); });
  log::info("replication: started")
      .field("node", config_.node)
      .field("ack", config::to_string(config_.ack))
      .field("shards", int64_t{config_.redis.shards})
      .field("home_shard", int64_t{home_shard_})
      .field("backlog", uint64_t{state_->backlog_size()});
}

void Replicator::stop() {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  tailers_stop_.store(true, std::memory_order_relaxed);
  if (publisher_.joinable()) publisher_.join();
  for (auto& t : tailers_) t.join();
  tailers_.clear();
}

void Replicator::append(durable::RecordType type, std::string_view payload, Done done) {
  if (config_.ack == config::AckMode::kLocal) {
    if (Status full = check_backlog_room(payload.size()); !full.ok()) return done(std::move(full));
    wal_->append(type, payload,
                 [this, type, payload = std::string(payload), done = std::move(done)](Result<uint64_t> seq) mutable {
                   if (seq.ok()) {
                     // Inside the committer's write-gate ticket (it lives in `done`): a snapshot
                     // has the record counted and in the backlog, or neither.
                     state_->acknowledged(local_epoch_, *seq);
                     state_->push_backlog({"", config_.node, local_epoch_, *seq, type, std::move(payload)});
                     refresh_metrics();
                     wake_.notify_all();
                   }
                   done(std::move(seq));
                 });
    return;
  }
  {
    std::unique_lock lock(mu_);
    if (!stopping_) {
      pending_.push_back({type, std::string(payload), std::move(done), {}});
      lock.unlock();
      wake_.notify_all();
      return;
    }
  }
  done(Unavailable("budgetd is stopping"));
}

void Replicator::fail_all(std::vector<Pending>& batch, const Status& why) {
  for (Pending& p : batch) p.done(why);
  batch.clear();
}

void Replicator::publish_replicated_loop() {
  RedisClient redis(config_.redis);
  auto role_checked = SteadyClock::time_point{};
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mu_);
      wake_.wait_for(lock, kRoleEvery, [&] { return stopping_ || !pending_.empty(); });
      if (stopping_) {
        batch.assign(std::make_move_iterator(pending_.begin()), std::make_move_iterator(pending_.end()));
        pending_.clear();
        lock.unlock();
        fail_all(batch, Unavailable("budgetd is stopping"));
        return;
      }
      while (!pending_.empty() && batch.size() < kMaxPipeline) {
        batch.push_back(std::move(pending_.front()));
        pending_.pop_front();
      }
    }
    if (epoch_.load(std::memory_order_acquire) == 0) {
      // One epoch per life: this life's seqs can never collide with an earlier one's.
      auto e = redis.command({"INCR", epoch_key(config_)});
      if (!e.ok() || e->type != RedisReply::Type::kInteger) {
        redis_reachable_.store(false, std::memory_order_relaxed);
        fail_all(batch, Unavailable("Redis is unreachable: " + (e.ok() ? e->str : e.status().message())));
        continue;
      }
      epoch_.store(static_cast<uint64_t>(e->integer), std::memory_order_release);
      auto fsync = redis.command({"CONFIG", "GET", "appendfsync"});
      if (fsync.ok() && fsync->elements.size() == 2 && fsync->elements[1].str != "always") {
        log::warn(
            "replication: Redis is not configured with appendfsync always; a Redis crash can lose records "
            "acknowledged with ack: replicated")
            .field("appendfsync", fsync->elements[1].str);
      }
    }
    claim_keys(redis, batch);
    if (!batch.empty()) publish_batch(redis, batch);
    if (const std::optional<bool> answered = check_role(redis, role_checked)) {
      redis_reachable_.store(*answered, std::memory_order_relaxed);
    }
    refresh_metrics();
  }
}

void Replicator::publish_batch(RedisClient& redis, std::vector<Pending>& batch) {
  const uint64_t epoch = epoch_.load(std::memory_order_relaxed);  // the publisher's own value
  const std::string& key = shard_keys_[static_cast<size_t>(home_shard_)];
  std::vector<uint64_t> seqs;
  std::vector<std::vector<std::string>> cmds;
  for (Pending& p : batch) {
    seqs.push_back(++next_seq_);
    cmds.push_back(xadd_command(key, {"", config_.node, epoch, seqs.back(), p.type, std::move(p.payload)}));
  }
  const auto started = SteadyClock::now();
  auto replies = redis.pipeline(key, cmds);
  publish_seconds_.observe(seconds_since(started));
  const auto uncertain = [&](size_t i, const std::string& why) {
    state_->uncertain(epoch, seqs[i]);
    batch[i].done(Unavailable(why + "; the batch may still count on every replica once Redis has it (retry with "
                                    "the same Idempotency-Key to count it once)"));
  };
  if (!replies.ok()) {
    redis_reachable_.store(false, std::memory_order_relaxed);
    for (size_t i = 0; i < batch.size(); ++i)
      uncertain(i, "Redis did not confirm the record: " + replies.status().message());
    batch.clear();
    return;
  }
  redis_reachable_.store(true, std::memory_order_relaxed);
  std::vector<size_t> added;
  for (size_t i = 0; i < batch.size(); ++i) {
    const RedisReply& r = (*replies)[i];
    if (!r.is_error()) {
      added.push_back(i);
      continue;
    }
    // Not in the stream: its key is free again, for a retry on any replica.
    if (!batch[i].idem_key.empty()) (void)redis.command({"DEL", batch[i].idem_key});
    batch[i].done(Unavailable("Redis refused the record: " + r.str));
  }
  if (config_.wait_replicas > 0 && !added.empty()) {
    const auto waited = SteadyClock::now();
    // WAIT's own timeout stays inside the client's command timeout, so a short WAIT is an answer.
    const int64_t wait_ms = std::max<int64_t>(1, config_.redis.timeout.count() / 2);
    auto w = redis.pipeline(key, {{"WAIT", std::to_string(config_.wait_replicas), std::to_string(wait_ms)}});
    wait_seconds_.observe(seconds_since(waited));
    const int64_t got = w.ok() && !w->empty() ? (*w)[0].integer : -1;
    if (got < config_.wait_replicas) {
      const std::string why = w.ok() ? fmt::format("WAIT: {} of {} Redis replicas confirmed the record within {} ms",
                                                   std::max<int64_t>(got, 0), config_.wait_replicas, wait_ms)
                                     : "WAIT failed: " + w.status().message();
      for (size_t i : added) uncertain(i, why);
      batch.clear();
      return;
    }
  }
  for (size_t i : added) {
    // Marked before the committer counts it (its ticket is inside `done`, so no snapshot comes
    // between): this node's tailer skips the stream's copy.
    state_->acknowledged(epoch, seqs[i]);
    batch[i].done(uint64_t{0});  // in no local log: every later snapshot has its effects (and its key)
  }
  batch.clear();
}

void Replicator::claim_keys(RedisClient& redis, std::vector<Pending>& batch) {
  std::vector<Pending> kept;
  for (Pending& p : batch) {
    std::optional<durable::IdempotentAnswer> key;
    if (p.type == durable::RecordType::kBatch) {
      if (auto decoded = durable::decode_batch(p.payload); decoded.ok()) key = std::move(decoded->idempotency);
    }
    if (!key) {
      kept.push_back(std::move(p));
      continue;
    }
    const std::string redis_key = config_.stream + ":idem:" + key->key;
    const std::string ttl = std::to_string(std::max<int64_t>(1, deps_.idempotency_ttl.count()));
    auto set = redis.command({"SET", redis_key, config_.node, "NX", "PX", ttl});
    if (!set.ok() || set->is_error()) {
      p.done(Unavailable("Redis is unreachable: " + (set.ok() ? set->str : set.status().message())));
      continue;
    }
    if (set->type == RedisReply::Type::kNil) {
      auto holder = redis.command({"GET", redis_key});
      const std::string who = holder.ok() ? holder->str : "";
      if (who != config_.node) {
        // Another replica accepted this key: its record reaches this one within the lag, and a
        // retry then gets the first answer (Idempotent-Replayed).
        p.done(
            Unavailable(fmt::format("a batch with this Idempotency-Key was accepted by replica '{}'; its answer "
                                    "reaches this replica within the replication lag",
                                    who)));
        continue;
      }
      // This replica's own earlier attempt (answered 503): the retry goes ahead.
    }
    p.idem_key = redis_key;
    kept.push_back(std::move(p));
  }
  batch = std::move(kept);
}

std::optional<bool> Replicator::check_role(RedisClient& redis, SteadyClock::time_point& checked) {
  if (SteadyClock::now() - checked <= kRoleEvery) return std::nullopt;
  checked = SteadyClock::now();
  std::string role = redis.role(shard_keys_[static_cast<size_t>(home_shard_)]);
  const bool answered = !role.empty();
  std::lock_guard lock(mu_);
  redis_role_ = std::move(role);
  return answered;
}

void Replicator::refresh_metrics() { backlog_records_.set(static_cast<double>(state_->backlog_size())); }

bool Replicator::position_trimmed() const {
  RedisClient redis(config_.redis);
  const std::vector<std::string> positions = state_->positions();
  for (size_t i = 0; i < shard_keys_.size(); ++i) {
    auto info = redis.pipeline(shard_keys_[i], {{"XINFO", "STREAM", shard_keys_[i]}});
    // A stream that is not there (an error reply) lost nothing.
    if (!info.ok() || info->empty() || (*info)[0].type != RedisReply::Type::kArray) continue;
    const auto& fields = (*info)[0].elements;
    int64_t length = 0, added = 0;
    std::string first, last;
    for (size_t f = 0; f + 1 < fields.size(); f += 2) {
      const std::string& name = fields[f].str;
      const RedisReply& v = fields[f + 1];
      if (name == "length") length = v.integer;
      if (name == "entries-added") added = v.integer;
      if (name == "last-generated-id") last = v.str;
      if (name == "first-entry" && v.type == RedisReply::Type::kArray && !v.elements.empty()) first = v.elements[0].str;
    }
    // XTRIM leaves no mark of its own (max-deleted-entry-id moves only with XDEL): entries were
    // removed when fewer are left than were ever added, and this node may miss some of them when
    // its position lies before the first one left (or, all gone, before the last one added).
    // Conservative: removed entries all at or below the position also say "trimmed", and the
    // node bootstraps when it need not have; it never resumes past a gap.
    if (added <= length) continue;
    const std::string& floor = length == 0 ? last : first;
    if (!floor.empty() && stream_id_after(floor, positions[i])) return true;
  }
  return false;
}

}  // namespace budgetd::cluster
