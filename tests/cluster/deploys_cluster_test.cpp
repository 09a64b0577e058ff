// Deploys in a cluster: they are durable-state records, so they replicate like batches. Two
// replicas may draw the same deploy number at once; each deploy names its origin replica, so both
// are kept, with distinct ids, in the same order on every replica. A CI retry with the same
// Idempotency-Key sent to another replica, once the first reached it, is answered with the first.

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cluster_fixture.h"
#include "redis_server.h"

namespace budgetd::test {
namespace {

using json = nlohmann::json;

std::vector<std::string> deploy_ids(uint16_t port) {
  std::vector<std::string> ids;
  const HttpResult r = http_get(port, "/v1/deploys");
  EXPECT_EQ(r.status, 200) << r.body;
  const json answer = r.json();  // kept: the loop below reads into it
  for (const json& d : answer["deploys"]) ids.push_back(d["id"].get<std::string>());
  return ids;
}

TEST(ClusterDeploys, DeploysOfTwoReplicasAreBothKeptInOneOrderEverywhere) {
  RedisServer redis;
  std::vector<std::unique_ptr<TestDaemon>> nodes;
  for (const char* node : {"a", "b", "c"})
    nodes.push_back(std::make_unique<TestDaemon>(replica_yaml(node, url_redis(redis.url()), "replicated")));
  const std::string body = R"({"service":"checkout","version":"v1","ts":"2026-11-24T09:59:00Z"})";
  const HttpResult on_a = HttpClient(nodes[0]->port()).post("/v1/deploys", body);
  const HttpResult on_b = HttpClient(nodes[1]->port()).post("/v1/deploys", body);
  ASSERT_EQ(on_a.status, 201) << on_a.body;
  ASSERT_EQ(on_b.status, 201) << on_b.body;
  // b may or may not have applied a's deploy before drawing its number (the unit tests pin the
  // case where both draw 1); either way both are kept, told apart by origin, listed alike.
  EXPECT_EQ(on_a.json()["id"], "d-a-1");
  EXPECT_EQ(on_b.json()["id"].get<std::string>().rfind("d-b-", 0), 0u) << on_b.body;
  const std::vector<std::string> expected = {on_b.json()["id"], on_a.json()["id"]};  // newest first
  for (auto& n : nodes) {
    EXPECT_TRUE(eventually([&] { return deploy_ids(n->port()) == expected; }))
        << ::testing::PrintToString(deploy_ids(n->port()));
  }

  // A retry on another replica after the first reached it: the first deploy, not a second.
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "pipeline-9"}};
  const std::string v2 = R"({"service":"checkout","version":"v2"})";
  const HttpResult first = HttpClient(nodes[2]->port()).post("/v1/deploys", v2, "application/json", key);
  ASSERT_EQ(first.status, 201) << first.body;
  ASSERT_TRUE(eventually([&] { return deploy_ids(nodes[0]->port()).size() == 3; }));
  const HttpResult retry = HttpClient(nodes[0]->port()).post("/v1/deploys", v2, "application/json", key);
  EXPECT_EQ(retry.status, 200) << retry.body;
  EXPECT_EQ(retry.json()["id"], first.json()["id"]);
  EXPECT_EQ(deploy_ids(nodes[0]->port()).size(), 3u);
}

}  // namespace
}  // namespace budgetd::test
