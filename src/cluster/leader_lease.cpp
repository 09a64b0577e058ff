#include "budgetd/cluster/leader_lease.h"

#include "budgetd/core/log.h"

namespace budgetd::cluster {
namespace {

using Steady = std::chrono::steady_clock;

int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Steady::now().time_since_epoch()).count();
}

// Renewal must be one atomic step: a GET followed by a PEXPIRE would extend a lease that
// expired, and that a peer took, between the two, and two nodes would send notifications.
constexpr std::string_view kRenew =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) else return 0 end";
// Release at stop likewise: delete only our own lease, never the next holder's.
constexpr std::string_view kRelease =
    "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

}  // namespace

LeaderLease::LeaderLease(const config::ClusterConfig& config, metrics::Registry& metrics)
    : config_(config),
      key_(config.stream + ":leader"),
      leader_gauge_(metrics.gauge("budgetd_cluster_leader",
                                  "1 while this node holds the notification lease (it alone sends notifications)")),
      acquired_(metrics.counter("budgetd_cluster_leader_acquisitions_total",
                                "Times this node took the notification lease")) {}

LeaderLease::~LeaderLease() { stop(); }

bool LeaderLease::held() const { return steady_ns() < held_until_.load(std::memory_order_relaxed); }

std::string LeaderLease::leader() const {
  std::lock_guard l(mu_);
  return holder_;
}

void LeaderLease::set_holder(std::string holder) {
  std::lock_guard l(mu_);
  holder_ = std::move(holder);
}

bool LeaderLease::step(RedisClient& redis) {
  const std::string ms = std::to_string(config_.lease.count());
  // Counted from before the command is sent: Redis's expiry starts later than this, never earlier.
  const int64_t sent = steady_ns();
  // A tenth of the lease (at least 50 ms) of margin for clock-rate differences and the reply's way back.
  const int64_t margin = std::max<int64_t>(config_.lease.count() / 10, 50) * 1'000'000;
  const int64_t until = sent + config_.lease.count() * 1'000'000 - margin;
  const bool was_held = held();
  bool ours = false;
  if (was_held) {
    // EVAL's first argument is the script, not the key: pipeline() routes by the key named here.
    auto r = redis.pipeline(key_, {{"EVAL", std::string(kRenew), "1", key_, config_.node, ms}});
    ours = r.ok() && !r->empty() && (*r)[0].type == RedisReply::Type::kInteger && (*r)[0].integer == 1;
    if (!r.ok()) log::warn("cluster: the leader lease could not be renewed").field("error", r.status().message());
  }
  if (!ours) {
    auto r = redis.command({"SET", key_, config_.node, "NX", "PX", ms});
    ours = r.ok() && r->type == RedisReply::Type::kStatus;
    if (ours) {
      acquired_.inc();
      log::info("cluster: this node now sends notifications (it took the leader lease)").field("node", config_.node);
    }
  }
  if (ours) {
    held_until_.store(until, std::memory_order_relaxed);
    set_holder(config_.node);
  } else {
    held_until_.store(0, std::memory_order_relaxed);
    if (was_held) log::warn("cluster: this node lost the leader lease; it stops sending notifications");
    auto r = redis.command({"GET", key_});
    set_holder(r.ok() && r->type == RedisReply::Type::kString ? r->str : "");
  }
  leader_gauge_.set(ours ? 1 : 0);
  return ours;
}

void LeaderLease::start() {
  std::lock_guard l(mu_);
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void LeaderLease::loop() {
  RedisClient redis(config_.redis);
  const auto every = std::chrono::milliseconds(std::max<int64_t>(config_.lease.count() / 3, 1));
  for (;;) {
    step(redis);
    std::unique_lock l(mu_);
    if (wake_.wait_for(l, every, [&] { return stopping_; })) break;
  }
  if (held()) {
    // A graceful stop hands over at once instead of after the lease runs out.
    held_until_.store(0, std::memory_order_relaxed);
    leader_gauge_.set(0);
    (void)redis.pipeline(key_, {{"EVAL", std::string(kRelease), "1", key_, config_.node}});
  }
}

void LeaderLease::stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace budgetd::cluster
