// Contributors against a brute-force count. Random labelled event streams go through the real
// server (HTTP, decoder, router, committer, store, and across a restart the snapshot); a model
// written apart from budgetd's code keeps every accepted event, and every contributor figure of
// every GET /v1/slos/{name}/contributors answer must match it to the event, "other" included.
//
// The model's rules (docs/storage.md, "Attribution"): each label's values get slots in the order
// they are first accepted (a missing label counts as the value ""), the first max_values of them
// are named, every later one counts as "other"; a window's span is the status window (ending
// with the 10 s bucket holding now) widened outward to the attribution ring: 1m for windows up
// to 6h, 5m up to 3d, 1h beyond (the coarsest giving at least 60 buckets).

#include <algorithm>
#include <map>
#include <memory>
#include <random>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
constexpr int64_t kSec = 1000, kMin = 60 * kSec, kHourMs = 60 * kMin, kDayMs = 24 * kHourMs;
constexpr size_t kMaxValues = 5;
const std::vector<std::string> kLabels{"endpoint", "region", "version"};

int64_t fdiv(int64_t a, int64_t b) { return a >= 0 ? a / b : -((-a + b - 1) / b); }
int64_t attribution_resolution(int64_t w) {
  for (int64_t r : {kHourMs, 5 * kMin, kMin, 10 * kSec}) {
    if (w >= 60 * r) return r;
  }
  return 10 * kSec;
}

struct ModelEvent {
  int64_t ts;
  uint64_t good, total;
  std::map<std::string, std::string> labels;
};

struct Model {
  std::vector<ModelEvent> events;
  std::map<std::string, std::vector<std::string>> named;  // label -> values with a slot, in order

  void accept(const ModelEvent& e) {
    events.push_back(e);
    for (const std::string& l : kLabels) {
      const auto it = e.labels.find(l);
      const std::string v = it == e.labels.end() ? "" : it->second;
      auto& n = named[l];
      if (std::find(n.begin(), n.end(), v) == n.end() && n.size() < kMaxValues) n.push_back(v);
    }
  }
  // value (or "\x01other") -> {bad, total} over [start, end).
  std::map<std::string, std::pair<uint64_t, uint64_t>> count(const std::string& label, int64_t start,
                                                             int64_t end) const {
    std::map<std::string, std::pair<uint64_t, uint64_t>> out;
    const auto& n = named.at(label);
    for (const ModelEvent& e : events) {
      if (e.ts < start || e.ts >= end) continue;
      const auto it = e.labels.find(label);
      const std::string v = it == e.labels.end() ? "" : it->second;
      const std::string key = std::find(n.begin(), n.end(), v) == n.end() ? "\x01other" : v;
      out[key].first += e.total - e.good;
      out[key].second += e.total;
    }
    return out;
  }
};

std::string event_json(const ModelEvent& e) {
  json labels = json::object();
  for (const auto& [k, v] : e.labels) labels[k] = v;
  labels["tier"] = "web";  // a label nobody attributes
  json j = {{"service", "pay"}, {"ts", e.ts}, {"labels", labels}};
  if (e.total == 1) {
    j["good"] = e.good == 1;
  } else {
    j["good"] = e.good;
    j["total"] = e.total;
  }
  return j.dump();
}

void check_against_model(HttpClient& c, const Model& m, int64_t now, int round) {
  for (const int64_t w : {kHourMs, 6 * kHourMs, 30 * kDayMs}) {
    const int64_t r = attribution_resolution(w);
    const int64_t status_res = w <= kHourMs       ? 10 * kSec
                               : w <= 6 * kHourMs ? kMin
                               : w <= 3 * kDayMs  ? 5 * kMin
                                                  : kHourMs;
    const int64_t end = (fdiv(now, status_res) + 1) * status_res;
    const int64_t start = fdiv(end - w, r) * r;
    const int64_t snapped_end = -fdiv(-end, r) * r;
    for (const std::string& label : kLabels) {
      const std::string target =
          fmt::format("/v1/slos/pay/contributors?window={}&label={}", format_duration(Millis{w}), label);
      const HttpResult res = c.get(target);
      ASSERT_EQ(res.status, 200) << target << ": " << res.body;
      const json j = res.json();
      ASSERT_EQ(j["start"], format_rfc3339(from_unix_ms(start))) << target << " round " << round;
      ASSERT_EQ(j["end"], format_rfc3339(from_unix_ms(snapped_end))) << target;
      const auto want = m.count(label, start, snapped_end);
      ASSERT_EQ(j["labels"].size(), 1u);
      const json& l = j["labels"][0];
      uint64_t bad = 0, total = 0;
      for (const auto& [v, bt] : want) {
        bad += bt.first;
        total += bt.second;
      }
      EXPECT_EQ(l["bad"], bad) << target << " round " << round;
      EXPECT_EQ(l["total"], total) << target;
      ASSERT_EQ(l["values"].size(), want.size()) << target << ": " << l.dump();
      uint64_t last_bad = UINT64_MAX;
      for (const json& v : l["values"]) {
        const std::string key = v["other"].get<bool>() ? "\x01other" : v["value"].get<std::string>();
        ASSERT_TRUE(want.contains(key)) << target << ": " << v.dump();
        EXPECT_EQ(v["bad"], want.at(key).first) << target << " " << key << " round " << round;
        EXPECT_EQ(v["total"], want.at(key).second) << target << " " << key;
        EXPECT_LE(v["bad"].get<uint64_t>(), last_bad) << "ranked by bad events";
        last_bad = v["bad"].get<uint64_t>();
        if (bad != 0) {
          EXPECT_DOUBLE_EQ(v["share_of_bad"].get<double>(),
                           static_cast<double>(want.at(key).first) / static_cast<double>(bad));
        }
      }
    }
  }
}

TEST(ContributorsDifferential, EveryFigureMatchesABruteForceCountIncludingOther) {
  TestDaemon d(R"(
slos:
  - name: pay
    service: pay
    objective: 99
    sli: {type: ratio}
    attribution: {labels: [endpoint, region, version], max_values: 5}
)");
  auto c = std::make_unique<HttpClient>(d.port());
  Model m;
  std::mt19937_64 rng(15);
  for (int round = 0; round < 60; ++round) {
    const int64_t now = to_unix_ms(d.clock().now());
    std::vector<std::string> items;
    const int n = 1 + static_cast<int>(rng() % 40);
    for (int i = 0; i < n; ++i) {
      ModelEvent e;
      e.ts = now - static_cast<int64_t>(rng() % (50 * kMin));
      e.total = rng() % 5 == 0 ? 1 + rng() % 20 : 1;
      e.good = e.total == 1 ? (rng() % 10 < 7 ? 1 : 0) : rng() % (e.total + 1);
      e.labels["endpoint"] = "/e" + std::to_string(rng() % 12);
      if (rng() % 4 != 0) e.labels["region"] = std::vector<std::string>{"eu", "us", "ap"}[rng() % 3];
      e.labels["version"] = "v" + std::to_string(round / 8 + rng() % 2);  // new versions keep arriving
      items.push_back(event_json(e));
      m.accept(e);
    }
    const HttpResult r = c->post("/v1/events", "{\"events\":[" + fmt::format("{}", fmt::join(items, ",")) + "]}");
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(r.json()["accepted"], n) << r.body;
    if (round % 10 == 9) check_against_model(*c, m, now, round);
    if (round == 29) {
      c.reset();
      d.restart();  // the final snapshot carries the value tables and counts
      c = std::make_unique<HttpClient>(d.port());
      check_against_model(*c, m, now, round);
    }
    d.clock().advance(std::chrono::seconds(rng() % 180));
  }
  // Every value past the first five of a label is in "other": versions v0..v8 arrived.
  EXPECT_EQ(m.named.at("version").size(), kMaxValues);
  EXPECT_FALSE(m.count("version", 0, INT64_MAX).at("\x01other").second == 0);
}

}  // namespace
}  // namespace budgetd::test
