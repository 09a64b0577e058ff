#pragma once
// Bootstrap (DESIGN.md §8): a node that starts with an empty data dir, or whose saved stream
// position was trimmed away, loads a live peer's snapshot instead of replaying the log from the
// start. The snapshot carries the peer's "replication" state (its stream positions and
// high-water marks), so after loading it the node tails the streams from exactly there.
//
//   if (needs_bootstrap(env, dir)) {
//     auto got = bootstrap_from_peer(env, dir, config.cluster.value(), redis);   // before recover()
//   }
//   ... durable::recover(env, dir, ...) loads it as it would its own snapshot.
//
// Thread safety: none needed; the daemon calls these at start, before anything else runs.

#include <optional>
#include <string>

#include "budgetd/cluster/redis_client.h"
#include "budgetd/config/config.h"
#include "budgetd/core/status.h"
#include "budgetd/durable/env.h"

namespace budgetd::cluster {

// True when `dir` holds neither a snapshot nor a log segment: a new node.
bool data_dir_empty(durable::Env& env, const std::string& dir);

// Moves the snapshots, the log and the log's epoch file of `dir` into
// `dir/pre-bootstrap-<stamp>/` (kept for an operator, never read again), so the peer's snapshot
// is the only thing recovery finds. Returns that dir, or "" when there was nothing to move.
Result<std::string> set_aside_data(durable::Env& env, const std::string& dir, const std::string& stamp);

struct BootstrapSource {
  std::string peer;      // the node it came from
  std::string snapshot;  // the file written into dir
  uint64_t bytes = 0;
  uint64_t cut = 0;
};

// Asks each live peer (by its heartbeat's advertise URL, this node excluded) for
// GET /v1/admin/snapshot with `peer_token_file`'s token as bearer, checks the answer decodes as
// a snapshot, and writes it into `dir` under its own cut's name. std::nullopt when no peer is
// live (the first node of a cluster starts empty); Unavailable when peers are live but none gave
// a usable snapshot, or Redis cannot be asked.
Result<std::optional<BootstrapSource>> bootstrap_from_peer(durable::Env& env, const std::string& dir,
                                                           const config::ClusterConfig& config, RedisClient& redis);

}  // namespace budgetd::cluster
