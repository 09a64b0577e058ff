#pragma once
// JSON forms of the cluster's state: GET /v1/cluster, and the `replication` field that status,
// list and gate answers carry in cluster mode. Private to api.

#include <nlohmann/json.hpp>

#include "budgetd/api/server.h"
#include "budgetd/cluster/cluster_view.h"
#include "budgetd/cluster/replication_view.h"

namespace budgetd::api {

// {lag_seconds, stale}: what a CI gate needs to tell an answer from a replica that is behind.
nlohmann::ordered_json replication_json(const cluster::ReplicationStatus& r);
// Adds "replication" to `answer` when the backend runs in cluster mode; embedded answers stay as they were.
void add_replication(nlohmann::ordered_json& answer, const Backend& backend);
// GET /v1/cluster
nlohmann::ordered_json cluster_json(const cluster::ClusterStatus& c, const cluster::ReplicationStatus& r,
                                    Timestamp now);

}  // namespace budgetd::api
