// A replica SIGKILLed under load and restarted catches up from its snapshot's position and
// matches the brute-force count; what it had accepted under ack: local and not yet published is
// published after the restart. A clean restart resumes from the final snapshot's position.

#include <atomic>
#include <filesystem>
#include <mutex>

#include <gtest/gtest.h>

#include "budgetd/cluster/replicator.h"
#include "budgetd_process.h"
#include "cluster/replication_state.h"
#include "cluster/stream_record.h"
#include "cluster_fixture.h"
#include "redis_server.h"

namespace budgetd::test {
namespace {

int64_t system_now_ms() {
  const int64_t ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return ms - ms % 60'000;
}

std::string model_text(const Model& m) {
  std::string s;
  for (const auto& [slo, c] : m) s += slo + "=" + std::to_string(c.first) + "/" + std::to_string(c.second) + " ";
  return s;
}

// Once a known loss (a restarted replica settled a few records short, 3 runs in ~20 under
// load): its last snapshot held the Idempotency-Keys of stream records applied after its
// capture, so the records re-read from its stream position were skipped as already counted.
// Snapshot.TakesOnlyTheKeysCompletedBeforeItsCapture pins the cause.
TEST(Replication, SigkilledReplicaCatchesUpAndPublishesItsBacklog) {
  RedisServer redis;
  const int64_t now_ms = system_now_ms();
  // a and b in this process, on a clock at now; c a real budgetd (system clock), SIGKILLed.
  TestDaemon a(replica_yaml("a", url_redis(redis.url()), "replicated"), from_unix_ms(now_ms));
  TestDaemon b(replica_yaml("b", url_redis(redis.url()), "replicated"), from_unix_ms(now_ms));
  TempDir dir;
  const std::string config = dir.path() + "/budgetd.yaml";
  std::ofstream(config) << "server: {listen: \"127.0.0.1:0\", threads: 2}\n"
                        << "storage: {dir: \"" << dir.path() << "/data\", fsync: always}\n"
                        << replica_yaml("c", url_redis(redis.url()), "local");
  BudgetdProcess c(config, dir.path() + "/budgetd.log");
  std::atomic<uint16_t> c_port{c.start()};
  ASSERT_NE(c_port.load(), 0) << c.log_text();

  std::mutex mu;
  Model expected;  // every batch answered 200 (c's retried with their keys until they are)
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};  // by a and b
  // One client for a and b, one for c: c's retries (same key until 200) never hold up a and b.
  const auto client = [&](uint64_t seed, auto port_of) {
    std::mt19937_64 rng(seed);
    for (int i = 0; !stop.load(); ++i) {
      const RandomBatch batch = random_batch(rng, 1 + static_cast<int>(rng() % 20), now_ms);
      const std::string key = "k-" + std::to_string(seed) + "-" + std::to_string(i);
      for (bool done = false; !done;) {
        try {
          HttpClient http(port_of(i));
          done = http.post("/v1/events", batch.body, batch.content_type, {{"Idempotency-Key", key}}).status == 200;
        } catch (const std::exception&) {
        }
        if (!done) std::this_thread::sleep_for(std::chrono::milliseconds(10));
      }
      std::lock_guard lock(mu);
      add(expected, batch.adds);
      if (seed == 1) ++sent;
    }
  };
  std::thread ab([&] { client(1, [&](int i) { return i % 2 ? a.port() : b.port(); }); });
  std::thread to_c([&] { client(2, [&](int) { return c_port.load(); }); });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& x;
    std::thread& y;
    ~Join() {
      stop = true;
      if (x.joinable()) x.join();
      if (y.joinable()) y.join();
    }
  } join{stop, ab, to_c};

  ASSERT_TRUE(eventually([&] { return sent.load() > 30; }));
  // A snapshot carries c's stream position: the restart resumes there, not at the stream's start.
  ASSERT_EQ(HttpClient(c_port.load()).post("/-/snapshot", "").status, 200);
  ASSERT_TRUE(eventually([&] { return sent.load() > 60; }));
  c.kill_now();
  const int at_kill = sent.load();
  ASSERT_TRUE(eventually([&] { return sent.load() > at_kill + 20; }));  // the others keep ingesting
  c_port = c.start();
  ASSERT_NE(c_port.load(), 0) << c.log_text();
  ASSERT_TRUE(eventually([&] { return sent.load() > at_kill + 60; }));
  stop = true;
  ab.join();
  to_c.join();

  Model want;
  {
    std::lock_guard lock(mu);
    want = expected;
  }
  const bool ok = eventually(
      [&] {
        return widest(all_windows(a.port())) == want && widest(all_windows(b.port())) == want &&
               widest(all_windows(c_port.load())) == want;
      },
      20);
  EXPECT_TRUE(ok) << "expected " << model_text(want) << "\na: " << model_text(widest(all_windows(a.port())))
                  << "\nb: " << model_text(widest(all_windows(b.port())))
                  << "\nc: " << model_text(widest(all_windows(c_port.load())))
                  << "\nstream: " << redis.cli("XLEN test:log:{0}") << "\nc's /metrics:\n"
                  << HttpClient(c_port.load()).get("/metrics").body << "\n"
                  << c.log_text();
  const std::string log = c.log_text();
  EXPECT_NE(log.find("\"msg\":\"recovery: done\",\"snapshot\":\"snapshot-"), std::string::npos)
      << "the restart recovered from a snapshot";
  // The restart applied only what came after the snapshot's position, not the whole stream.
  const std::string metrics = HttpClient(c_port.load()).get("/metrics").body;
  const size_t at = metrics.find("\nbudgetd_replication_applied_records_total ");
  ASSERT_NE(at, std::string::npos);
  const uint64_t applied_after_restart = std::stoull(metrics.substr(at + 43));
  const uint64_t in_stream = std::stoull(redis.cli("XLEN test:log:{0}"));
  EXPECT_LT(applied_after_restart, in_stream * 2 / 3);
  EXPECT_GT(applied_after_restart, 0u);
}

TEST(Replication, CleanRestartResumesFromTheFinalSnapshot) {
  RedisServer redis;
  TestDaemon a(replica_yaml("a", url_redis(redis.url()), "replicated"));
  TestDaemon b(replica_yaml("b", url_redis(redis.url()), "local"));
  std::mt19937_64 rng(3);
  Model expected;
  for (int i = 0; i < 20; ++i) {
    const RandomBatch batch = random_batch(rng, 10);
    ASSERT_EQ(HttpClient((i % 2 ? a : b).port()).post("/v1/events", batch.body, batch.content_type).status, 200);
    add(expected, batch.adds);
  }
  ASSERT_TRUE(eventually([&] { return widest(all_windows(b.port())) == expected; }));
  b.restart();
  for (int i = 0; i < 10; ++i) {
    const RandomBatch batch = random_batch(rng, 10);
    ASSERT_EQ(HttpClient((i % 2 ? a : b).port()).post("/v1/events", batch.body, batch.content_type).status, 200);
    add(expected, batch.adds);
  }
  ASSERT_TRUE(eventually([&] {
    return widest(all_windows(a.port())) == expected && all_windows(b.port()) == all_windows(a.port());
  })) << model_text(widest(all_windows(b.port())));
  const std::vector<std::string> before = a.daemon().replication_view()->status().applied;
  a.restart();
  EXPECT_EQ(all_windows(a.port()), all_windows(b.port()));
  const cluster::ReplicationStatus s = a.daemon().replication_view()->status();
  // The final snapshot holds all a had applied: it resumes there, not at the stream's start.
  // (Records may follow it: the leader records burn episodes of these random batches.)
  ASSERT_EQ(s.snapshot.size(), before.size());
  for (size_t i = 0; i < before.size(); ++i) {
    EXPECT_FALSE(cluster::stream_id_after(before[i], s.snapshot[i])) << before[i] << " vs " << s.snapshot[i];
    EXPECT_FALSE(cluster::stream_id_after(s.snapshot[i], s.applied[i])) << s.snapshot[i] << " vs " << s.applied[i];
  }
  EXPECT_FALSE(a.daemon().replication_view()->position_trimmed());
}

}  // namespace
}  // namespace budgetd::test

namespace budgetd::test {
namespace {

// position_trimmed(): what bootstrap asks right after recovery (the Replicator not started).
TEST(Replication, PositionTrimmedWhenEntriesAfterItAreGone) {
  RedisServer redis;
  config::ClusterConfig c;
  c.node = "a";
  c.stream = "test";
  c.redis.url = redis.url();
  c.redis.timeout = Millis{500};
  store::WriteGate gate;
  durable::IdempotencyTable keys(kDay, 1000);
  metrics::Registry metrics;
  ManualClock clock(t0());
  const auto make = [&] {
    return std::make_unique<cluster::Replicator>(
        c, cluster::ReplicatorDeps{gate, keys, [] { return std::shared_ptr<const store::SloSet>(); }, metrics, clock,
                                   kDay});
  };
  EXPECT_FALSE(make()->position_trimmed());  // no stream yet
  for (int i = 0; i < 5; ++i) redis.cli("XADD test:log:{0} " + std::to_string(i + 1) + "-0 o x");
  EXPECT_FALSE(make()->position_trimmed());  // from 0-0, nothing is missing
  redis.cli("XTRIM test:log:{0} MINID 3-0");
  auto fresh = make();
  EXPECT_TRUE(fresh->position_trimmed());  // 1-0 and 2-0 are gone
  // A node whose saved position is at the first entry left, or past it, lost nothing.
  const auto at = [&](const std::string& id) {
    cluster::ReplicationState saved("a", 1);
    saved.advance(0, {id, "b", 1, 1, durable::RecordType::kBatch, ""});
    auto r = make();
    EXPECT_TRUE(r->state().load(saved.save(), t0()).ok());
    return r;
  };
  EXPECT_FALSE(at("3-0")->position_trimmed());
  EXPECT_FALSE(at("4-0")->position_trimmed());
  EXPECT_TRUE(at("2-0")->position_trimmed());
  redis.cli("XTRIM test:log:{0} MINID 9-0");  // all gone: only a position at the last id lost nothing
  EXPECT_TRUE(at("4-0")->position_trimmed());
  EXPECT_FALSE(at("5-0")->position_trimmed());
}

}  // namespace
}  // namespace budgetd::test
