// RedisClient against real redis-server processes: commands, error replies, pipelines, a
// server that goes away and comes back, Sentinel discovery, and Redis Cluster slot routing.

#include "budgetd/cluster/redis_client.h"

#include <gtest/gtest.h>

#include "cluster/hash_slot.h"
#include "redis_server.h"

namespace budgetd::cluster {
namespace {

config::RedisConfig direct(const test::RedisServer& s) {
  config::RedisConfig c;
  c.url = s.url();
  c.timeout = Millis{500};
  return c;
}

TEST(HashSlot, MatchesTheClusterSpecification) {
  EXPECT_EQ(crc16("123456789"), 0x31C3);  // the specification's test vector
  EXPECT_EQ(hash_slot("foo"), 12182);
  EXPECT_EQ(hash_slot("{user1000}.following"), hash_slot("user1000"));
  EXPECT_EQ(hash_slot("foo{}{bar}"), hash_slot("foo{}{bar}"));  // an empty tag: the whole key counts
  EXPECT_NE(hash_slot("foo{}{bar}"), hash_slot("bar"));
  for (int shards : {1, 2, 3, 7}) {
    for (int i = 0; i < shards; ++i) {
      const int slot = hash_slot("{" + shard_hash_tag(i, shards) + "}:log");
      EXPECT_GE(slot, i * kHashSlots / shards);
      EXPECT_LT(slot, (i + 1) * kHashSlots / shards);
    }
  }
}

TEST(RedisClient, CommandsRepliesAndPipelines) {
  test::RedisServer server;
  RedisClient redis(direct(server));
  auto set = redis.command({"SET", "k", "v", "NX", "PX", "3000"});
  ASSERT_TRUE(set.ok()) << set.status().message();
  EXPECT_EQ(set->type, RedisReply::Type::kStatus);
  EXPECT_EQ(set->str, "OK");
  auto again = redis.command({"SET", "k", "w", "NX", "PX", "3000"});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->type, RedisReply::Type::kNil);  // NX: already there
  std::string binary("a\0b", 3);
  ASSERT_TRUE(redis.command(std::vector<std::string>{"SET", "bin", binary}).ok());
  auto get = redis.command({"GET", "bin"});
  ASSERT_TRUE(get.ok());
  EXPECT_EQ(get->str, binary);
  auto wrong = redis.command({"LPUSH", "k", "x"});  // WRONGTYPE: an error reply, not a failed Status
  ASSERT_TRUE(wrong.ok());
  EXPECT_TRUE(wrong->is_error());
  EXPECT_NE(wrong->str.find("WRONGTYPE"), std::string::npos);
  auto replies = redis.pipeline("s", {{"XADD", "s", "*", "f", "1"}, {"XADD", "s", "*", "f", "2"}, {"XLEN", "s"}});
  ASSERT_TRUE(replies.ok());
  ASSERT_EQ(replies->size(), 3u);
  EXPECT_EQ((*replies)[0].type, RedisReply::Type::kString);  // the new entry's id
  EXPECT_EQ((*replies)[2].integer, 2);
  auto range = redis.command({"XRANGE", "s", "-", "+"});
  ASSERT_TRUE(range.ok());
  ASSERT_EQ(range->elements.size(), 2u);
  EXPECT_EQ(range->elements[1].elements[1].elements[1].str, "2");
  EXPECT_EQ(redis.role(), "master");
  EXPECT_EQ(redis.server_for("k"), server.addr());
}

TEST(RedisClient, ServerAwayIsUnavailableThenReconnects) {
  test::RedisServer server;
  RedisClient redis(direct(server));
  ASSERT_TRUE(redis.command({"SET", "k", "1"}).ok());
  server.kill();
  auto r = redis.command({"GET", "k"});
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_EQ(redis.role(), "");
  server.restart();  // appendfsync always: the key survived
  Result<RedisReply> back = Unavailable("not yet");
  for (int i = 0; i < 20 && !back.ok(); ++i) back = redis.command({"GET", "k"});
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->str, "1");
}

TEST(RedisClient, UnreachableServerTimesOutQuickly) {
  config::RedisConfig c;
  c.url = "redis://127.0.0.1:1";  // nothing listens on port 1
  c.timeout = Millis{200};
  RedisClient redis(c);
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(redis.command({"PING"}).ok());
  EXPECT_FALSE(redis.command({"PING"}).ok());  // after a backoff
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  EXPECT_EQ(redis.server_for("k"), "");
}

TEST(RedisClient, SentinelNamesTheMaster) {
  test::RedisServer primary;
  test::RedisServer replica({.replica_of = primary.port()});
  test::RedisSentinel sentinel(primary.port(), "budgetd");
  config::RedisConfig c;
  c.sentinels = {"127.0.0.1:1", sentinel.addr()};  // the first is down: the next is asked
  c.master = "budgetd";
  c.timeout = Millis{500};
  RedisClient redis(c);
  auto r = redis.command({"SET", "k", "v"});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(redis.server_for("k"), primary.addr());
  EXPECT_EQ(redis.role(), "master");

  config::RedisConfig wrong = c;
  wrong.master = "other";
  RedisClient lost(wrong);
  auto none = lost.command({"PING"});
  EXPECT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("does not know master 'other'"), std::string::npos) << none.status().message();
}

TEST(RedisClient, ClusterRoutesEveryKeyToItsMaster) {
  test::RedisCluster cluster;
  config::RedisConfig c;
  c.url = cluster.url();
  c.timeout = Millis{1000};
  RedisClient redis(c);
  std::set<std::string> servers;
  for (int i = 0; i < 30; ++i) {
    const std::string key = "key-" + std::to_string(i);
    auto r = redis.command({"SET", key, std::to_string(i)});
    ASSERT_TRUE(r.ok()) << r.status().message();
    ASSERT_FALSE(r->is_error()) << r->str;  // no MOVED left to the caller
    servers.insert(redis.server_for(key));
  }
  EXPECT_EQ(servers.size(), 3u);
  for (int i = 0; i < 30; ++i) {
    auto r = redis.command({"GET", "key-" + std::to_string(i)});
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->str, std::to_string(i));
  }
  // Pipelines go to the key's master too; a stream per shard tag lands on its own master.
  std::set<std::string> shard_servers;
  for (int i = 0; i < 3; ++i) {
    const std::string key = "budgetd:log:{" + shard_hash_tag(i, 3) + "}";
    auto replies = redis.pipeline(key, {{"XADD", key, "*", "n", "1"}, {"XLEN", key}});
    ASSERT_TRUE(replies.ok()) << replies.status().message();
    EXPECT_EQ((*replies)[1].integer, 1) << (*replies)[0].str;
    shard_servers.insert(redis.server_for(key));
  }
  EXPECT_EQ(shard_servers.size(), 3u);
  // A client that starts from another node learns the same map.
  config::RedisConfig other = c;
  other.url = cluster.node(2).url();
  RedisClient second(other);
  auto r = second.command({"GET", "key-7"});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->str, "7");
}

}  // namespace
}  // namespace budgetd::cluster
