// The replication log's read side: one tailer per shard reads the stream (XREAD BLOCK) and
// applies each record this replica has not counted yet, inside the write gate; and the
// ReplicationView's status, from what the tailers and the publisher last saw.

#include <algorithm>
#include <thread>

#include <fmt/format.h>

#include "budgetd/cluster/redis_client.h"
#include "budgetd/cluster/replicator.h"
#include "budgetd/core/log.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/record_applier.h"
#include "replication_state.h"
#include "stream_record.h"

namespace budgetd::cluster {
namespace {

// Entries one XREAD returns: a burst is applied under one gate ticket.
constexpr int kReadCount = 256;
// How long an XREAD waits for new entries: also how soon a tailer notices stop().
constexpr int kBlockMs = 100;
// How often a tailer that is behind asks Redis how far (one Lua call per shard).
constexpr auto kLagEvery = std::chrono::milliseconds(500);

// Counts a stream's entries after `position` on the server, so that measuring the lag moves
// no payloads (XRANGE would send every record): one read-only step, atomic as any script.
constexpr const char* kCountAfter = "return #redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+')";

int64_t unix_ms_now() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void Replicator::tail_loop(int shard) {
  auto client = std::make_unique<RedisClient>(config_.redis);
  // Through Sentinel, each read also asks ROLE: a tailer must never go on reading a master that
  // was demoted (its history may differ from the new master's, and positions are stream ids).
  const bool sentinel = !config_.redis.sentinels.empty();
  Tail& tail = *tails_[static_cast<size_t>(shard)];
  const std::string& key = shard_keys_[static_cast<size_t>(shard)];
  auto lag_checked = std::chrono::steady_clock::time_point{};
  while (!tailers_stop_.load(std::memory_order_relaxed)) {
    RedisClient& redis = *client;
    const std::string position = state_->position(shard);
    std::vector<std::vector<std::string>> cmds;
    if (sentinel) cmds.push_back({"ROLE"});
    cmds.push_back(
        {"XREAD", "COUNT", std::to_string(kReadCount), "BLOCK", std::to_string(kBlockMs), "STREAMS", key, position});
    auto replies = redis.pipeline(key, cmds);
    if (sentinel && replies.ok()) {
      const RedisReply& role = replies->front();
      if (role.type != RedisReply::Type::kArray || role.elements.empty() || role.elements[0].str != "master") {
        log::warn("replication: the tailer's Redis is no longer the master; asking the Sentinels again")
            .field("server", redis.server_for(key));
        client = std::make_unique<RedisClient>(config_.redis);
        continue;
      }
      replies->erase(replies->begin());
    }
    if (!replies.ok() || replies->empty() || (*replies)[0].is_error()) {
      tail.reachable.store(false, std::memory_order_relaxed);
      if (replies.ok() && !replies->empty()) {
        log::warn("replication: XREAD failed").field("stream", key).field("error", (*replies)[0].str);
        std::this_thread::sleep_for(std::chrono::milliseconds(kBlockMs));
      }
      continue;
    }
    tail.reachable.store(true, std::memory_order_relaxed);
    const RedisReply& reply = (*replies)[0];
    std::vector<StreamRecord> records;
    // [[key, [entry, ...]]]; nil when BLOCK ran out with nothing new.
    if (reply.type == RedisReply::Type::kArray && !reply.elements.empty() && reply.elements[0].elements.size() == 2) {
      for (const RedisReply& entry : reply.elements[0].elements[1].elements) {
        auto r = decode_entry(entry);
        if (r.ok()) {
          records.push_back(std::move(*r));
        } else {
          // Not budgetd's: step over it (its id is all we can keep).
          log::warn("replication: skipped an entry that is not a budgetd record")
              .field("stream", key)
              .field("error", r.status().message());
          StreamRecord alien;
          alien.id = entry.elements.empty() ? position : entry.elements[0].str;
          records.push_back(std::move(alien));
        }
      }
    }
    const size_t consumed = apply_entries(shard, records);
    const bool behind = consumed < records.size() || records.size() == static_cast<size_t>(kReadCount);
    if (!behind) {
      tail.oldest_unapplied_ms.store(0, std::memory_order_relaxed);
      tail.lag_records.store(0, std::memory_order_relaxed);
    } else {
      const std::string& next = consumed < records.size() ? records[consumed].id : records.back().id;
      tail.oldest_unapplied_ms.store(stream_id_ms(next), std::memory_order_relaxed);
      if (std::chrono::steady_clock::now() - lag_checked > kLagEvery) {
        lag_checked = std::chrono::steady_clock::now();
        update_lag(redis, shard, state_->position(shard));
      }
    }
    if (consumed < records.size()) {
      // This node's own record, which its publisher is still confirming, or a batch whose key
      // this node is committing: look again shortly.
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    uint64_t lag = 0;
    int64_t oldest = 0;
    for (const auto& t : tails_) {
      lag += t->lag_records.load(std::memory_order_relaxed);
      const int64_t o = t->oldest_unapplied_ms.load(std::memory_order_relaxed);
      if (o != 0 && (oldest == 0 || o < oldest)) oldest = o;
    }
    lag_records_.set(static_cast<double>(lag));
    lag_seconds_.set(oldest == 0 ? 0.0 : std::max<double>(0, static_cast<double>(unix_ms_now() - oldest) / 1000.0));
  }
}

void Replicator::update_lag(RedisClient& redis, int shard, const std::string& position) {
  const std::string& key = shard_keys_[static_cast<size_t>(shard)];
  auto n = redis.pipeline(key, {{"EVAL", kCountAfter, "1", key, position}});
  if (n.ok() && !n->empty() && (*n)[0].type == RedisReply::Type::kInteger)
    tails_[static_cast<size_t>(shard)]->lag_records.store(static_cast<uint64_t>((*n)[0].integer),
                                                          std::memory_order_relaxed);
}

size_t Replicator::apply_entries(int shard, const std::vector<StreamRecord>& records) {
  if (records.empty()) return 0;
  // Inside the gate: a snapshot sees each record applied and the position past it, or neither.
  store::WriteGate::Ticket ticket = deps_.gate.enter();
  const std::shared_ptr<const store::SloSet> slos = deps_.current_slos();
  // Beside the server's readers and ingest writers: the lock-free writes.
  durable::RecordApplier applier(*slos, deps_.keys, states_, store::WriteAccess::kShared);
  // acquire: pairs with the publisher's release store, so the marks made under this epoch are seen.
  const uint64_t epoch = epoch_.load(std::memory_order_acquire);
  const Timestamp now = deps_.clock.now();
  size_t i = 0;
  for (; i < records.size(); ++i) {
    const StreamRecord& r = records[i];
    if (!r.origin.empty()) {
      const ReplicationState::Verdict v = state_->judge(r, epoch);
      if (v == ReplicationState::Verdict::kWait) break;
      const Admission a = v != ReplicationState::Verdict::kApply  ? Admission::kSkip
                          : r.type == durable::RecordType::kBatch ? admit_batch(r, *slos, now)
                                                                  : Admission::kApply;
      if (a == Admission::kWait) break;
      if (a == Admission::kApply) {
        if (Status s = applier.apply(r.type, r.payload, 0, now); !s.ok()) {
          log::error("replication: a record could not be applied; skipped")
              .field("id", r.id)
              .field("origin", r.origin)
              .field("error", s.message());
        } else {
          applied_records_.inc();
        }
      }
    }
    state_->advance(shard, r);
  }
  return i;
}

Replicator::Admission Replicator::admit_batch(const StreamRecord& r, const store::SloSet& set, Timestamp now) {
  auto batch = durable::decode_batch(r.payload);
  // The applier reports it: undecodable, or SLOs by a dictionary that never leaves its node's
  // log (no budgetd publishes those), before a key is claimed that no apply would complete.
  if (!batch.ok() || batch->by_dictionary) return Admission::kApply;
  // A key past its TTL is forgotten everywhere (restore() ignores it): nothing to claim.
  if (batch->idempotency && batch->idempotency->received + deps_.idempotency_ttl > now) {
    const durable::IdempotentAnswer& key = *batch->idempotency;
    std::string first;
    const auto claim = deps_.keys.claim(key.key, key.body_hash, now, &first);
    // Counted here already under this key (the same batch, retried on two replicas): once.
    if (claim == durable::IdempotencyTable::Claim::kReplay) return Admission::kSkip;
    // This replica is committing a retry of the same batch right now. Applying the stream's
    // copy as well would count it twice here, so wait for that commit: under ack: local it
    // completes the key (then kReplay above); under ack: replicated its publisher finds the
    // key held in Redis and refuses it (then kNew, and the stream's copy is the one that counts).
    if (claim == durable::IdempotencyTable::Claim::kInFlight) return Admission::kWait;
    // kNew left the key in flight: the applier's restore() completes it.
  }
  std::lock_guard lock(mismatch_mu_);
  for (const durable::BatchRecord::Slo& slo : batch->slos) {
    const int j = set.index_of(slo.name);
    const char* reason = nullptr;
    if (j < 0)
      reason = "unknown here";
    else if (set.slos()[static_cast<size_t>(j)].identity_hash != slo.identity_hash)
      reason = "identity differs";
    if (reason == nullptr) {
      mismatched_.erase(slo.name);  // a reload made it match
      continue;
    }
    auto [it, fresh] = mismatched_.try_emplace(slo.name, MismatchedSlo{slo.name, reason, 0});
    if (fresh || it->second.reason != reason) {
      it->second.reason = reason;
      log::warn("replication: records name an SLO this node cannot apply them to; its deltas are dropped here")
          .field("slo", slo.name)
          .field("reason", reason)
          .field("origin", r.origin);
    }
    ++it->second.records;
  }
  mismatched_slos_.set(static_cast<double>(mismatched_.size()));
  return Admission::kApply;
}

ReplicationStatus Replicator::status() const {
  ReplicationStatus s;
  s.node = config_.node;
  s.applied = state_->positions();
  s.snapshot = state_->snapshot_positions();
  bool reachable = redis_reachable_.load(std::memory_order_relaxed);
  int64_t oldest = 0;
  for (const auto& t : tails_) {
    reachable = reachable && t->reachable.load(std::memory_order_relaxed);
    s.lag_records += t->lag_records.load(std::memory_order_relaxed);
    const int64_t o = t->oldest_unapplied_ms.load(std::memory_order_relaxed);
    if (o != 0 && (oldest == 0 || o < oldest)) oldest = o;
  }
  s.redis_reachable = reachable;
  s.lag_seconds = oldest == 0 ? 0.0 : std::max<double>(0, static_cast<double>(unix_ms_now() - oldest) / 1000.0);
  s.stale = !reachable || s.lag_seconds > std::chrono::duration<double>(config_.stale_after).count();
  s.backlog_records = state_->backlog_size();
  {
    std::lock_guard lock(mismatch_mu_);
    for (const auto& [name, m] : mismatched_) s.mismatched.push_back(m);
  }
  std::lock_guard lock(mu_);
  s.redis_role = redis_role_;
  return s;
}

}  // namespace budgetd::cluster
