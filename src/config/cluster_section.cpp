// `cluster:`: the replica's name, how it finds Redis (a URL, or Sentinels and a master name),
// and how the replication log acknowledges (DESIGN.md §8). Absent: the embedded single-node mode.

#include <fmt/format.h>

#include "sections.h"

namespace budgetd::config {
namespace {

bool is_node_name(std::string_view s) {
  if (s.empty() || s.size() > 63) return false;
  for (const char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// "host:port" with a non-empty host and a port in 1..65535.
bool is_host_port(std::string_view s) {
  const size_t colon = s.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == s.size() || s.size() - colon > 6) return false;
  uint32_t port = 0;
  for (const char c : s.substr(colon + 1)) {
    if (c < '0' || c > '9') return false;
    port = port * 10 + static_cast<uint32_t>(c - '0');
  }
  return port >= 1 && port <= 65535;
}

// Key prefixes end up in every Redis key: printable, no spaces, no braces (Cluster hash tags are
// budgetd's to choose, shard by shard).
bool is_stream_prefix(std::string_view s) {
  if (s.empty() || s.size() > 64 || !is_printable(s)) return false;
  return s.find_first_of(" {}") == std::string_view::npos;
}

void read_redis(MapReader& m, RedisConfig& r) {
  if (auto v = m.string("url")) {
    constexpr std::string_view kScheme = "redis://";
    if (v->rfind(kScheme, 0) != 0 || !is_host_port(std::string_view(*v).substr(kScheme.size())))
      m.diags().error(m.get("url"), fmt::format("cluster.redis.url must be redis://host:port, not '{}'", *v));
    else
      r.url = *v;
  }
  if (const YAML::Node list = m.get("sentinels"); list.IsDefined()) {
    if (!list.IsSequence() || list.size() == 0) {
      m.diags().error(list, "cluster.redis.sentinels must be a non-empty list of \"host:port\"");
    } else {
      for (const auto& s : list) {
        if (!s.IsScalar() || !is_host_port(s.Scalar()))
          m.diags().error(s, "cluster.redis.sentinels: each Sentinel is \"host:port\", e.g. \"10.0.0.7:26379\"");
        else
          r.sentinels.push_back(s.Scalar());
      }
    }
  }
  if (auto v = m.string("master")) {
    if (v->empty() || !is_printable(*v) || v->find(' ') != std::string::npos)
      m.diags().error(m.get("master"), "cluster.redis.master must be the Sentinel master name, such as budgetd");
    else
      r.master = *v;
  }
  const bool url = m.get("url").IsDefined();
  const bool sentinel = m.get("sentinels").IsDefined() || m.get("master").IsDefined();
  if (url == sentinel) {
    m.diags().error(m.node(), "cluster.redis needs exactly one of url (redis://host:port) or sentinels + master");
  } else if (sentinel && (!m.get("sentinels").IsDefined() || !m.get("master").IsDefined())) {
    m.diags().error(m.node(), "cluster.redis: sentinels and master go together (the Sentinels and the master's name)");
  }
  if (auto v = m.unsigned_integer("shards", 1, 1024)) r.shards = static_cast<int>(*v);
  if (auto v = m.duration("timeout")) {
    if (*v <= Millis{0} || *v > kMinute)
      m.diags().error(m.get("timeout"), "cluster.redis.timeout must be more than 0 and at most 1m");
    else
      r.timeout = *v;
  }
}

}  // namespace

void read_cluster(MapReader& m, std::optional<ClusterConfig>& out) {
  if (!m.valid()) return;
  ClusterConfig c;
  if (auto v = m.string("node", true)) {
    if (!is_node_name(*v))
      m.diags().error(m.get("node"), fmt::format("cluster.node must be 1-63 of a-z, 0-9 and '-', not '{}'", *v));
    else
      c.node = *v;
  }
  if (auto v = m.string("advertise")) {
    if (auto parsed = parse_http_url(*v); !parsed.ok())
      m.diags().error(m.get("advertise"), fmt::format("cluster.advertise: {}", parsed.status().message()));
    else
      c.advertise = *v;
  }
  if (const YAML::Node r = m.get("redis"); !r.IsDefined()) {
    m.diags().error(m.node(),
                    "cluster.redis is required: {url: \"redis://host:port\"} or {sentinels: [...], master: name}");
  } else {
    MapReader rm(r, m.diags(), "cluster.redis");
    if (rm.valid()) read_redis(rm, c.redis);
  }
  if (auto v = m.string("stream")) {
    if (!is_stream_prefix(*v))
      m.diags().error(
          m.get("stream"),
          fmt::format("cluster.stream must be 1-64 printable characters without spaces or braces, not '{}'", *v));
    else
      c.stream = *v;
  }
  if (auto v = m.string("ack")) {
    if (*v == "replicated")
      c.ack = AckMode::kReplicated;
    else if (*v == "local")
      c.ack = AckMode::kLocal;
    else
      m.diags().error(m.get("ack"), fmt::format("cluster.ack must be replicated or local, not '{}'", *v));
  }
  if (auto v = m.unsigned_integer("wait_replicas", 0, 100)) c.wait_replicas = static_cast<int>(*v);
  if (auto v = m.string("peer_token_file")) c.peer_token_file = *v;
  const auto positive = [&](std::string_view key, Millis max, Millis& to) {
    if (auto v = m.duration(key)) {
      if (*v <= Millis{0} || *v > max)
        m.diags().error(m.get(key),
                        fmt::format("cluster.{} must be more than 0 and at most {}", key, format_duration(max)));
      else
        to = *v;
    }
  };
  positive("heartbeat_interval", kMinute, c.heartbeat_interval);
  positive("node_timeout", kHour, c.node_timeout);
  positive("lease", kMinute, c.lease);
  positive("stale_after", kHour, c.stale_after);
  if (c.node_timeout <= c.heartbeat_interval)
    m.diags().error(m.node(), "cluster.node_timeout must be longer than cluster.heartbeat_interval");
  out = std::move(c);
}

}  // namespace budgetd::config
