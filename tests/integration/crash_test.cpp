// The crash test (issue 4): budgetd with fsync: always takes batches from concurrent clients
// while it is killed with SIGKILL at random moments and restarted. Every batch carries an
// Idempotency-Key; a batch whose answer was lost is retried with its key until acknowledged.
// Meanwhile another client asks for snapshots (POST /-/snapshot) all the time, so kills land
// during snapshots too and restarts recover from snapshot + log with keys on both sides of the
// cut. At the end every count must equal exactly the sum of the distinct batches acknowledged
// with 200: nothing acknowledged lost, nothing counted twice.
//
// BUDGETD_CRASH_KILLS sets the number of kills (default 20).

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <thread>

#include <gtest/gtest.h>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

namespace fs = std::filesystem;

int kills_wanted() {
  const char* s = std::getenv("BUDGETD_CRASH_KILLS");
  return s != nullptr ? std::max(1, std::atoi(s)) : 20;
}

class Server {
 public:
  Server(std::string config, std::string log) : config_(std::move(config)), log_(std::move(log)) {}
  ~Server() { kill_now(); }

  // Starts budgetd and waits for its port.
  uint16_t start() {
    std::ofstream(log_, std::ios::trunc).close();
    pid_ = fork();
    if (pid_ == 0) {
      const int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      dup2(fd, 2);
      execl(BUDGETD_BINARY, BUDGETD_BINARY, "serve", "--config", config_.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    const std::regex listening(R"re("msg":"http: listening".*"port":(\d+))re");
    for (int i = 0; i < 1500; ++i) {
      std::ifstream in(log_);
      std::string line;
      std::smatch m;
      while (std::getline(in, line)) {
        if (std::regex_search(line, m, listening)) return static_cast<uint16_t>(std::stoi(m[1]));
      }
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return 0;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return 0;
  }

  void kill_now() {
    if (pid_ <= 0) return;
    kill(pid_, SIGKILL);
    int status = 0;
    waitpid(pid_, &status, 0);
    pid_ = -1;
  }

  std::string log_text() const {
    std::ifstream in(log_);
    return {std::istreambuf_iterator<char>(in), {}};
  }

 private:
  std::string config_;
  std::string log_;
  pid_t pid_ = -1;
};

struct Batch {
  std::string key;
  uint64_t good;
  uint64_t total;
};

TEST(Crash, SigkillLosesNoAcknowledgedBatchAndCountsNoneTwice) {
  TempDir dir;
  const std::string config = dir.path() + "/budgetd.yaml";
  std::ofstream(config) << "server: {listen: \"127.0.0.1:0\", threads: 2}\n"
                        << "storage: {dir: \"" << dir.path() << "/data\", fsync: always, snapshot_interval: 10s}\n"
                        << "slos:\n"
                        << "  - {name: a, service: crash, objective: 99.9, windows: [\"30d\"], sli: {type: ratio}}\n"
                        << "  - {name: b, service: crash, objective: 99, windows: [\"7d\"], sli: {type: ratio}}\n";
  Server server(config, dir.path() + "/budgetd.log");

  std::atomic<uint16_t> port{server.start()};
  ASSERT_NE(port.load(), 0) << server.log_text();

  constexpr int kClients = 4;
  std::mutex mu;
  std::map<std::string, Batch> acknowledged;          // key -> batch, each key once
  std::vector<std::vector<Batch>> pending(kClients);  // sent, answer not seen: retry with the same key
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> sent{0}, replayed{0};

  // Sends one batch; true once it is acknowledged (200).
  const auto send = [&](HttpClient& c, const Batch& b) {
    const std::string body = R"({"events":[{"service":"crash","good":)" + std::to_string(b.good) + R"(,"total":)" +
                             std::to_string(b.total) + "}]}";
    const HttpResult r = c.post("/v1/events", body, "application/json", {{"Idempotency-Key", b.key}});
    if (r.status != 200) return false;
    if (r.header("idempotent-replayed") == "true") ++replayed;
    std::lock_guard lock(mu);
    acknowledged.emplace(b.key, b);
    return true;
  };

  const auto client = [&](int id) {
    std::mt19937_64 rng(static_cast<uint64_t>(id) * 7919 + 1);
    uint64_t seq = 0;
    std::unique_ptr<HttpClient> c;
    while (!stop.load()) {
      try {
        if (!c) c = std::make_unique<HttpClient>(port.load());
      } catch (const std::exception&) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));  // the server is restarting
        continue;
      }
      Batch b;
      if (!pending[static_cast<size_t>(id)].empty()) {
        b = pending[static_cast<size_t>(id)].back();
      } else {
        b.total = 1 + rng() % 1000;
        b.good = b.total - rng() % (b.total / 10 + 1);
        b.key = "c" + std::to_string(id) + "-" + std::to_string(seq++);
        pending[static_cast<size_t>(id)].push_back(b);
        ++sent;
      }
      if (send(*c, b)) {
        pending[static_cast<size_t>(id)].pop_back();
      } else {
        c.reset();  // reconnect, possibly to the restarted server
      }
    }
  };

  std::vector<std::thread> clients;
  for (int i = 0; i < kClients; ++i) clients.emplace_back(client, i);
  std::atomic<int> snapshots{0};
  clients.emplace_back([&] {
    std::unique_ptr<HttpClient> c;
    while (!stop.load()) {
      try {
        if (!c) c = std::make_unique<HttpClient>(port.load());
        if (c->post("/-/snapshot", "").status == 200)
          ++snapshots;
        else
          c.reset();
      } catch (const std::exception&) {
        c.reset();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  });

  std::mt19937_64 rng(42);
  const int kills = kills_wanted();
  int restarts_from_snapshot = 0;
  for (int k = 0; k < kills; ++k) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30 + rng() % 200));
    server.kill_now();
    const uint16_t p = server.start();
    ASSERT_NE(p, 0) << "restart " << k << " failed:\n" << server.log_text();
    port = p;
    if (server.log_text().find(R"("snapshot":"snapshot-)") != std::string::npos) ++restarts_from_snapshot;
  }
  // Let every client get its pending batch acknowledged, then stop.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  stop = true;
  for (auto& t : clients) t.join();
  {
    HttpClient c(port.load());
    for (auto& p : pending) {
      for (const Batch& b : p) {
        bool ok = false;
        for (int attempt = 0; attempt < 50 && !ok; ++attempt) ok = send(c, b);
        ASSERT_TRUE(ok) << "batch " << b.key << " never acknowledged";
      }
    }
  }

  uint64_t good = 0, total = 0;
  for (const auto& [key, b] : acknowledged) {
    good += b.good;
    total += b.total;
  }
  HttpClient c(port.load());
  for (const char* slo : {"a", "b"}) {
    const auto status = c.get(std::string("/v1/slos/") + slo).json();
    for (const auto& w : status["windows"]) {
      const std::string name = w["window"];
      if (name == "5m" || name == "30m") continue;  // the run may outlast these
      EXPECT_EQ(w["total"].get<uint64_t>(), total) << slo << " " << name;
      EXPECT_EQ(w["good"].get<uint64_t>(), good) << slo << " " << name;
    }
  }
  // The run really exercised crashes and retries.
  EXPECT_GE(acknowledged.size(), static_cast<size_t>(kills)) << "sent " << sent.load();
  EXPECT_GT(snapshots.load(), 0);
  EXPECT_GT(restarts_from_snapshot, 0) << "no restart loaded a snapshot";
  RecordProperty("kills", kills);
  RecordProperty("batches_acknowledged", static_cast<int>(acknowledged.size()));
  RecordProperty("answers_replayed_from_keys", static_cast<int>(replayed.load()));
  RecordProperty("snapshots", snapshots.load());
  std::printf(
      "crash test: %d kills (%d restarts from a snapshot), %zu batches acknowledged, %llu answered from a remembered "
      "key, %d snapshots\n",
      kills, restarts_from_snapshot, acknowledged.size(), static_cast<unsigned long long>(replayed.load()),
      snapshots.load());
}

}  // namespace
}  // namespace budgetd::test
