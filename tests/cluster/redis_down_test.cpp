// Redis stopped: under ack: replicated a batch is answered 503 with Retry-After and applied
// nowhere; under ack: local it is accepted, reads go on, and once Redis is back the backlog
// drains and every replica converges.

#include <gtest/gtest.h>

#include "budgetd/cluster/replicator.h"
#include "cluster_fixture.h"
#include "redis_server.h"

namespace budgetd::test {
namespace {

TEST(RedisDown, ReplicatedAnswers503AndAppliesNothing) {
  RedisServer redis;
  TestDaemon a(replica_yaml("a", url_redis(redis.url()), "replicated"));
  TestDaemon b(replica_yaml("b", url_redis(redis.url()), "replicated"));
  std::mt19937_64 rng(1);
  Model expected;
  for (int i = 0; i < 5; ++i) {
    const RandomBatch batch = random_batch(rng, 10);
    ASSERT_EQ(HttpClient(a.port()).post("/v1/events", batch.body, batch.content_type).status, 200);
    add(expected, batch.adds);
  }
  ASSERT_TRUE(eventually([&] { return widest(all_windows(b.port())) == expected; }));

  redis.stop();
  for (int i = 0; i < 5; ++i) {
    const RandomBatch batch = random_batch(rng, 10);
    const HttpResult r = HttpClient(i % 2 ? a.port() : b.port()).post("/v1/events", batch.body, batch.content_type);
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_EQ(r.header("retry-after"), "5");
    EXPECT_NE(r.body.find("Redis"), std::string::npos) << r.body;
  }
  // Reads answer from local state, which has nothing of the refused batches.
  EXPECT_EQ(widest(all_windows(a.port())), expected);
  EXPECT_EQ(widest(all_windows(b.port())), expected);
  EXPECT_TRUE(eventually([&] { return !a.daemon().replication_view()->status().redis_reachable; }));
  EXPECT_TRUE(a.daemon().replication_view()->status().stale);

  redis.restart();
  const RandomBatch batch = random_batch(rng, 10);
  // The client reconnects after its backoff: a retry soon succeeds.
  EXPECT_TRUE(eventually(
      [&] { return HttpClient(a.port()).post("/v1/events", batch.body, batch.content_type).status == 200; }));
  add(expected, batch.adds);
  EXPECT_TRUE(eventually(
      [&] { return widest(all_windows(a.port())) == expected && widest(all_windows(b.port())) == expected; }));
  EXPECT_EQ(std::stoull(redis.cli("XLEN test:log:{0}")), 6u);  // the refused batches never reached the stream
  EXPECT_TRUE(eventually([&] { return a.daemon().replication_view()->status().redis_reachable; }));
}

TEST(RedisDown, LocalAcceptsAndConvergesWhenRedisReturns) {
  RedisServer redis;
  TestDaemon a(replica_yaml("a", url_redis(redis.url()), "local"));
  TestDaemon b(replica_yaml("b", url_redis(redis.url()), "local"));
  TestDaemon c(replica_yaml("c", url_redis(redis.url()), "local"));
  redis.stop();
  std::mt19937_64 rng(2);
  Model expected, on_a;
  for (int i = 0; i < 12; ++i) {
    const RandomBatch batch = random_batch(rng, 10);
    TestDaemon& to = i % 2 ? a : b;
    ASSERT_EQ(HttpClient(to.port()).post("/v1/events", batch.body, batch.content_type).status, 200);
    add(expected, batch.adds);
    if (&to == &a) add(on_a, batch.adds);
  }
  // Reads go on from local state: a has its own batches.
  EXPECT_EQ(widest(all_windows(a.port())), on_a);
  EXPECT_EQ(a.daemon().replication_view()->status().backlog_records, 6u);
  EXPECT_NE(HttpClient(a.port()).get("/metrics").body.find("budgetd_replication_backlog_records 6"), std::string::npos);

  redis.restart();
  ASSERT_TRUE(eventually([&] {
    return widest(all_windows(a.port())) == expected && widest(all_windows(b.port())) == expected &&
           widest(all_windows(c.port())) == expected;
  })) << "a: "
      << all_windows(a.port()).size();
  EXPECT_EQ(all_windows(a.port()), all_windows(c.port()));
  EXPECT_TRUE(eventually([&] { return a.daemon().replication_view()->status().backlog_records == 0; }));
}

}  // namespace
}  // namespace budgetd::test
