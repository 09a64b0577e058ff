#pragma once
// Real Redis for the cluster tests: Debian's redis-server (a primary, a replica of one),
// redis-sentinel, and a Redis Cluster of three masters, each on a free loopback port with its
// files in a temp dir of its own. Killed (SIGKILL) and the dir removed on destruction; the
// children also die with the test process (PR_SET_PDEATHSIG), so a failing test leaves none.
//
//   test::RedisServer redis;                  // appendonly, appendfsync always
//   config.cluster->redis.url = redis.url();  // "redis://127.0.0.1:<port>"
//   redis.kill();  redis.restart();           // same port, same data
//
// Thread safety: none; owned by the test's main thread.

#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace budgetd::test {

// One child process started from argv, its stdout and stderr to `log_path`.
class RedisProcess {
 public:
  RedisProcess(std::vector<std::string> argv, std::string log_path);
  ~RedisProcess();
  RedisProcess(const RedisProcess&) = delete;
  RedisProcess& operator=(const RedisProcess&) = delete;
  void start();
  void kill(int sig);  // and reap it
  bool running() const { return pid_ > 0; }
  std::string log() const;

 private:
  std::vector<std::string> argv_;
  std::string log_path_;
  pid_t pid_ = -1;
};

struct RedisOptions {
  uint16_t replica_of = 0;  // the primary's port, for a replica
  bool cluster = false;     // cluster-enabled (a node of RedisCluster)
};

class RedisServer {
 public:
  explicit RedisServer(RedisOptions options = {});
  ~RedisServer();
  uint16_t port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string url() const { return "redis://" + addr(); }
  void kill();     // SIGKILL
  void stop();     // SIGTERM (a clean shutdown)
  void restart();  // start again on the same port and dir; waits until it answers PING
  bool running() const { return process_->running(); }
  // redis-cli's answer to `args` against this server (e.g. "XLEN budgetd:log:0"), trimmed.
  std::string cli(const std::string& args) const;
  std::string log() const { return process_->log(); }

 private:
  void wait_ready() const;

  std::string dir_;
  uint16_t port_;
  std::unique_ptr<RedisProcess> process_;
};

// A Sentinel watching the master `name` at 127.0.0.1:master_port (quorum 2, down after 1 s).
class RedisSentinel {
 public:
  RedisSentinel(uint16_t master_port, const std::string& name);
  ~RedisSentinel();
  uint16_t port() const { return port_; }
  std::string addr() const { return "127.0.0.1:" + std::to_string(port_); }
  std::string log() const { return process_->log(); }

 private:
  std::string dir_;
  uint16_t port_;
  std::unique_ptr<RedisProcess> process_;
};

// Three cluster-enabled masters (no replicas), slots split evenly by redis-cli --cluster create,
// waited for until every node says cluster_state:ok.
class RedisCluster {
 public:
  RedisCluster();
  ~RedisCluster();
  // A seed node's URL: any node will do, the client learns the slot map from it.
  std::string url() const { return nodes_[0]->url(); }
  RedisServer& node(size_t i) { return *nodes_[i]; }

 private:
  std::vector<std::unique_ptr<RedisServer>> nodes_;
};

// A fresh temp dir ("/tmp/budgetd-<what>-XXXXXX").
std::string make_temp_dir(const std::string& what);

}  // namespace budgetd::test
