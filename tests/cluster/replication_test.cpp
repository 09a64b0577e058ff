// The replication log with real Redis: replicas converge to a brute-force count, in both ack
// modes; Redis stopped (replicated: 503 and nothing applied; local: accepted, converges after);
// a restart resumes from the snapshot's position; a retry on another replica counts once.

#include <filesystem>

#include <gtest/gtest.h>

#include "budgetd/cluster/replicator.h"
#include "budgetd/durable/idempotency.h"
#include "cluster_fixture.h"
#include "redis_server.h"
#include "stderr_capture.h"

namespace budgetd::test {
namespace {

struct Replicas {
  Replicas(const RedisServer& redis, const std::string& ack, int n = 3) {
    for (int i = 0; i < n; ++i)
      nodes.push_back(std::make_unique<TestDaemon>(
          replica_yaml(std::string(1, static_cast<char>('a' + i)), url_redis(redis.url()), ack)));
  }
  // Every replica's every window equals `expected` (as the model counts the widest) and the others'.
  bool converged(const Model& expected) {
    const auto first = all_windows(nodes[0]->port());
    if (widest(first) != expected) return false;
    for (size_t i = 1; i < nodes.size(); ++i)
      if (all_windows(nodes[i]->port()) != first) return false;
    return true;
  }
  std::vector<std::unique_ptr<TestDaemon>> nodes;
};

std::string describe(const Model& m) {
  std::string s;
  for (const auto& [slo, c] : m) s += slo + "=" + std::to_string(c.first) + "/" + std::to_string(c.second) + " ";
  return s;
}

void converge_random_batches(const std::string& ack) {
  RedisServer redis;
  Replicas r(redis, ack);
  TestDaemon reference(kClusterSlos);  // one embedded node fed the same batches: every window exact
  std::mt19937_64 rng(ack == "local" ? 7 : 11);
  Model expected;
  for (int i = 0; i < 60; ++i) {
    const RandomBatch b = random_batch(rng, 1 + static_cast<int>(rng() % 40));
    TestDaemon& node = *r.nodes[rng() % r.nodes.size()];
    HttpClient c(node.port());
    const Model before = widest(all_windows(node.port()));
    const HttpResult res = c.post("/v1/events", b.body, b.content_type);
    ASSERT_EQ(res.status, 200) << res.body;
    ASSERT_EQ(HttpClient(reference.port()).post("/v1/events", b.body, b.content_type).status, 200);
    add(expected, b.adds);
    // The node that acknowledged a batch already sees it (others' records may come on top).
    const Model after = widest(all_windows(node.port()));
    for (const auto& [slo, n] : b.adds) EXPECT_GE(after.at(slo).second, before.at(slo).second + n.second) << slo;
  }
  ASSERT_TRUE(eventually([&] { return r.converged(expected); }))
      << "expected " << describe(expected) << "; a: " << describe(widest(all_windows(r.nodes[0]->port())))
      << " b: " << describe(widest(all_windows(r.nodes[1]->port())))
      << " c: " << describe(widest(all_windows(r.nodes[2]->port())));
  EXPECT_EQ(all_windows(r.nodes[0]->port()), all_windows(reference.port()));
  for (auto& n : r.nodes) {
    const cluster::ReplicationStatus s = n->daemon().replication_view()->status();
    EXPECT_EQ(s.lag_records, 0u);
    EXPECT_EQ(s.backlog_records, 0u);
    EXPECT_TRUE(s.mismatched.empty());
  }
}

TEST(Replication, ThreeReplicasConvergeExactlyReplicated) { converge_random_batches("replicated"); }
TEST(Replication, ThreeReplicasConvergeExactlyLocal) { converge_random_batches("local"); }

}  // namespace
}  // namespace budgetd::test

namespace budgetd::test {
namespace {

// A client that lost its answer retries with the same Idempotency-Key on another replica (a
// load balancer picks any): the batch counts once everywhere, and the retry is answered with
// the first answer once the record reached that replica.
void retry_on_another_replica_counts_once(const std::string& ack) {
  RedisServer redis;
  Replicas r(redis, ack);
  std::mt19937_64 rng(9);
  Model expected;
  for (int i = 0; i < 20; ++i) {
    const RandomBatch b = random_batch(rng, 5);
    const std::map<std::string, std::string> key = {{"Idempotency-Key", "retry-" + std::to_string(i)}};
    TestDaemon& first = *r.nodes[static_cast<size_t>(i) % 3];
    TestDaemon& second = *r.nodes[static_cast<size_t>(i + 1) % 3];
    const HttpResult one = HttpClient(first.port()).post("/v1/events", b.body, b.content_type, key);
    ASSERT_EQ(one.status, 200) << one.body;
    add(expected, b.adds);
    // At once (often before the record reached `second`), then until it is answered.
    HttpResult two;
    ASSERT_TRUE(eventually([&] {
      two = HttpClient(second.port()).post("/v1/events", b.body, b.content_type, key);
      return two.status == 200;
    })) << two.status
        << " " << two.body;
    EXPECT_EQ(two.body, one.body);
    if (ack == "replicated") {
      EXPECT_EQ(two.header("idempotent-replayed"), "true");
    }
  }
  ASSERT_TRUE(eventually([&] { return r.converged(expected); }))
      << describe(expected) << " vs " << describe(widest(all_windows(r.nodes[0]->port())));
}

TEST(Replication, RetryOnAnotherReplicaCountsOnceReplicated) { retry_on_another_replica_counts_once("replicated"); }
TEST(Replication, RetryOnAnotherReplicaCountsOnceLocal) { retry_on_another_replica_counts_once("local"); }

}  // namespace
}  // namespace budgetd::test

namespace budgetd::test {
namespace {

// issue 17: an embedded budgetd's log names SLOs by its local dictionary. When its data dir
// becomes a replica's (ack: local) with that log not yet covered by a snapshot (a crash), the
// records it replayed go to the stream by name, and a peer counts them exactly. A reload in the
// middle (every SLO moves) puts a second dictionary in the log: its seq is no record to publish,
// and no gap the publisher waits for.
TEST(Replication, AnEmbeddedLogLeftBehindReachesTheStreamByName) {
  RedisServer redis;
  TestDaemon a(kClusterSlos);  // embedded first
  std::mt19937_64 rng(13);
  Model expected;
  const auto send = [&](int batches) {
    for (int i = 0; i < batches; ++i) {
      const RandomBatch b = random_batch(rng, 1 + static_cast<int>(rng() % 40));
      ASSERT_EQ(HttpClient(a.port()).post("/v1/events", b.body, b.content_type).status, 200);
      add(expected, b.adds);
    }
  };
  send(10);
  a.write_config(R"(
slos:
  - {name: eu, service: checkout, objective: 99.5, windows: ["1d"], sli: {type: ratio}, match: {region: eu}}
  - {name: fast, service: checkout, objective: 99, windows: ["7d"], sli: {type: latency, threshold_ms: 300}}
  - {name: avail, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
)");
  ASSERT_EQ(HttpClient(a.port()).post("/-/reload", "", "application/json").status, 200);
  send(10);
  a.daemon().stop();
  for (const auto& e : std::filesystem::directory_iterator(a.dir())) {
    if (e.path().extension() == ".snap") std::filesystem::remove(e.path());  // as if it had crashed
  }
  StderrCapture capture;
  a.restart(replica_yaml("a", url_redis(redis.url()), "local"));
  TestDaemon b(replica_yaml("b", url_redis(redis.url()), "local"));
  EXPECT_EQ(widest(all_windows(a.port())), expected);
  ASSERT_TRUE(eventually([&] { return widest(all_windows(b.port())) == expected; }))
      << "expected " << describe(expected) << "; b: " << describe(widest(all_windows(b.port())));
  EXPECT_EQ(all_windows(b.port()), all_windows(a.port()));
  EXPECT_TRUE(b.daemon().replication_view()->status().mismatched.empty());
  EXPECT_TRUE(capture.lines_with("never reached the backlog").empty()) << "a dictionary's seq is no gap";
}

// The race behind a retry's double count: the stream's copy of a batch reaches a replica while
// that replica is committing a retry of the same batch (its Idempotency-Key in flight there).
// The tailer must wait for that commit instead of applying both; here the "commit" is the key
// claimed directly in replica b's table, so the moment is exact rather than a matter of luck.
TEST(Replication, AStreamCopyWaitsWhileThisReplicaCommitsTheSameKey) {
  RedisServer redis;
  Replicas r(redis, "local", 2);
  TestDaemon& a = *r.nodes[0];
  TestDaemon& b = *r.nodes[1];
  std::mt19937_64 rng(5);
  const RandomBatch batch = random_batch(rng, 5);
  const std::map<std::string, std::string> key = {{"Idempotency-Key", "in-flight-on-b"}};
  durable::IdempotencyTable& b_keys = b.daemon().idempotency();
  std::string unused;
  ASSERT_EQ(b_keys.claim("in-flight-on-b", durable::IdempotencyTable::hash_body(batch.body), b.clock().now(), &unused),
            durable::IdempotencyTable::Claim::kNew);
  const Model before = widest(all_windows(b.port()));

  const HttpResult first = HttpClient(a.port()).post("/v1/events", batch.body, batch.content_type, key);
  ASSERT_EQ(first.status, 200) << first.body;
  // b's tailer reaches the record and holds it back (it stays unapplied, counted in the lag).
  ASSERT_TRUE(eventually([&] { return b.daemon().replication_view()->status().lag_records >= 1; }));
  EXPECT_EQ(widest(all_windows(b.port())), before);

  // b's commit gives up (as an ack: replicated publisher does when Redis holds the key for a):
  // the stream's copy is now the one that counts, once.
  b_keys.abandon("in-flight-on-b");
  Model expected = before;
  add(expected, batch.adds);
  ASSERT_TRUE(eventually([&] { return r.converged(expected); }))
      << describe(expected) << " vs " << describe(widest(all_windows(b.port())));
  const HttpResult retry = HttpClient(b.port()).post("/v1/events", batch.body, batch.content_type, key);
  EXPECT_EQ(retry.status, 200);
  EXPECT_EQ(retry.header("idempotent-replayed"), "true");
  EXPECT_EQ(retry.body, first.body);
  EXPECT_EQ(widest(all_windows(b.port())), expected);

  // The other outcome: b's commit of a second batch's key completes (ack: local commits a retry
  // as its own batch); the stream's copy is then skipped on b, which counted it already.
  const RandomBatch second = random_batch(rng, 5);
  const std::map<std::string, std::string> key2 = {{"Idempotency-Key", "completed-on-b"}};
  durable::IdempotentAnswer answer;
  answer.key = "completed-on-b";
  answer.body_hash = durable::IdempotencyTable::hash_body(second.body);
  answer.received = b.clock().now();
  ASSERT_EQ(b_keys.claim(answer.key, answer.body_hash, answer.received, &unused),
            durable::IdempotencyTable::Claim::kNew);
  ASSERT_EQ(HttpClient(a.port()).post("/v1/events", second.body, second.content_type, key2).status, 200);
  ASSERT_TRUE(eventually([&] { return b.daemon().replication_view()->status().lag_records >= 1; }));
  b_keys.complete(answer);
  ASSERT_TRUE(eventually([&] { return b.daemon().replication_view()->status().lag_records == 0; }));
  EXPECT_EQ(widest(all_windows(b.port())), expected);  // not counted a second time on b
}

}  // namespace
}  // namespace budgetd::test
