#pragma once
// What the durability tests share (durability_test.cpp, log_limit_test.cpp): three SLOs of one
// service, a batch for them, and every window's counts read back over HTTP.

#include <cstdint>
#include <map>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "http_client.h"

namespace budgetd::test {

inline constexpr const char* kSlos = R"(
slos:
  - {name: avail, service: checkout, objective: 99.9, windows: ["30d"], sli: {type: ratio}}
  - {name: fast, service: checkout, objective: 99, windows: ["7d"], sli: {type: latency, threshold_ms: 300}}
  - {name: eu, service: checkout, objective: 99.5, windows: ["1d"], sli: {type: ratio}, match: {region: eu}}
)";

inline std::string batch(int n, int64_t ts_ms, bool good = true) {
  std::string b = R"({"events":[)";
  for (int i = 0; i < n; ++i) {
    b += (i ? "," : "") + std::string(R"({"service":"checkout","ts":)") + std::to_string(ts_ms - i * 1000) +
         R"(,"good":)" + (good || i % 3 ? "true" : "false") + R"(,"latency_ms":)" + std::to_string(i * 37 % 600) +
         (i % 2 ? R"(,"labels":{"region":"eu"})" : "") + "}";
  }
  return b + "]}";
}

// Every window of every SLO: name -> (good, total).
inline std::map<std::string, std::pair<uint64_t, uint64_t>> all_counts(HttpClient& c) {
  std::map<std::string, std::pair<uint64_t, uint64_t>> out;
  for (const char* slo : {"avail", "fast", "eu"}) {
    const HttpResult r = c.get(std::string("/v1/slos/") + slo);
    if (r.status != 200) continue;
    const nlohmann::json status = r.json();  // named: iterating r.json()[...] would outlive the temporary
    for (const auto& w : status["windows"]) {
      out[std::string(slo) + "/" + w["window"].get<std::string>()] = {w["good"], w["total"]};
    }
  }
  return out;
}

}  // namespace budgetd::test
