// Redis primary + replica + three Sentinels; three budgetd replicas with ack: replicated and
// wait_replicas: 1 under load. SIGKILL the primary: Sentinel promotes the replica, the clients
// retry every unanswered batch with its Idempotency-Key, and every acknowledged batch is counted
// exactly once on every replica. Prints the failover time (kill to the first 200 after it) and
// what was lost.

#include <atomic>
#include <cstdio>
#include <mutex>

#include <gtest/gtest.h>

#include "cluster_fixture.h"
#include "external_process.h"
#include "redis_server.h"

namespace budgetd::test {
namespace {

using SteadyClock = std::chrono::steady_clock;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> out;
  size_t at = 0;
  for (size_t nl; (nl = text.find('\n', at)) != std::string::npos; at = nl + 1) out.push_back(text.substr(at, nl - at));
  return out;
}

TEST(Failover, SentinelPromotesTheReplicaAndNoAcknowledgedBatchIsLost) {
  RedisServer primary;
  RedisServer replica({.replica_of = primary.port()});
  std::vector<std::unique_ptr<RedisSentinel>> sentinels;
  for (int i = 0; i < 3; ++i) sentinels.push_back(std::make_unique<RedisSentinel>(primary.port(), "budgetd"));
  // A failover needs the Sentinels to know each other (hello messages, every 2 s) and the replica.
  const auto sentinel_cli = [&](const std::string& args) {
    return run_command("/usr/bin/redis-cli -h 127.0.0.1 -p " + std::to_string(sentinels[0]->port()) + " " + args +
                       " 2>&1")
        .out;
  };
  ASSERT_TRUE(eventually(
      [&] {
        return sentinel_cli("SENTINEL master budgetd").find("num-other-sentinels\n2\n") != std::string::npos &&
               sentinel_cli("SENTINEL replicas budgetd").find(std::to_string(replica.port())) != std::string::npos;
      },
      15))
      << sentinel_cli("SENTINEL master budgetd");

  std::printf("failover test: Sentinels ready\n");
  std::fflush(stdout);
  std::string redis = "{sentinels: [";
  for (size_t i = 0; i < sentinels.size(); ++i) redis += (i ? ", \"" : "\"") + sentinels[i]->addr() + "\"";
  redis += "], master: budgetd, timeout: 500ms}";
  std::vector<std::unique_ptr<TestDaemon>> nodes;
  for (const char* n : {"a", "b", "c"})
    nodes.push_back(std::make_unique<TestDaemon>(replica_yaml(n, redis, "replicated", 1)));

  std::mutex mu;
  Model expected;
  std::atomic<bool> stop{false};
  std::atomic<int> acked{0}, retries{0};
  std::atomic<int64_t> killed_at_ns{0}, first_ok_after_kill_ns{0};
  std::thread load([&] {
    std::mt19937_64 rng(8);
    for (int i = 0; !stop.load(); ++i) {
      const RandomBatch b = random_batch(rng, 1 + static_cast<int>(rng() % 10));
      const std::map<std::string, std::string> key = {{"Idempotency-Key", "fo-" + std::to_string(i)}};
      int64_t sent_ns = 0;
      for (int attempt = 0;; ++attempt) {  // any replica, the same key, until 200
        TestDaemon& node = *nodes[rng() % nodes.size()];
        if (attempt == 0) sent_ns = SteadyClock::now().time_since_epoch().count();
        int status = 0;
        try {
          status = HttpClient(node.port()).post("/v1/events", b.body, b.content_type, key).status;
        } catch (const std::exception&) {
        }
        if (status == 200) break;
        ++retries;
        if (stop.load() && attempt > 500) return;  // never acknowledged: not counted
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      // The first batch acknowledged that was first sent after the kill: one on its way when the
      // primary died (or a retry answered as a replay) says nothing about the failover.
      const int64_t killed = killed_at_ns.load();
      if (killed != 0 && sent_ns > killed && first_ok_after_kill_ns.load() == 0)
        first_ok_after_kill_ns = SteadyClock::now().time_since_epoch().count();
      std::lock_guard lock(mu);
      add(expected, b.adds);
      ++acked;
    }
  });
  struct Join {
    std::atomic<bool>& stop;
    std::thread& t;
    ~Join() {
      stop = true;
      if (t.joinable()) t.join();
    }
  } join{stop, load};

  const auto phase = [start = SteadyClock::now()](const char* what) {
    std::printf("failover test: %s at %.2f s\n", what,
                std::chrono::duration<double>(SteadyClock::now() - start).count());
    std::fflush(stdout);
  };
  phase("replicas up");
  ASSERT_TRUE(eventually([&] { return acked.load() > 40; }));
  phase("primary killed");
  primary.kill();
  killed_at_ns = SteadyClock::now().time_since_epoch().count();
  const int at_kill = acked.load();
  // Sentinel promotes the replica; the old primary comes back (as a supervisor would restart
  // it) as the new primary's replica, so WAIT 1 can be met again. Sentinel would convert it
  // too, after noticing it is back (seconds); the test says REPLICAOF itself to stay short.
  ASSERT_TRUE(eventually(
      [&] {
        return sentinel_cli("SENTINEL get-master-addr-by-name budgetd").find(std::to_string(replica.port())) !=
               std::string::npos;
      },
      20));
  phase("replica promoted");
  primary.restart();
  primary.cli("REPLICAOF 127.0.0.1 " + std::to_string(replica.port()));
  phase("old primary restarted");
  ASSERT_TRUE(eventually([&] { return acked.load() > at_kill + 20; }, 30)) << "ingest did not resume";
  phase("ingest resumed");
  stop = true;
  load.join();

  Model want;
  {
    std::lock_guard lock(mu);
    want = expected;
  }
  const bool converged = eventually([&] {
    for (auto& n : nodes)
      if (widest(all_windows(n->port())) != want) return false;
    return true;
  });
  phase("converged");
  const double failover_s = static_cast<double>(first_ok_after_kill_ns.load() - killed_at_ns.load()) / 1e9;
  std::string lost;
  for (auto& n : nodes) {
    const Model got = widest(all_windows(n->port()));
    for (const auto& [slo, c] : want) {
      const Counts g = got.count(slo) ? got.at(slo) : Counts{};
      if (g != c) lost += " " + slo + ": " + std::to_string(g.second) + " of " + std::to_string(c.second) + " events;";
    }
  }
  std::printf(
      "failover: %.2f s from the primary's SIGKILL to the first acknowledged batch; %d batches acknowledged, "
      "%d retries; lost:%s\n",
      failover_s, acked.load(), retries.load(), lost.empty() ? " nothing" : lost.c_str());
  std::fflush(stdout);
  for (const std::string& line : split_lines(HttpClient(nodes[0]->port()).get("/metrics").body))
    if (line.find("_seconds_sum") != std::string::npos || line.find("_seconds_count") != std::string::npos)
      if (line.find("replication") != std::string::npos) std::printf("%s\n", line.c_str());
  EXPECT_TRUE(converged) << lost;
}

}  // namespace
}  // namespace budgetd::test
