// The `cluster:` section: what it accepts, its defaults, and the errors `budgetd check` gives.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/config/loader.h"

namespace budgetd::config {
namespace {

using ::testing::HasSubstr;

constexpr const char* kSlos = R"(
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    sli: {type: ratio}
)";

LoadResult load(const std::string& cluster) { return load_config_string(cluster + kSlos, "c.yaml"); }

TEST(ClusterConfig, AbsentIsTheEmbeddedMode) {
  const LoadResult r = load_config_string(kSlos, "c.yaml");
  ASSERT_TRUE(r.ok()) << r.error_text();
  EXPECT_FALSE(r.config->cluster.has_value());
}

TEST(ClusterConfig, UrlFormWithDefaults) {
  const LoadResult r = load("cluster: {node: a, redis: {url: \"redis://127.0.0.1:6379\"}}\n");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const ClusterConfig& c = *r.config->cluster;
  EXPECT_EQ(c.node, "a");
  EXPECT_EQ(c.redis.url, "redis://127.0.0.1:6379");
  EXPECT_EQ(c.redis.shards, 1);
  EXPECT_EQ(c.redis.timeout, 2 * kSecond);
  EXPECT_EQ(c.stream, "budgetd");
  EXPECT_EQ(c.ack, AckMode::kReplicated);
  EXPECT_EQ(c.wait_replicas, 1);
  EXPECT_EQ(c.heartbeat_interval, kSecond);
  EXPECT_EQ(c.node_timeout, 10 * kSecond);
  EXPECT_EQ(c.lease, 3 * kSecond);
  EXPECT_EQ(c.stale_after, 5 * kSecond);
  EXPECT_STREQ(to_string(c.ack), "replicated");
}

TEST(ClusterConfig, SentinelFormAndEveryKey) {
  const LoadResult r = load(R"(
cluster:
  node: eu-1
  advertise: "http://10.0.0.5:8080"
  redis: {sentinels: ["10.0.0.7:26379", "10.0.0.8:26379"], master: budgetd, shards: 3, timeout: 500ms}
  stream: prod
  ack: local
  wait_replicas: 0
  peer_token_file: /etc/budgetd/peer.token
  heartbeat_interval: 2s
  node_timeout: 20s
  lease: 6s
  stale_after: 10s
)");
  ASSERT_TRUE(r.ok()) << r.error_text();
  const ClusterConfig& c = *r.config->cluster;
  EXPECT_EQ(c.node, "eu-1");
  EXPECT_EQ(c.advertise, "http://10.0.0.5:8080");
  EXPECT_EQ(c.redis.sentinels, (std::vector<std::string>{"10.0.0.7:26379", "10.0.0.8:26379"}));
  EXPECT_EQ(c.redis.master, "budgetd");
  EXPECT_EQ(c.redis.shards, 3);
  EXPECT_EQ(c.redis.timeout, Millis{500});
  EXPECT_EQ(c.stream, "prod");
  EXPECT_EQ(c.ack, AckMode::kLocal);
  EXPECT_EQ(c.wait_replicas, 0);
  EXPECT_EQ(c.peer_token_file, "/etc/budgetd/peer.token");
  EXPECT_EQ(c.heartbeat_interval, 2 * kSecond);
  EXPECT_EQ(c.node_timeout, 20 * kSecond);
  EXPECT_EQ(c.lease, 6 * kSecond);
  EXPECT_EQ(c.stale_after, 10 * kSecond);
}

struct BadCase {
  const char* yaml;
  const char* error;
};

TEST(ClusterConfig, ErrorsSayWhatIsWrong) {
  const BadCase cases[] = {
      {"cluster: {redis: {url: \"redis://h:1\"}}\n", "'node' is required"},
      {"cluster: {node: A_b, redis: {url: \"redis://h:1\"}}\n", "cluster.node must be 1-63 of a-z, 0-9 and '-'"},
      {"cluster: {node: a}\n", "cluster.redis is required"},
      {"cluster: {node: a, redis: {}}\n", "exactly one of url"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\", sentinels: [\"h:2\"], master: m}}\n", "exactly one of url"},
      {"cluster: {node: a, redis: {sentinels: [\"h:2\"]}}\n", "sentinels and master go together"},
      {"cluster: {node: a, redis: {url: \"http://h:1\"}}\n", "cluster.redis.url must be redis://host:port"},
      {"cluster: {node: a, redis: {url: \"redis://h:99999\"}}\n", "cluster.redis.url must be redis://host:port"},
      {"cluster: {node: a, redis: {sentinels: [\"h\"], master: m}}\n", "each Sentinel is \"host:port\""},
      {"cluster: {node: a, redis: {url: \"redis://h:1\", shards: 0}}\n", "shards"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\", timeout: 0s}}\n",
       "cluster.redis.timeout: '0s' is not a duration"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\", timeout: 2m}}\n",
       "cluster.redis.timeout must be more than 0 and at most 1m"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\", colour: red}}\n", "colour"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\"}, ack: sometimes}\n",
       "cluster.ack must be replicated or local"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\"}, wait_replicas: -1}\n", "wait_replicas"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\"}, lease: 0s}\n", "cluster.lease: '0s' is not a duration"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\"}, lease: 2m}\n",
       "cluster.lease must be more than 0 and at most 1m"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\"}, stream: \"a b\"}\n", "cluster.stream must be"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\"}, advertise: \"ftp://x\"}\n", "cluster.advertise"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\"}, nodes: 3}\n", "nodes"},
      {"cluster: {node: a, redis: {url: \"redis://h:1\"}, heartbeat_interval: 10s}\n", "node_timeout must be longer"},
  };
  for (const BadCase& c : cases) {
    const LoadResult r = load(c.yaml);
    EXPECT_FALSE(r.ok()) << c.yaml;
    EXPECT_THAT(r.error_text(), HasSubstr(c.error)) << c.yaml;
  }
}

}  // namespace
}  // namespace budgetd::config
