#include "budgetd/cluster/bootstrap.h"

#include "budgetd/cluster/membership.h"
#include "budgetd/core/log.h"
#include "budgetd/durable/snapshot.h"
#include "budgetd/net/http_client.h"

namespace budgetd::cluster {
namespace {

// A snapshot of many SLOs is far larger than any other answer budgetd fetches.
constexpr size_t kSnapshotLimit = size_t{1} << 30;
constexpr Millis kFetchTimeout = 60 * kSecond;

std::string trimmed(std::string s) {
  const auto space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!s.empty() && space(s.back())) s.pop_back();
  size_t i = 0;
  while (i < s.size() && space(s[i])) ++i;
  return s.substr(i);
}

Result<std::string> fetch_snapshot(const ClusterNode& peer, const std::string& token) {
  BUDGETD_ASSIGN_OR_RETURN(config::HttpTarget target, config::parse_http_url(peer.advertise));
  target.timeout = kFetchTimeout;
  if (!token.empty()) target.headers["Authorization"] = "Bearer " + token;
  BUDGETD_ASSIGN_OR_RETURN(net::HttpAnswer answer,
                           net::http_request(target, "GET", "/v1/admin/snapshot", "", kSnapshotLimit));
  if (answer.status != 200) {
    return Unavailable("GET " + peer.advertise + "/v1/admin/snapshot answered " + std::to_string(answer.status) + ": " +
                       answer.body.substr(0, 300));
  }
  return std::move(answer.body);
}

}  // namespace

bool data_dir_empty(durable::Env& env, const std::string& dir) {
  if (auto names = env.list(dir); names.ok()) {
    for (const std::string& n : *names) {
      if (durable::parse_snapshot_name(n)) return false;
    }
  }
  auto segments = env.list(dir + "/wal");
  return !segments.ok() || segments->empty();
}

Result<std::string> set_aside_data(durable::Env& env, const std::string& dir, const std::string& stamp) {
  const std::string aside = dir + "/pre-bootstrap-" + stamp;
  BUDGETD_ASSIGN_OR_RETURN(std::vector<std::string> names, env.list(dir));
  bool created = false;
  for (const std::string& n : names) {
    // cluster-epoch goes too: with a peer's snapshot the node is a new incarnation of its
    // name, and the log gives it a new epoch (the old one's records are in the snapshot).
    if (!durable::parse_snapshot_name(n) && n != "wal" && n != "cluster-epoch") continue;
    if (!created) BUDGETD_RETURN_IF_ERROR(env.create_dirs(aside));
    created = true;
    BUDGETD_RETURN_IF_ERROR(env.rename(dir + "/" + n, aside + "/" + n));
  }
  if (!created) return std::string();
  BUDGETD_RETURN_IF_ERROR(env.sync_dir(dir));
  return aside;
}

Result<std::optional<BootstrapSource>> bootstrap_from_peer(durable::Env& env, const std::string& dir,
                                                           const config::ClusterConfig& config, RedisClient& redis) {
  std::string token;
  if (!config.peer_token_file.empty()) {
    BUDGETD_ASSIGN_OR_RETURN(std::string text, env.read_file(config.peer_token_file));
    token = trimmed(std::move(text));
  }
  BUDGETD_ASSIGN_OR_RETURN(std::vector<ClusterNode> nodes, read_heartbeats(redis, config));
  std::string failures;
  bool asked = false;
  for (const ClusterNode& peer : nodes) {
    if (peer.node == config.node || peer.advertise.empty()) continue;
    asked = true;
    auto bytes = fetch_snapshot(peer, token);
    if (bytes.ok()) {
      // Never write what recovery would then refuse as damaged: check it whole first.
      auto view = durable::decode_snapshot(*bytes);
      if (view.ok()) {
        BootstrapSource got{peer.node, durable::snapshot_name(view->cut), bytes->size(), view->cut};
        BUDGETD_RETURN_IF_ERROR(env.write_file_atomically(dir + "/" + got.snapshot, *bytes));
        return std::optional<BootstrapSource>(std::move(got));
      }
      bytes = view.status();
    }
    log::warn("cluster: bootstrap: a peer gave no usable snapshot; trying the next")
        .field("peer", peer.node)
        .field("error", bytes.status().message());
    failures += "\n" + peer.node + ": " + bytes.status().message();
  }
  if (!asked) return std::optional<BootstrapSource>();
  return Unavailable("no live peer gave a usable snapshot to bootstrap from:" + failures);
}

}  // namespace budgetd::cluster
