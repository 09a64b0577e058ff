#include "redis_server.h"

#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "external_process.h"

namespace budgetd::test {
namespace {

// How long a server may take to answer PING after it was started (a cold start on the loaded
// box takes ~50 ms; AOF replay of a test's data a little more).
constexpr auto kStartTimeout = std::chrono::seconds(10);

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}

}  // namespace

std::string make_temp_dir(const std::string& what) {
  std::string tmpl = "/tmp/budgetd-" + what + "-XXXXXX";
  if (mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  return tmpl;
}

RedisProcess::RedisProcess(std::vector<std::string> argv, std::string log_path)
    : argv_(std::move(argv)), log_path_(std::move(log_path)) {}

RedisProcess::~RedisProcess() { kill(SIGKILL); }

void RedisProcess::start() {
  if (pid_ > 0) return;
  std::vector<char*> argv;
  for (auto& a : argv_) argv.push_back(a.data());
  argv.push_back(nullptr);
  const pid_t parent = getpid();
  pid_ = fork();
  if (pid_ == 0) {
    // Dies with the test process, so a test that fails (or crashes) leaves no Redis behind.
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(125);
    if (freopen(log_path_.c_str(), "a", stderr) == nullptr) _exit(126);
    if (freopen(log_path_.c_str(), "a", stdout) == nullptr) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
}

void RedisProcess::kill(int sig) {
  if (pid_ <= 0) return;
  ::kill(pid_, sig);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::string RedisProcess::log() const {
  std::ifstream in(log_path_);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

RedisServer::RedisServer(RedisOptions options) : dir_(make_temp_dir("redis")), port_(free_port()) {
  std::vector<std::string> argv = {"/usr/bin/redis-server", "--port", std::to_string(port_), "--bind", "127.0.0.1",
                                   "--dir", dir_, "--save", "", "--appendonly", "yes", "--appendfsync", "always",
                                   "--protected-mode", "no", "--daemonize", "no",
                                   // A replica's full sync starts at once, not after the default 5 s.
                                   "--repl-diskless-sync-delay", "0"};
  if (options.replica_of != 0) {
    argv.insert(argv.end(), {"--replicaof", "127.0.0.1", std::to_string(options.replica_of)});
  }
  if (options.cluster) {
    argv.insert(argv.end(), {"--cluster-enabled", "yes", "--cluster-config-file", dir_ + "/nodes.conf",
                             "--cluster-node-timeout", "2000"});
  }
  process_ = std::make_unique<RedisProcess>(std::move(argv), dir_ + "/redis.log");
  process_->start();
  wait_ready();
}

RedisServer::~RedisServer() {
  process_->kill(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

void RedisServer::kill() { process_->kill(SIGKILL); }
void RedisServer::stop() { process_->kill(SIGTERM); }

void RedisServer::restart() {
  process_->start();
  wait_ready();
}

std::string RedisServer::cli(const std::string& args) const {
  return trim(run_command("/usr/bin/redis-cli -h 127.0.0.1 -p " + std::to_string(port_) + " " + args + " 2>&1").out);
}

void RedisServer::wait_ready() const {
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (cli("PING") == "PONG") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  throw std::runtime_error("redis-server on port " + std::to_string(port_) + " did not start:\n" + log());
}

RedisSentinel::RedisSentinel(uint16_t master_port, const std::string& name)
    : dir_(make_temp_dir("sentinel")), port_(free_port()) {
  // Sentinel rewrites its config file as it learns, so the file lives in its own dir.
  const std::string conf = dir_ + "/sentinel.conf";
  std::ofstream(conf) << "port " << port_ << "\nbind 127.0.0.1\ndir " << dir_ << "\nprotected-mode no\n"
                      << "sentinel monitor " << name << " 127.0.0.1 " << master_port << " 2\n"
                      << "sentinel down-after-milliseconds " << name << " 1000\n"
                      << "sentinel failover-timeout " << name << " 3000\n"
                      << "sentinel parallel-syncs " << name << " 1\n";
  process_ =
      std::make_unique<RedisProcess>(std::vector<std::string>{"/usr/bin/redis-sentinel", conf}, dir_ + "/sentinel.log");
  process_->start();
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (run_command("/usr/bin/redis-cli -h 127.0.0.1 -p " + std::to_string(port_) + " PING 2>&1").out != "PONG\n") {
    if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("redis-sentinel did not start");
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

RedisSentinel::~RedisSentinel() {
  process_->kill(SIGKILL);
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

RedisCluster::RedisCluster() {
  std::string addrs;
  for (int i = 0; i < 3; ++i) {
    nodes_.push_back(std::make_unique<RedisServer>(RedisOptions{.cluster = true}));
    addrs += " " + nodes_.back()->addr();
  }
  const auto created =
      run_command("/usr/bin/redis-cli --cluster create" + addrs + " --cluster-replicas 0 --cluster-yes 2>&1");
  if (created.exit_code != 0) throw std::runtime_error("redis-cli --cluster create failed:\n" + created.out);
  const auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  for (const auto& n : nodes_) {
    while (n->cli("CLUSTER INFO").find("cluster_state:ok") == std::string::npos) {
      if (std::chrono::steady_clock::now() > deadline) throw std::runtime_error("Redis Cluster did not become ok");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

RedisCluster::~RedisCluster() = default;

}  // namespace budgetd::test
