#include "cluster_json.h"

namespace budgetd::api {

using json = nlohmann::ordered_json;

json replication_json(const cluster::ReplicationStatus& r) {
  return {{"lag_seconds", r.lag_seconds}, {"stale", r.stale}};
}

void add_replication(json& answer, const Backend& backend) {
  if (const cluster::ReplicationView* view = backend.replication())
    answer["replication"] = replication_json(view->status());
}

json cluster_json(const cluster::ClusterStatus& c, const cluster::ReplicationStatus& r, Timestamp now) {
  json nodes = json::array();
  json differ = json::array();
  for (const cluster::ClusterNode& n : c.nodes) {
    nodes.push_back({{"node", n.node},
                     {"advertise", n.advertise},
                     {"self", n.node == c.node},
                     {"leader", n.node == c.leader},
                     {"heartbeat", format_rfc3339(n.heartbeat)},
                     {"heartbeat_age_seconds", static_cast<double>((now - n.heartbeat).count()) / 1000.0},
                     {"applied", n.applied},
                     {"snapshot", n.snapshot},
                     {"lag_records", n.lag_records},
                     {"lag_seconds", n.lag_seconds},
                     {"config_hash", n.config_hash},
                     {"config_matches", n.config_matches}});
    if (!n.config_matches) {
      json diff = json::array();
      for (const cluster::MismatchedSlo& d : n.slo_differences) diff.push_back({{"slo", d.name}, {"reason", d.reason}});
      nodes.back()["slo_differences"] = std::move(diff);
      differ.push_back(n.node);
    }
  }
  json mismatched = json::array();
  for (const cluster::MismatchedSlo& m : r.mismatched) {
    mismatched.push_back({{"slo", m.name}, {"reason", m.reason}, {"records", m.records}});
  }
  return {{"node", c.node},
          {"leader", c.leader.empty() ? json(nullptr) : json(c.leader)},
          {"is_leader", c.is_leader},
          {"config_hash", c.config_hash},
          {"redis", {{"reachable", r.redis_reachable}, {"role", r.redis_role}}},
          {"replication",
           {{"lag_records", r.lag_records},
            {"lag_seconds", r.lag_seconds},
            {"stale", r.stale},
            {"backlog_records", r.backlog_records},
            {"applied", r.applied},
            {"snapshot", r.snapshot}}},
          {"membership_known", c.membership_known},
          {"nodes", std::move(nodes)},
          {"config_differs", std::move(differ)},
          {"mismatched_slos", std::move(mismatched)},
          {"trimmed_records", c.trimmed_records},
          {"evaluated_at", format_rfc3339(now)}};
}

}  // namespace budgetd::api
