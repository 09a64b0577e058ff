// Same SLOs everywhere: a replica whose config lacks an SLO, or defines one with another
// identity, reports it (ReplicationView, a metric, one log line per SLO) and never applies the
// deltas to the wrong SLO; the replication metrics are exposed.

#include <gtest/gtest.h>

#include "budgetd/cluster/replicator.h"
#include "cluster_fixture.h"
#include "redis_server.h"
#include "stderr_capture.h"

namespace budgetd::test {
namespace {

constexpr const char* kOtherSlos = R"(
slos:
  - {name: avail, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
  - {name: fast, service: checkout, objective: 99, windows: ["7d"], sli: {type: latency, threshold_ms: 250}}
)";

TEST(Replication, ConfigMismatchIsReportedAndNothingIsMisapplied) {
  RedisServer redis;
  StderrCapture capture;
  TestDaemon a(replica_yaml("a", url_redis(redis.url()), "replicated"));
  const std::string other = replica_yaml("c", url_redis(redis.url()), "replicated");
  TestDaemon c(std::string(kOtherSlos) + other.substr(std::string(kClusterSlos).size()));
  std::mt19937_64 rng(4);
  Model expected;
  for (int i = 0; i < 10; ++i) {
    const RandomBatch b = random_batch(rng, 20);
    ASSERT_EQ(HttpClient(a.port()).post("/v1/events", b.body, b.content_type).status, 200);
    add(expected, b.adds);
  }
  ASSERT_TRUE(eventually([&] { return widest(all_windows(c.port())).at("avail") == expected.at("avail"); }));
  ASSERT_TRUE(eventually([&] { return c.daemon().replication_view()->status().mismatched.size() == 2; }));
  const cluster::ReplicationStatus s = c.daemon().replication_view()->status();
  EXPECT_EQ(s.mismatched[0].name, "eu");
  EXPECT_EQ(s.mismatched[0].reason, "unknown here");
  EXPECT_EQ(s.mismatched[1].name, "fast");
  EXPECT_EQ(s.mismatched[1].reason, "identity differs");
  EXPECT_GT(s.mismatched[1].records, 0u);
  // c's own "fast" (another threshold) got none of a's latency deltas.
  EXPECT_EQ(widest(all_windows(c.port())).at("fast"), (Counts{0, 0}));
  EXPECT_EQ(widest(all_windows(a.port())), expected);
  EXPECT_EQ(capture.lines_with("records name an SLO this node cannot apply").size(), 2u);  // one per SLO

  const std::string metrics = HttpClient(c.port()).get("/metrics").body;
  for (const char* m : {"budgetd_replication_mismatched_slos 2", "budgetd_replication_lag_records 0",
                        "budgetd_replication_lag_seconds 0", "budgetd_replication_backlog_records 0",
                        "budgetd_replication_applied_records_total 10", "budgetd_replication_publish_seconds_bucket",
                        "budgetd_replication_wait_seconds_bucket"})
    EXPECT_NE(metrics.find(m), std::string::npos) << m;
  const cluster::ReplicationStatus sa = a.daemon().replication_view()->status();
  EXPECT_EQ(sa.node, "a");
  EXPECT_TRUE(sa.redis_reachable);
  EXPECT_FALSE(sa.stale);
  EXPECT_EQ(sa.redis_role, "master");
  ASSERT_EQ(sa.applied.size(), 1u);
  EXPECT_EQ(sa.applied[0], s.applied[0]);  // both read the whole stream
  EXPECT_TRUE(sa.mismatched.empty());
}

}  // namespace
}  // namespace budgetd::test
