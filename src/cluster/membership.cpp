#include "budgetd/cluster/membership.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>

#include "budgetd/core/log.h"

namespace budgetd::cluster {
namespace {

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) {
    if (!out.empty()) out += ',';
    out += s;
  }
  return out;
}

std::vector<std::string> split(std::string_view text) {
  std::vector<std::string> out;
  if (text.empty()) return out;
  size_t pos = 0;
  for (;;) {
    const size_t comma = text.find(',', pos);
    out.emplace_back(text.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos));
    if (comma == std::string_view::npos) return out;
    pos = comma + 1;
  }
}

std::pair<uint64_t, uint64_t> parse_id(std::string_view id) {
  uint64_t ms = 0, seq = 0;
  const size_t dash = id.find('-');
  const std::string_view a = id.substr(0, dash);
  if (std::from_chars(a.data(), a.data() + a.size(), ms).ec != std::errc{}) return {0, 0};
  if (dash != std::string_view::npos) {
    const std::string_view b = id.substr(dash + 1);
    if (std::from_chars(b.data(), b.data() + b.size(), seq).ec != std::errc{}) return {ms, 0};
  }
  return {ms, seq};
}

// name -> identity hash, from slo_identities() text.
std::map<std::string, std::string> parse_identities(std::string_view text) {
  std::map<std::string, std::string> out;
  for (const std::string& item : split(text)) {
    const size_t eq = item.rfind('=');
    if (eq != std::string::npos) out[item.substr(0, eq)] = item.substr(eq + 1);
  }
  return out;
}

const std::string* field(const RedisReply& hash, std::string_view name) {
  // HGETALL: field, value, field, value, ...
  for (size_t i = 0; i + 1 < hash.elements.size(); i += 2) {
    if (hash.elements[i].str == name) return &hash.elements[i + 1].str;
  }
  return nullptr;
}

ClusterNode parse_heartbeat(std::string name, const RedisReply& hash) {
  ClusterNode n;
  n.node = std::move(name);
  const auto text = [&](std::string_view f) { return field(hash, f) ? *field(hash, f) : std::string(); };
  n.advertise = text("advertise");
  n.config_hash = text("config_hash");
  n.applied = split(text("applied"));
  n.snapshot = split(text("snapshot"));
  const std::string lag = text("lag_records");
  std::from_chars(lag.data(), lag.data() + lag.size(), n.lag_records);
  n.lag_seconds = std::atof(text("lag_seconds").c_str());
  int64_t ms = 0;
  const std::string t = text("time");
  std::from_chars(t.data(), t.data() + t.size(), ms);
  n.heartbeat = from_unix_ms(ms);
  return n;
}

}  // namespace

std::string slo_identities(const store::SloSet& slos) {
  std::vector<std::string> items;
  for (const store::StoredSlo& s : slos.slos())
    items.push_back(fmt::format("{}={:016x}", s.spec->name, s.identity_hash));
  std::sort(items.begin(), items.end());
  return join(items);
}

std::string config_hash(const store::SloSet& slos) {
  uint64_t h = 14695981039346656037ull;  // FNV-1a
  for (const char c : slo_identities(slos)) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return fmt::format("{:016x}", h);
}

int compare_stream_ids(std::string_view a, std::string_view b) {
  const auto x = parse_id(a), y = parse_id(b);
  return x < y ? -1 : (y < x ? 1 : 0);
}

Result<std::vector<ClusterNode>> read_heartbeats(RedisClient& redis, const config::ClusterConfig& config) {
  const std::string set_key = config.stream + ":nodes";
  BUDGETD_ASSIGN_OR_RETURN(RedisReply members, redis.command({"SMEMBERS", set_key}));
  if (members.is_error()) return Unavailable("SMEMBERS " + set_key + ": " + members.str);
  std::vector<ClusterNode> nodes;
  for (const RedisReply& m : members.elements) {
    const std::string key = config.stream + ":node:" + m.str;
    BUDGETD_ASSIGN_OR_RETURN(RedisReply hash, redis.command({"HGETALL", key}));
    if (hash.is_error()) return Unavailable("HGETALL " + key + ": " + hash.str);
    if (hash.elements.empty()) {
      // Its heartbeat expired: the node is gone. Forget the name too, so the set stays small.
      (void)redis.command({"SREM", set_key, m.str});
      continue;
    }
    nodes.push_back(parse_heartbeat(m.str, hash));
  }
  std::sort(nodes.begin(), nodes.end(), [](const ClusterNode& a, const ClusterNode& b) { return a.node < b.node; });
  return nodes;
}

Membership::Membership(const config::ClusterConfig& config, std::vector<std::string> shard_keys, SloSource slos,
                       const ReplicationView& replication, const LeaderLease* lease, const Clock& clock,
                       metrics::Registry& metrics)
    : config_(config),
      shard_keys_(std::move(shard_keys)),
      node_key_(config.stream + ":node:" + config.node),
      nodes_key_(config.stream + ":nodes"),
      slos_(std::move(slos)),
      replication_(replication),
      lease_(lease),
      clock_(clock),
      nodes_gauge_(metrics.gauge("budgetd_cluster_nodes",
                                 "Live nodes in the cluster (heartbeat not expired), this one included")),
      mismatched_gauge_(metrics.gauge("budgetd_cluster_config_mismatched_nodes",
                                      "Live nodes whose SLO names and identities differ from this node's")),
      trimmed_(metrics.counter("budgetd_cluster_trimmed_records_total",
                               "Stream entries this node trimmed below every live node's snapshot position")),
      heartbeat_failures_(
          metrics.counter("budgetd_cluster_heartbeat_failures_total", "Heartbeat rounds that could not reach Redis")) {
  status_.node = config_.node;
}

Membership::~Membership() { stop(); }

Status Membership::write_heartbeat(RedisClient& redis, const ReplicationStatus& self) {
  std::vector<std::string> hset = {"HSET",        node_key_,
                                   "advertise",   config_.advertise,
                                   "config_hash", hash_,
                                   "applied",     join(self.applied),
                                   "snapshot",    join(self.snapshot),
                                   "lag_records", std::to_string(self.lag_records),
                                   "lag_seconds", fmt::format("{:.3f}", self.lag_seconds),
                                   "time",        std::to_string(to_unix_ms(clock_.now()))};
  // The SLO list is long (one entry per SLO): sent only when it changed or the hash had expired.
  if (write_identities_) {
    hset.push_back("slos");
    hset.push_back(identities_);
  }
  BUDGETD_ASSIGN_OR_RETURN(
      std::vector<RedisReply> replies,
      redis.pipeline(node_key_, {hset, {"PEXPIRE", node_key_, std::to_string(config_.node_timeout.count())}}));
  if (replies.size() != 2 || replies[0].is_error()) {
    return Unavailable("heartbeat: " + (replies.empty() ? std::string("no reply") : replies[0].str));
  }
  // HSET answers how many fields it created: all of them means the hash had expired meanwhile
  // (this node was away longer than node_timeout) and the SLO list must be sent again.
  write_identities_ = !write_identities_ && replies[0].integer > 0;
  BUDGETD_ASSIGN_OR_RETURN(RedisReply added, redis.command({"SADD", nodes_key_, config_.node}));
  if (added.is_error()) return Unavailable("SADD " + nodes_key_ + ": " + added.str);
  return Status::Ok();
}

void Membership::compare_configs(RedisClient& redis, std::vector<ClusterNode>& nodes) {
  size_t differing = 0;
  for (ClusterNode& n : nodes) {
    n.config_matches = n.config_hash == hash_;
    if (n.config_matches) {
      compared_.erase(n.node);
      differences_.erase(n.node);
      continue;
    }
    ++differing;
    auto seen = compared_.find(n.node);
    if (seen == compared_.end() || seen->second != n.config_hash) {
      // A new difference: compare the SLO lists once, and say it once per SLO.
      auto listed = redis.command({"HGET", config_.stream + ":node:" + n.node, "slos"});
      if (!listed.ok() || listed->type != RedisReply::Type::kString) continue;  // asked again next round
      const auto theirs = parse_identities(listed->str);
      const auto ours = parse_identities(identities_);
      std::vector<MismatchedSlo> diff;
      for (const auto& [name, id] : theirs) {
        auto it = ours.find(name);
        if (it == ours.end())
          diff.push_back({name, "unknown here", 0});
        else if (it->second != id)
          diff.push_back({name, "identity differs", 0});
      }
      for (const auto& [name, id] : ours) {
        if (!theirs.contains(name)) diff.push_back({name, "missing there", 0});
      }
      for (const MismatchedSlo& d : diff) {
        log::warn("cluster: a node's SLOs differ from this node's; records for this SLO are not applied across them")
            .field("node", n.node)
            .field("slo", d.name)
            .field("reason", d.reason);
      }
      compared_[n.node] = n.config_hash;
      differences_[n.node] = std::move(diff);
    }
    n.slo_differences = differences_[n.node];
  }
  mismatched_gauge_.set(static_cast<double>(differing));
}

uint64_t Membership::trim(RedisClient& redis, const std::vector<ClusterNode>& nodes) {
  uint64_t removed = 0;
  for (size_t shard = 0; shard < shard_keys_.size(); ++shard) {
    // The smallest position any live node could resume from; a node that reports none for this
    // shard (it has not snapshotted yet) holds the whole shard.
    std::string floor;
    bool known = !nodes.empty();
    for (const ClusterNode& n : nodes) {
      if (shard >= n.snapshot.size() || compare_stream_ids(n.snapshot[shard], "0-0") == 0) {
        known = false;
        break;
      }
      if (floor.empty() || compare_stream_ids(n.snapshot[shard], floor) < 0) floor = n.snapshot[shard];
    }
    if (!known) continue;
    // Exact trimming (=): entries below the floor go, the floor itself stays (a node resumes
    // after it). "~" would be cheaper but leaves a variable tail, and the cost is per entry removed.
    auto r = redis.command({"XTRIM", shard_keys_[shard], "MINID", "=", floor});
    if (r.ok() && r->type == RedisReply::Type::kInteger) removed += static_cast<uint64_t>(r->integer);
  }
  return removed;
}

Status Membership::step(RedisClient& redis) {
  std::shared_ptr<const store::SloSet> slos = slos_();
  if (slos != hashed_slos_) {
    // A reload may have changed the SLOs: recompute, and send the list with the next heartbeat.
    std::string identities = slo_identities(*slos);
    if (identities != identities_) {
      identities_ = std::move(identities);
      hash_ = config_hash(*slos);
      write_identities_ = true;
      compared_.clear();
      differences_.clear();
    }
    hashed_slos_ = std::move(slos);
  }
  const ReplicationStatus self = replication_.status();
  Status written = write_heartbeat(redis, self);
  Result<std::vector<ClusterNode>> nodes =
      written.ok() ? read_heartbeats(redis, config_) : Result<std::vector<ClusterNode>>(written);
  if (!nodes.ok()) {
    heartbeat_failures_.inc();
    std::lock_guard l(mu_);
    status_.leader = lease_ ? lease_->leader() : "";
    status_.is_leader = lease_ && lease_->held();
    return nodes.status();
  }
  compare_configs(redis, *nodes);
  const uint64_t removed = trim(redis, *nodes);
  trimmed_.inc(removed);
  nodes_gauge_.set(static_cast<double>(nodes->size()));
  std::lock_guard l(mu_);
  status_.config_hash = hash_;
  status_.leader = lease_ ? lease_->leader() : "";
  status_.is_leader = lease_ && lease_->held();
  status_.membership_known = true;
  status_.nodes = std::move(*nodes);
  status_.trimmed_records += removed;
  return Status::Ok();
}

ClusterStatus Membership::cluster_status() const {
  std::lock_guard l(mu_);
  ClusterStatus s = status_;
  // The lease changes between rounds; ask it now.
  if (lease_) {
    s.is_leader = lease_->held();
    if (const std::string leader = lease_->leader(); !leader.empty()) s.leader = leader;
  }
  return s;
}

void Membership::start() {
  {
    std::lock_guard l(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { loop(); });
}

void Membership::loop() {
  RedisClient redis(config_.redis);
  bool failing = false;
  for (;;) {
    // One line when Redis goes away and one when it is back, not one per round.
    if (Status s = step(redis); !s.ok() && !failing) {
      failing = true;
      log::warn("cluster: heartbeats cannot reach Redis; the last view of the cluster stays")
          .field("error", s.message());
    } else if (s.ok() && failing) {
      failing = false;
      log::info("cluster: heartbeats reach Redis again");
    }
    std::unique_lock l(mu_);
    if (wake_.wait_for(l, config_.heartbeat_interval, [&] { return stopping_; })) return;
  }
}

void Membership::stop() {
  {
    std::lock_guard l(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace budgetd::cluster
