// The cluster's housekeeping against a real redis-server on a loopback port: the notification
// leader's lease, heartbeats, trimming below the slowest live node's snapshot position, and
// config mismatch between nodes. The replication log is not involved: a ReplicationView here is
// a plain value the test sets (what the log would report), Redis is real.

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "budgetd/cluster/leader_lease.h"
#include "budgetd/cluster/membership.h"
#include "budgetd/cluster/redis_client.h"
#include "budgetd/core/clock.h"
#include "redis_server.h"
#include "stderr_capture.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using namespace std::chrono_literals;

config::ClusterConfig cluster_config(const RedisServer& redis, const std::string& node) {
  config::ClusterConfig c;
  c.node = node;
  c.advertise = "http://127.0.0.1:1";
  c.redis.url = redis.url();
  c.redis.timeout = Millis{500};
  c.lease = Millis{400};
  c.heartbeat_interval = Millis{100};
  c.node_timeout = 2 * kSecond;
  return c;
}

// What the log would report: positions set by the test.
class FixedReplication final : public cluster::ReplicationView {
 public:
  cluster::ReplicationStatus s;
  cluster::ReplicationStatus status() const override { return s; }
  bool position_trimmed() const override { return false; }
};

std::shared_ptr<const store::SloSet> slos(const std::string& yaml) {
  return store::SloSet::build(parse_config(yaml), nullptr);
}

const char* kTwoSlos = R"(
slos:
  - {name: checkout, service: shop, objective: 99.9, windows: [30d], sli: {type: ratio}}
  - {name: search, service: shop, objective: 99, windows: [30d], sli: {type: ratio}}
)";
// search's matchers differ (another identity), checkout is missing, cart is new.
const char* kOtherSlos = R"(
slos:
  - {name: search, service: shop, objective: 99, windows: [30d], sli: {type: ratio}, match: {route: /search}}
  - {name: cart, service: shop, objective: 99, windows: [30d], sli: {type: ratio}}
)";

TEST(LeaderLease, OneHolderAtATimeAndAGracefulStopHandsOverAtOnce) {
  RedisServer redis;
  metrics::Registry ma, mb;
  const auto ca = cluster_config(redis, "a"), cb = cluster_config(redis, "b");
  cluster::LeaderLease a(ca, ma), b(cb, mb);
  cluster::RedisClient ra(ca.redis), rb(cb.redis);
  EXPECT_TRUE(a.step(ra));
  EXPECT_FALSE(b.step(rb));
  EXPECT_EQ(b.leader(), "a");
  EXPECT_EQ(redis.cli("GET budgetd:leader"), "a");
  // Renewal keeps it: b never gets it while a renews.
  for (int i = 0; i < 5; ++i) {
    EXPECT_TRUE(a.step(ra));
    EXPECT_FALSE(b.step(rb));
  }
  a.start();  // the thread takes over renewing
  a.stop();   // and releases the lease on its way out
  EXPECT_FALSE(a.held());
  EXPECT_TRUE(b.step(rb));
  EXPECT_EQ(b.leader(), "b");
  EXPECT_EQ(mb.render().find("budgetd_cluster_leader 1") != std::string::npos, true);
}

TEST(LeaderLease, ADeadHolderIsReplacedOnceItsLeaseRunsOut) {
  RedisServer redis;
  metrics::Registry ma, mb;
  const auto ca = cluster_config(redis, "a"), cb = cluster_config(redis, "b");
  cluster::LeaderLease a(ca, ma), b(cb, mb);
  cluster::RedisClient ra(ca.redis), rb(cb.redis);
  ASSERT_TRUE(a.step(ra));
  // a stops renewing (it died without releasing). Its own belief ends before Redis expires the key.
  const auto died = std::chrono::steady_clock::now();
  while (a.held()) std::this_thread::sleep_for(10ms);
  EXPECT_LT(std::chrono::steady_clock::now() - died, ca.lease);
  bool took = false;
  while (!took && std::chrono::steady_clock::now() - died < 2 * ca.lease) {
    took = b.step(rb);
    if (!took) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(took) << "b did not take the lease within two lease periods";
  // a comes back: it finds b's lease and leaves it alone.
  EXPECT_FALSE(a.step(ra));
  EXPECT_EQ(a.leader(), "b");
}

TEST(LeaderLease, RedisAwayMeansNobodyLeads) {
  RedisServer redis;
  metrics::Registry m;
  const auto c = cluster_config(redis, "a");
  cluster::LeaderLease a(c, m);
  cluster::RedisClient r(c.redis);
  ASSERT_TRUE(a.step(r));
  redis.kill();
  EXPECT_FALSE(a.step(r));  // the renewal fails: it stops believing at once rather than at expiry
  EXPECT_FALSE(a.held());
  EXPECT_EQ(a.leader(), "");
}

TEST(Membership, HeartbeatsShowEveryLiveNodeAndDeadOnesVanish) {
  RedisServer redis;
  ManualClock clock(t0());
  metrics::Registry ma, mb;
  auto ca = cluster_config(redis, "a"), cb = cluster_config(redis, "b");
  ca.node_timeout = Millis{300};
  cb.node_timeout = Millis{300};
  FixedReplication repl;
  repl.s.applied = {"5-0"};
  repl.s.snapshot = {"3-0"};
  repl.s.lag_records = 2;
  const auto set = slos(kTwoSlos);
  cluster::Membership a(
      ca, {"budgetd:log:0"}, [&] { return set; }, repl, nullptr, clock, ma);
  cluster::Membership b(
      cb, {"budgetd:log:0"}, [&] { return set; }, repl, nullptr, clock, mb);
  cluster::RedisClient ra(ca.redis), rb(cb.redis);
  ASSERT_TRUE(a.step(ra).ok());
  ASSERT_TRUE(b.step(rb).ok());
  ASSERT_TRUE(a.step(ra).ok());
  cluster::ClusterStatus s = a.cluster_status();
  ASSERT_EQ(s.nodes.size(), 2u);
  EXPECT_EQ(s.nodes[0].node, "a");
  EXPECT_EQ(s.nodes[1].node, "b");
  EXPECT_EQ(s.nodes[1].applied, std::vector<std::string>{"5-0"});
  EXPECT_EQ(s.nodes[1].snapshot, std::vector<std::string>{"3-0"});
  EXPECT_EQ(s.nodes[1].lag_records, 2u);
  EXPECT_EQ(s.nodes[1].heartbeat, t0());
  EXPECT_TRUE(s.nodes[1].config_matches);
  EXPECT_NE(ma.render().find("budgetd_cluster_nodes 2"), std::string::npos);
  // b stops heartbeating: once its hash expires (node_timeout, Redis's clock) a no longer lists it.
  const auto until = std::chrono::steady_clock::now() + 3s;
  do {
    std::this_thread::sleep_for(50ms);
    ASSERT_TRUE(a.step(ra).ok());
  } while (a.cluster_status().nodes.size() != 1 && std::chrono::steady_clock::now() < until);
  EXPECT_EQ(a.cluster_status().nodes.size(), 1u);
  EXPECT_EQ(redis.cli("SISMEMBER budgetd:nodes b"), "0");
}

TEST(Membership, TrimsEachShardBelowTheSlowestLiveNodesSnapshotPosition) {
  RedisServer redis;
  ManualClock clock(t0());
  metrics::Registry ma, mb;
  const auto ca = cluster_config(redis, "a"), cb = cluster_config(redis, "b");
  for (int i = 1; i <= 10; ++i) {
    redis.cli("XADD budgetd:log:0 " + std::to_string(i) + "-0 r x");
    redis.cli("XADD budgetd:log:1 " + std::to_string(i) + "-0 r x");
  }
  FixedReplication ra_view, rb_view;
  ra_view.s.applied = {"10-0", "10-0"};
  ra_view.s.snapshot = {"8-0", "6-0"};
  rb_view.s.applied = {"9-0", "10-0"};
  rb_view.s.snapshot = {"0-0", "4-0"};  // b has no snapshot on shard 0 yet: shard 0 is kept whole
  const auto set = slos(kTwoSlos);
  const std::vector<std::string> keys = {"budgetd:log:0", "budgetd:log:1"};
  cluster::Membership a(
      ca, keys, [&] { return set; }, ra_view, nullptr, clock, ma);
  cluster::Membership b(
      cb, keys, [&] { return set; }, rb_view, nullptr, clock, mb);
  cluster::RedisClient ra(ca.redis), rb(cb.redis);
  ASSERT_TRUE(b.step(rb).ok());                     // b alone: shard 1 below its 4-0
  EXPECT_EQ(redis.cli("XLEN budgetd:log:1"), "7");  // 4-0 .. 10-0: the floor entry stays
  ASSERT_TRUE(a.step(ra).ok());                     // both: shard 0 waits for b's first snapshot, shard 1 for b's 4-0
  EXPECT_EQ(redis.cli("XLEN budgetd:log:0"), "10");
  EXPECT_EQ(redis.cli("XLEN budgetd:log:1"), "7");
  rb_view.s.snapshot = {"9-0", "6-0"};
  ASSERT_TRUE(b.step(rb).ok());
  EXPECT_EQ(redis.cli("XLEN budgetd:log:0"), "3");  // below a's 8-0
  EXPECT_EQ(redis.cli("XLEN budgetd:log:1"), "5");  // below 6-0
  EXPECT_EQ(b.cluster_status().trimmed_records, 3u + 7u + 2u);
  EXPECT_NE(mb.render().find("budgetd_cluster_trimmed_records_total 12"), std::string::npos);
}

TEST(Membership, AConfigMismatchIsReportedWithOneLogLinePerSlo) {
  RedisServer redis;
  ManualClock clock(t0());
  metrics::Registry ma, mb;
  const auto ca = cluster_config(redis, "a"), cb = cluster_config(redis, "b");
  FixedReplication repl;
  const auto ours = slos(kTwoSlos), theirs = slos(kOtherSlos);
  cluster::Membership a(
      ca, {"budgetd:log:0"}, [&] { return ours; }, repl, nullptr, clock, ma);
  cluster::Membership b(
      cb, {"budgetd:log:0"}, [&] { return theirs; }, repl, nullptr, clock, mb);
  cluster::RedisClient ra(ca.redis), rb(cb.redis);
  StderrCapture capture;
  ASSERT_TRUE(b.step(rb).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(a.step(ra).ok());  // said once, however many rounds
  const cluster::ClusterStatus s = a.cluster_status();
  ASSERT_EQ(s.nodes.size(), 2u);
  EXPECT_TRUE(s.nodes[0].config_matches);
  const cluster::ClusterNode& other = s.nodes[1];
  EXPECT_FALSE(other.config_matches);
  ASSERT_EQ(other.slo_differences.size(), 3u);
  EXPECT_EQ(other.slo_differences[0].name, "cart");
  EXPECT_EQ(other.slo_differences[0].reason, "unknown here");
  EXPECT_EQ(other.slo_differences[1].name, "search");
  EXPECT_EQ(other.slo_differences[1].reason, "identity differs");
  EXPECT_EQ(other.slo_differences[2].name, "checkout");
  EXPECT_EQ(other.slo_differences[2].reason, "missing there");
  EXPECT_NE(ma.render().find("budgetd_cluster_config_mismatched_nodes 1"), std::string::npos);
  const auto lines = capture.lines_with("a node's SLOs differ");
  EXPECT_EQ(lines.size(), 3u);
}

}  // namespace
}  // namespace budgetd::test
