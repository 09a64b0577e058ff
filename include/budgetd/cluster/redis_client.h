#pragma once
// One connection to Redis through Debian's hiredis (its synchronous API, with a timeout on connect
// and on every command), found directly (`redis.url`), through Sentinel (`redis.sentinels` +
// `redis.master`: asks the Sentinels for the master and checks its ROLE), or spread over a Redis
// Cluster (keyed commands go to the master owning the key's slot; MOVED/ASK are followed).
//
//   RedisClient redis(config.cluster->redis);
//   Result<RedisReply> r = redis.command({"SET", key, value, "NX", "PX", "3000"});
//
// A connection error or a timeout answers Unavailable and drops the connection; the next command
// reconnects (re-asking the Sentinels), after a backoff that doubles up to 1 s. An error reply
// (`-ERR ...`) is a RedisReply of type kError, not a failed Status.
//
// Thread safety: none; one RedisClient per thread (the publisher, the tailer, the lease and the
// heartbeat each open their own).

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/core/status.h"

namespace budgetd::cluster {

struct RedisReply {
  enum class Type { kNil, kStatus, kError, kInteger, kString, kArray };
  Type type = Type::kNil;
  int64_t integer = 0;
  std::string str;                  // kStatus, kError, kString
  std::vector<RedisReply> elements;  // kArray
  bool is_error() const { return type == Type::kError; }
};

class RedisClient {
 public:
  explicit RedisClient(const config::RedisConfig& config);
  ~RedisClient();
  RedisClient(const RedisClient&) = delete;
  RedisClient& operator=(const RedisClient&) = delete;

  // In Redis Cluster mode the key is argv[1] (every command budgetd sends keyed that way; XREAD
  // and WAIT are routed by the methods below).
  Result<RedisReply> command(std::initializer_list<std::string_view> argv);
  Result<RedisReply> command(const std::vector<std::string>& argv);
  // Several commands in one round trip (hiredis pipelining), all for the node owning `key`.
  Result<std::vector<RedisReply>> pipeline(std::string_view key, const std::vector<std::vector<std::string>>& cmds);
  // "host:port" of the server commands for `key` go to now ("" when not connected).
  std::string server_for(std::string_view key) const;
  // ROLE of that server ("master", "slave", or "" when unreachable).
  std::string role(std::string_view key = "");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace budgetd::cluster
