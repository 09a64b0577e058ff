#pragma once
// What the cluster tests share: the SLOs, a random batch generator that uses every event form
// (single requests, pre-aggregated good/total, latencies, a failed request with its latency,
// labels, late events, JSON and NDJSON) with a brute-force count of what each batch adds to
// each SLO, the replicas' YAML, and reading every window of every SLO.

#include <chrono>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <utility>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {

inline constexpr const char* kClusterSlos = R"(
slos:
  - {name: avail, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
  - {name: fast, service: checkout, objective: 99, windows: ["7d"], sli: {type: latency, threshold_ms: 300}}
  - {name: eu, service: checkout, objective: 99.5, windows: ["1d"], sli: {type: ratio}, match: {region: eu}}
)";

// good, total
using Counts = std::pair<uint64_t, uint64_t>;
// SLO -> what its widest window holds (every event of the tests falls inside all of them).
using Model = std::map<std::string, Counts>;

struct RandomBatch {
  std::string body;
  std::string content_type;
  Model adds;  // the brute-force count of what the batch adds
};

// Events at `base_ms` back to 20 h before it (late ones, out of order), inside every window.
inline RandomBatch random_batch(std::mt19937_64& rng, int events, int64_t base_ms = kT0Ms) {
  RandomBatch b;
  const bool ndjson = rng() % 3 == 0;
  b.content_type = ndjson ? "application/x-ndjson" : "application/json";
  std::string items;
  for (int i = 0; i < events; ++i) {
    const int64_t ts = base_ms - static_cast<int64_t>(rng() % (20 * 3600)) * 1000;
    const bool eu = rng() % 2 == 0;
    const std::string labels = eu ? R"(,"labels":{"region":"eu","endpoint":"/pay"})" : R"(,"labels":{"region":"us"})";
    std::string e = R"({"service":"checkout","ts":)" + std::to_string(ts) + labels;
    uint64_t good = 0, total = 0;
    bool ratio = true;
    switch (rng() % 4) {
      case 0: {  // one request
        good = rng() % 5 != 0;
        total = 1;
        e += std::string(R"(,"good":)") + (good ? "true" : "false");
        break;
      }
      case 1: {  // pre-aggregated
        total = 1 + rng() % 1000;
        good = total - rng() % (total / 10 + 1);
        e += R"(,"good":)" + std::to_string(good) + R"(,"total":)" + std::to_string(total);
        break;
      }
      case 2: {  // a latency only: the latency SLI's
        const uint64_t ms = rng() % 600;
        e += R"(,"latency_ms":)" + std::to_string(ms);
        b.adds["fast"].first += ms <= 300;
        b.adds["fast"].second += 1;
        ratio = false;
        break;
      }
      default: {  // a failed request with its latency: bad for both SLIs
        e += R"(,"good":false,"latency_ms":)" + std::to_string(rng() % 600);
        total = 1;
        b.adds["fast"].second += 1;
        break;
      }
    }
    if (ratio) {
      b.adds["avail"].first += good;
      b.adds["avail"].second += total;
      if (eu) {
        b.adds["eu"].first += good;
        b.adds["eu"].second += total;
      }
    }
    e += "}";
    items += ndjson ? e + "\n" : (i ? "," : "") + e;
  }
  b.body = ndjson ? items : R"({"events":[)" + items + "]}";
  return b;
}

inline void add(Model& into, const Model& adds) {
  for (const auto& [slo, c] : adds) {
    into[slo].first += c.first;
    into[slo].second += c.second;
  }
}

// Every window of every SLO, "slo/window" -> counts (status answers read from local state).
inline std::map<std::string, Counts> all_windows(uint16_t port) {
  std::map<std::string, Counts> out;
  HttpClient c(port);
  for (const char* slo : {"avail", "fast", "eu"}) {
    const HttpResult r = c.get(std::string("/v1/slos/") + slo);
    if (r.status != 200) continue;
    const nlohmann::json status = r.json();
    for (const auto& w : status["windows"])
      out[std::string(slo) + "/" + w["window"].get<std::string>()] = {w["good"], w["total"]};
  }
  return out;
}

// The widest window of each SLO, as the model counts it.
inline Model widest(const std::map<std::string, Counts>& windows) {
  return {{"avail", windows.count("avail/30d") ? windows.at("avail/30d") : Counts{}},
          {"fast", windows.count("fast/7d") ? windows.at("fast/7d") : Counts{}},
          {"eu", windows.count("eu/1d") ? windows.at("eu/1d") : Counts{}}};
}

// The YAML of replica `node` on Redis at `redis` (`redis` is the whole redis: mapping).
inline std::string replica_yaml(const std::string& node, const std::string& redis, const std::string& ack,
                                int wait_replicas = 0, const std::string& extra = "") {
  return std::string(kClusterSlos) + "cluster:\n  node: " + node + "\n  redis: " + redis + "\n  ack: " + ack +
         "\n  wait_replicas: " + std::to_string(wait_replicas) + "\n  stream: test\n" + extra;
}

inline std::string url_redis(const std::string& url, int shards = 1) {
  return "{url: \"" + url + "\", timeout: 500ms, shards: " + std::to_string(shards) + "}";
}

// Polls until `done` or `seconds` pass; true if it became done.
template <typename F>
bool eventually(F done, double seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return done();
}

}  // namespace budgetd::test
