// The cluster's routes: GET /v1/cluster (read scope: who is there, who leads, how far behind)
// and GET /v1/admin/snapshot (admin scope: a fresh snapshot a new or trimmed peer bootstraps from).

#include "api.h"
#include "cluster_json.h"
#include "handler_util.h"

namespace budgetd::api {

void Api::get_cluster(Request& req, Respond respond) {
  const cluster::ClusterView* cluster = backend_.cluster();
  const cluster::ReplicationView* replication = backend_.replication();
  if (cluster == nullptr || replication == nullptr) {
    return respond(reply_error(req, http::status::not_found,
                               "this budgetd runs embedded (its config has no cluster: section); there is no cluster"));
  }
  // Both are local copies: this answer never waits for Redis.
  respond(reply(req, http::status::ok, cluster_json(cluster->cluster_status(), replication->status(), clock_.now())));
}

void Api::get_admin_snapshot(Request& req, Respond respond) {
  auto bytes = backend_.snapshot_bytes();
  if (!bytes.ok()) return respond(reply_error(req, http::status::service_unavailable, bytes.status().message()));
  respond(reply_text(req, http::status::ok, std::move(*bytes), "application/octet-stream"));
}

}  // namespace budgetd::api
