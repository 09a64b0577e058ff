// A Redis Cluster of three masters with redis.shards: 3: each shard's stream lives on its own
// master, each replica appends to its own shard and reads all three, and the replicas converge
// to an embedded node fed the same batches (counts are sums: no order across streams needed).

#include <set>

#include <gtest/gtest.h>

#include "budgetd/cluster/replicator.h"
#include "budgetd/cluster/stream_keys.h"
#include "cluster_fixture.h"
#include "redis_server.h"

namespace budgetd::test {
namespace {

TEST(RedisClusterShards, ThreeShardsOnThreeMastersConverge) {
  RedisCluster cluster;
  // Names whose home shards (CRC16(node) % 3) are 1, 0 and 2: every shard gets appends.
  std::vector<std::unique_ptr<TestDaemon>> nodes;
  for (const char* n : {"a", "d", "node-1"})
    nodes.push_back(std::make_unique<TestDaemon>(replica_yaml(n, url_redis(cluster.url(), 3), "replicated")));
  TestDaemon reference(kClusterSlos);
  std::mt19937_64 rng(12);
  Model expected;
  for (int i = 0; i < 45; ++i) {
    const RandomBatch b = random_batch(rng, 1 + static_cast<int>(rng() % 30));
    TestDaemon& node = *nodes[static_cast<size_t>(i) % nodes.size()];
    const std::map<std::string, std::string> key = {{"Idempotency-Key", "shard-" + std::to_string(i)}};
    const HttpResult r = HttpClient(node.port()).post("/v1/events", b.body, b.content_type, key);
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(HttpClient(reference.port()).post("/v1/events", b.body, b.content_type).status, 200);
    add(expected, b.adds);
  }
  ASSERT_TRUE(eventually([&] {
    for (auto& n : nodes)
      if (all_windows(n->port()) != all_windows(reference.port())) return false;
    return true;
  }));
  EXPECT_EQ(widest(all_windows(reference.port())), expected);

  config::ClusterConfig c;
  c.stream = "test";
  c.redis.shards = 3;
  const std::vector<std::string> keys = cluster::shard_keys(c);
  std::set<size_t> masters;
  for (const std::string& key : keys) {
    for (size_t m = 0; m < 3; ++m) {
      // Each stream is on exactly one master, holding one shard's appends (15 batches).
      const std::string len = cluster.node(m).cli("XLEN " + key);
      if (len.rfind("MOVED", 0) == 0) continue;
      EXPECT_EQ(len, "15") << key;
      masters.insert(m);
    }
  }
  EXPECT_EQ(masters.size(), 3u);
  for (auto& n : nodes) EXPECT_EQ(n->daemon().replication_view()->status().applied.size(), 3u);
}

}  // namespace
}  // namespace budgetd::test
