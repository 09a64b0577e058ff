// The cluster's housekeeping end to end, against a real redis-server on a loopback port:
// bootstrap of a new replica and of one whose position was trimmed, config mismatch in
// GET /v1/cluster, and one notification sender across replicas with a hand-over when the
// leader is SIGKILLed. The replicas are in-process daemons where their clocks must be
// simulated, and real budgetd processes where one must die without a goodbye.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include <gtest/gtest.h>

#include "budgetd/cluster/redis_client.h"
#include "budgetd/cluster/stream_keys.h"
#include "budgetd_process.h"
#include "external_process.h"
#include "http_client.h"
#include "http_receiver.h"
#include "redis_server.h"
#include "stderr_capture.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

constexpr const char* kSlos = R"(
slos:
  - {name: checkout, service: shop, objective: 99.9, windows: [30d], sli: {type: ratio}}
  - {name: search, service: shop, objective: 99, windows: [7d], sli: {type: ratio}, match: {route: /search}}
)";

// A replica's config: its own port (known before start, for cluster.advertise) and name.
std::string replica_yaml(const RedisServer& redis, const std::string& node, uint16_t port,
                         const std::string& slos = kSlos, const std::string& extra = "") {
  return "server: {listen: \"127.0.0.1:" + std::to_string(port) + "\"}\n" + "cluster:\n  node: " + node +
         "\n  advertise: \"http://127.0.0.1:" + std::to_string(port) + "\"\n" + "  redis: {url: \"" + redis.url() +
         "\", timeout: 1s}\n  ack: replicated\n  wait_replicas: 0\n" +
         "  heartbeat_interval: 100ms\n  node_timeout: 1s\n  lease: 600ms\n" + extra + slos;
}

struct Replica {
  Replica(const RedisServer& redis, const std::string& name, const std::string& slos = kSlos)
      : node(name), port(free_port()), daemon(replica_yaml(redis, name, port, slos)) {}
  std::string node;
  uint16_t port;
  TestDaemon daemon;
};

// Every window count of every SLO, as one replica answers it.
std::map<std::string, json> counts(uint16_t port) {
  HttpClient c(port);
  std::map<std::string, json> out;
  for (const char* slo : {"checkout", "search"}) {
    const json s = c.get(std::string("/v1/slos/") + slo).json();
    json w = json::array();
    for (const auto& b : s["budgets"]) w.push_back({b["window"], b["good"], b["total"]});
    for (const auto& x : s["windows"]) w.push_back({x["window"], x["good"], x["total"]});
    out[slo] = w;
  }
  return out;
}

// What the batches sent so far add up to: per SLO, the good and total its budget window holds
// (every event is at most an hour old, so inside both SLOs' budget windows).
using Sent = std::map<std::string, std::pair<uint64_t, uint64_t>>;

// Waits until every replica in `ports` answers the same counts and each SLO's budget window
// holds exactly what was sent (replication is asynchronous: a replica counts its own batches at
// once and its peers' when its tailer reads them, so one replica's answer alone may be behind).
// Returns the agreed counts, or nothing when they did not settle `within`.
std::optional<std::map<std::string, json>> settled(const std::vector<uint16_t>& ports, const Sent& sent,
                                                   std::chrono::seconds within = 10s) {
  const auto complete = [&](const std::map<std::string, json>& c) {
    for (const auto& [slo, gt] : sent) {
      const json& budget = c.at(slo).at(0);
      if (budget[1] != gt.first || budget[2] != gt.second) return false;
    }
    return true;
  };
  const auto until = std::chrono::steady_clock::now() + within;
  while (std::chrono::steady_clock::now() < until) {
    const auto first = counts(ports.front());
    bool same = complete(first);
    for (size_t i = 1; same && i < ports.size(); ++i) same = counts(ports[i]) == first;
    if (same) return first;
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

// Random batches to random replicas, added to `sent`.
void send_random(std::vector<Replica*> to, int batches, uint64_t seed, Sent& sent) {
  std::mt19937_64 rng(seed);
  for (int i = 0; i < batches; ++i) {
    Replica& r = *to[rng() % to.size()];
    const uint64_t total = 1 + rng() % 50, good = rng() % (total + 1);
    const bool search = rng() % 2 == 0;
    const int64_t ts = kT0Ms - static_cast<int64_t>(rng() % 3'600'000);  // late events too
    const std::string body = std::string(R"({"events":[{"service":"shop","ts":)") + std::to_string(ts) + R"(,"good":)" +
                             std::to_string(good) + R"(,"total":)" + std::to_string(total) +
                             (search ? R"(,"labels":{"route":"/search"})" : "") + "}]}";
    HttpClient c(r.port);
    const HttpResult res = c.post("/v1/events", body);
    ASSERT_EQ(res.status, 200) << res.body;
    const auto count = [&](const char* slo) {
      sent[slo].first += good;
      sent[slo].second += total;
    };
    count("checkout");  // every event of service shop
    if (search) count("search");
  }
}

uint64_t metric(uint16_t port, const std::string& name) {
  const std::string text = HttpClient(port).get("/metrics").body;
  const size_t at = text.find("\n" + name + " ");
  return at == std::string::npos ? ~uint64_t{0} : std::stoull(text.substr(at + name.size() + 2));
}

TEST(ClusterBootstrap, AFourthReplicaWithAnEmptyDataDirFetchesAPeersSnapshotAndMatches) {
  RedisServer redis;
  Replica a(redis, "a"), b(redis, "b"), c(redis, "c");
  Sent sent;
  send_random({&a, &b, &c}, 60, 1, sent);
  const auto want = settled({a.port, b.port, c.port}, sent);
  ASSERT_TRUE(want) << "the three replicas never agreed on what was sent";
  StderrCapture capture;
  Replica d(redis, "d");  // empty data dir: bootstraps before recovery
  EXPECT_EQ(counts(d.port), *want) << "the snapshot alone already holds every count";
  EXPECT_EQ(metric(d.port, "budgetd_cluster_bootstraps_total"), 1u);
  EXPECT_EQ(capture.lines_with("bootstrapped from a peer's snapshot").size(), 1u);
  // And it tails from the snapshot's position: new batches anywhere reach it, counted once.
  send_random({&a, &b, &c, &d}, 30, 2, sent);
  EXPECT_TRUE(settled({a.port, b.port, c.port, d.port}, sent));
  // Membership sees all four.
  const json cluster = HttpClient(d.port).get("/v1/cluster").json();
  EXPECT_EQ(cluster["node"], "d");
  EXPECT_EQ(cluster["nodes"].size(), 4u) << cluster.dump();
}

TEST(ClusterBootstrap, TheFirstReplicaOfAClusterStartsEmpty) {
  RedisServer redis;
  Replica a(redis, "a");
  EXPECT_EQ(metric(a.port, "budgetd_cluster_bootstraps_total"), 0u);
  EXPECT_EQ(HttpClient(a.port).get("/v1/slos/checkout").json()["budget"]["total"], 0);
}

TEST(ClusterBootstrap, AReplicaWhosePositionWasTrimmedSetsItsDataAsideAndBootstraps) {
  RedisServer redis;
  Replica a(redis, "a");
  auto b = std::make_unique<Replica>(redis, "b");
  Sent sent;
  send_random({&a, b.get()}, 20, 3, sent);
  ASSERT_TRUE(settled({a.port, b->port}, sent));
  const std::string b_dir = b->daemon.dir();
  // b stops (its snapshot remembers its position); a goes on, snapshots, and once b's heartbeat
  // has expired (node_timeout 1 s) trims the stream below a's own snapshot: b's position is gone.
  const uint16_t b_port = b->port;
  b->daemon.daemon().stop();
  send_random({&a}, 20, 4, sent);
  const auto gone_by = std::chrono::steady_clock::now() + 10s;
  json view;
  do {
    std::this_thread::sleep_for(50ms);
    view = HttpClient(a.port).get("/v1/cluster").json();
  } while ((view["nodes"].size() != 1 || view["replication"]["lag_records"] != 0) &&
           std::chrono::steady_clock::now() < gone_by);
  ASSERT_EQ(view["nodes"].size(), 1u) << view.dump();
  ASSERT_EQ(HttpClient(a.port).post("/-/snapshot", "").status, 200);
  // Trimmed down to a's snapshot position: only that entry is left, b's is long gone.
  const config::Config ca = parse_config(replica_yaml(redis, "a", a.port));
  const std::string shard = cluster::shard_keys(*ca.cluster)[0];
  cluster::RedisClient r(ca.cluster->redis);
  const auto xlen = [&] {
    auto n = r.command({"XLEN", shard});
    return n.ok() ? n->integer : -1;
  };
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (xlen() != 1 && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
  ASSERT_EQ(xlen(), 1);
  StderrCapture capture;
  b->daemon.restart();  // same dir, same name
  EXPECT_EQ(capture.lines_with("stream position was trimmed away").size(), 1u);
  EXPECT_EQ(metric(b_port, "budgetd_cluster_bootstraps_total"), 1u);
  EXPECT_EQ(counts(b_port), counts(a.port));
  bool aside = false;
  for (const auto& e : std::filesystem::directory_iterator(b_dir)) {
    aside |= e.path().filename().string().starts_with("pre-bootstrap-");
  }
  EXPECT_TRUE(aside) << "the data b held before is kept for an operator";
  send_random({&a, b.get()}, 10, 5, sent);
  EXPECT_TRUE(settled({a.port, b_port}, sent));
}

TEST(ClusterMembership, AConfigMismatchIsReportedInClusterAMetricAndOneLogLinePerSlo) {
  RedisServer redis;
  StderrCapture capture;
  Replica a(redis, "a");
  Replica b(redis, "b", R"(
slos:
  - {name: checkout, service: shop, objective: 99.9, windows: [30d], sli: {type: ratio}}
  - {name: search, service: shop, objective: 99, windows: [7d], sli: {type: ratio}, match: {route: /find}}
  - {name: cart, service: shop, objective: 99, windows: [7d], sli: {type: ratio}}
)");
  const auto until = std::chrono::steady_clock::now() + 10s;
  json cluster;
  do {
    std::this_thread::sleep_for(50ms);
    cluster = HttpClient(a.port).get("/v1/cluster").json();
  } while (cluster["config_differs"].empty() && std::chrono::steady_clock::now() < until);
  ASSERT_EQ(cluster["config_differs"], json::array({"b"})) << cluster.dump();
  json diff;
  for (const auto& n : cluster["nodes"]) {
    if (n["node"] == "b") diff = n["slo_differences"];
  }
  EXPECT_EQ(diff,
            json::parse(R"([{"slo":"cart","reason":"unknown here"},{"slo":"search","reason":"identity differs"}])"));
  EXPECT_EQ(metric(a.port, "budgetd_cluster_config_mismatched_nodes"), 1u);
  std::this_thread::sleep_for(300ms);  // more heartbeat rounds: still one line per SLO
  size_t on_a = 0;
  for (const auto& l : capture.lines_with("a node's SLOs differ"))
    on_a += l.find("\"node\":\"b\"") != std::string::npos;
  EXPECT_EQ(on_a, 2u);
}

TEST(ClusterApi, EmbeddedAnswersCarryNoReplicationAndHaveNoCluster) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  EXPECT_FALSE(c.get("/v1/slos/checkout").json().contains("replication"));
  EXPECT_FALSE(c.get("/v1/gate?service=shop&change=feature").json().contains("replication"));
  EXPECT_EQ(c.get("/v1/cluster").status, 404);
}

TEST(ClusterApi, StatusListAndGateCarryReplicationAndTheSnapshotRouteSendsADecodableSnapshot) {
  RedisServer redis;
  Replica a(redis, "a");
  HttpClient c(a.port);
  // Fresh: not stale once the log's tailers have reached Redis.
  const auto fresh_by = std::chrono::steady_clock::now() + 10s;
  while (c.get("/v1/slos/checkout").json()["replication"]["stale"] != false &&
         std::chrono::steady_clock::now() < fresh_by) {
    std::this_thread::sleep_for(20ms);
  }
  for (const std::string path : {"/v1/slos/checkout", "/v1/slos", "/v1/gate?service=shop&change=feature"}) {
    const json j = c.get(path).json();
    ASSERT_TRUE(j.contains("replication")) << path << ": " << j.dump();
    EXPECT_TRUE(j["replication"]["lag_seconds"].is_number());
    EXPECT_EQ(j["replication"]["stale"], false) << path;
  }
  const HttpResult snap = c.get("/v1/admin/snapshot");
  ASSERT_EQ(snap.status, 200);
  EXPECT_EQ(snap.header("content-type"), "application/octet-stream");
  EXPECT_EQ(snap.body.substr(0, 8), "BDSNAP01");
  // Redis away: reads still answer, from local state, and say they may be stale.
  redis.kill();
  const auto until = std::chrono::steady_clock::now() + 10s;
  json j;
  do {
    std::this_thread::sleep_for(50ms);
    j = c.get("/v1/slos/checkout").json();
  } while (j["replication"]["stale"] != true && std::chrono::steady_clock::now() < until);
  EXPECT_EQ(j["replication"]["stale"], true);
  EXPECT_EQ(c.get("/v1/cluster").json()["redis"]["reachable"], false);
}

// --- one notification sender, real processes -------------------------------------------------

// BudgetdProcess (budgetd_process.h): a real budgetd, SIGKILLed with the test process too.

struct Hooks {
  // (sender, status) of each delivered webhook incident holding rule fast-burn, in arrival order.
  static std::vector<std::pair<std::string, std::string>> of(const HttpReceiver& hook) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& r : hook.requests()) {
      if (r.answered != 200) continue;
      const json body = json::parse(r.body, nullptr, /*allow_exceptions=*/false);
      if (!body.is_object() || !body.contains("incidents")) continue;
      for (const auto& incident : body["incidents"]) {
        for (const auto& rule : incident.value("rules", json::array())) {
          if (rule.value("rule", "") == "fast-burn")
            out.emplace_back(incident.value("url", ""), incident.value("status", ""));
        }
      }
    }
    return out;
  }
};

TEST(ClusterNotifications, OneWebhookPerTransitionAcrossThreeReplicasAndALeaderKillHandsOver) {
  RedisServer redis;
  HttpReceiver hook;
  TempDir dir;
  std::vector<std::unique_ptr<BudgetdProcess>> procs;
  std::vector<uint16_t> ports;
  const std::string slo = R"(
alerting: {evaluation_interval: 1s}
notify: {resend_interval: 1h, webhooks: [{url: "HOOK/hook"}], external_url: "SELF"}
slos:
  - name: checkout
    service: shop
    objective: 99.9
    windows: [30d]
    sli: {type: ratio}
    alerting:
      min_events: 10
      rules: [{name: fast-burn, severity: page, long: 5m, short: 1m, factor: 10}]
)";
  for (const std::string node : {"a", "b", "c"}) {
    const uint16_t port = free_port();
    std::string yaml = replica_yaml(redis, node, port, slo);
    yaml.replace(yaml.find("HOOK"), 4, hook.url());
    yaml.replace(yaml.find("SELF"), 4, "http://" + node);
    // A lease long enough that a renewal delayed by a loaded machine does not hand over by itself.
    yaml.replace(yaml.find("lease: 600ms"), 12, "lease: 2s");
    yaml += "storage: {dir: \"" + dir.path() + "/" + node + "\"}\n";
    const std::string path = dir.path() + "/" + node + ".yaml";
    std::ofstream(path) << yaml;
    procs.push_back(std::make_unique<BudgetdProcess>(path, dir.path() + "/" + node + ".log"));
    procs.back()->start();
    ports.push_back(port);
  }
  const auto leader = [&]() -> int {
    for (size_t i = 0; i < ports.size(); ++i) {
      try {
        const json j = HttpClient(ports[i]).get("/v1/cluster").json();
        if (j["is_leader"] == true) return static_cast<int>(i);
      } catch (const std::exception&) {
      }
    }
    return -1;
  };
  const auto wait_until = [](auto done, std::chrono::seconds within) {
    const auto until = std::chrono::steady_clock::now() + within;
    while (!done() && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(50ms);
    return done();
  };
  const auto all_ready = [&] {
    for (const uint16_t port : ports) {
      try {
        if (http_get(port, "/readyz").status != 200) return false;
      } catch (const std::exception&) {
        return false;  // not listening yet
      }
    }
    return true;
  };
  ASSERT_TRUE(wait_until(all_ready, 30s)) << procs[0]->log_text() << procs[1]->log_text() << procs[2]->log_text();
  ASSERT_TRUE(wait_until([&] { return leader() >= 0; }, 15s)) << procs[0]->log_text();
  // 100 bad events on b: every replica counts them, every replica's alert fires, one sends.
  ASSERT_EQ(HttpClient(ports[1]).post("/v1/events", R"({"events":[{"service":"shop","good":0,"total":100}]})").status,
            200);
  ASSERT_TRUE(wait_until([&] { return !Hooks::of(hook).empty(); }, 15s))
      << hook.requests().size() << " webhook requests, none for fast-burn";
  std::this_thread::sleep_for(2s);  // two more evaluation ticks on every replica
  const int first = leader();
  ASSERT_GE(first, 0);
  auto sent = Hooks::of(hook);
  ASSERT_EQ(sent.size(), 1u) << "one firing across three replicas";
  EXPECT_EQ(sent[0].second, "firing");
  EXPECT_EQ(sent[0].first, std::string("http://") + "abc"[first] + "/v1/slos/checkout");
  for (size_t i = 0; i < ports.size(); ++i) {  // every replica tracks the alert
    EXPECT_EQ(HttpClient(ports[i]).get("/v1/alerts").json()["alerts"].size(), 1u) << i;
  }

  // The leader dies without a word; another takes the lease within ~2 lease periods and, when
  // good traffic resolves the alert, sends the resolve the old leader would have sent.
  const auto killed = std::chrono::steady_clock::now();
  procs[first]->kill_now();
  int next = -1;
  ASSERT_TRUE(wait_until([&] { return (next = leader()) >= 0 && next != first; }, 10s));
  const double takeover = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  std::printf("leader %c SIGKILLed; %c took the lease after %.2f s (lease 2 s)\n", "abc"[first], "abc"[next], takeover);
  EXPECT_LT(takeover, 4.5) << "within about two lease periods";
  const uint16_t alive = ports[(first + 1) % 3 == next ? (first + 2) % 3 : (first + 1) % 3];
  ASSERT_EQ(
      HttpClient(alive).post("/v1/events", R"({"events":[{"service":"shop","good":200000,"total":200000}]})").status,
      200);
  ASSERT_TRUE(wait_until(
      [&] {
        for (const auto& s : Hooks::of(hook)) {
          if (s.second == "resolved") return true;
        }
        return false;
      },
      15s));
  std::this_thread::sleep_for(1500ms);
  sent = Hooks::of(hook);
  for (const auto& [from, status] : sent) std::printf("webhook: %s from %s\n", status.c_str(), from.c_str());
  const std::string new_url = std::string("http://") + "abc"[next] + "/v1/slos/checkout";
  size_t resolves = 0;
  for (size_t i = 1; i < sent.size(); ++i) {
    EXPECT_EQ(sent[i].first, new_url) << "only the new leader sends after the kill";
    resolves += sent[i].second == "resolved";
  }
  EXPECT_EQ(resolves, 1u);
  // At most one repeat of the firing: what the new leader sends at takeover (README says so).
  EXPECT_LE(sent.size(), 3u);
}

}  // namespace
}  // namespace budgetd::test
