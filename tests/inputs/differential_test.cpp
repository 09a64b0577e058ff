// One random stream of requests sent three ways to one budgetd: as native events, as OTLP spans
// and as remote_write counters. Each way feeds its own SLO; every window of the three must hold
// the same good and total, and equal a brute-force count of the stream.

#include <snappy.h>

#include <map>
#include <random>

#include <gtest/gtest.h>

#include "http_client.h"
#include "otlp/otlp.pb.h"
#include "prometheus/remote.pb.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

constexpr const char* kConfig = R"(
ingest: {counter_pairing_delay: 0s, max_errors_listed: 1}
slos:
  - {name: native, service: native, objective: 99, sli: {type: ratio}}
  - {name: spans, service: spans, objective: 99, sli: {type: ratio}}
  - name: counters
    service: counters
    objective: 99
    sli: {type: ratio}
    source: {prometheus: {total: 'requests_total', bad: 'requests_total{code="500"}'}}
)";

struct Request {
  int64_t ts;
  bool good;
};

std::string native_batch(const std::vector<Request>& rs) {
  std::string body = "{\"events\":[";
  for (size_t i = 0; i < rs.size(); ++i)
    body += (i ? "," : "") + std::string("{\"service\":\"native\",\"ts\":") + std::to_string(rs[i].ts) +
            ",\"good\":" + (rs[i].good ? "true" : "false") + "}";
  return body + "]}";
}

std::string span_batch(const std::vector<Request>& rs) {
  budgetd::otlp::ExportTraceServiceRequest req;
  auto* r = req.add_resource_spans();
  auto* kv = r->mutable_resource()->add_attributes();
  kv->set_key("service.name");
  kv->mutable_value()->set_string_value("spans");
  auto* ss = r->add_scope_spans();
  for (const Request& x : rs) {
    auto* s = ss->add_spans();
    s->set_kind(budgetd::otlp::Span::SPAN_KIND_SERVER);
    s->set_end_time_unix_nano(static_cast<uint64_t>(x.ts) * 1'000'000 + 123);
    s->set_start_time_unix_nano(static_cast<uint64_t>(x.ts) * 1'000'000 - 5'000'000);
    if (!x.good) s->mutable_status()->set_code(budgetd::otlp::Status::STATUS_CODE_ERROR);
  }
  return req.SerializeAsString();
}

// Two counters (code 200 and code 500) sampled at every request's ts: their cumulative values.
std::string write_batch(const std::vector<Request>& rs, std::map<std::string, double>& value, int64_t baseline_ts) {
  budgetd::prompb::WriteRequest req;
  std::map<int64_t, std::pair<int, int>> by_ts;  // ts -> (good, bad), samples in ts order
  for (const Request& x : rs) (x.good ? by_ts[x.ts].first : by_ts[x.ts].second)++;
  for (const std::string code : {"200", "500"}) {
    auto* series = req.add_timeseries();
    for (const auto& [k, v] : {std::pair{"__name__", "requests_total"}, std::pair{"code", code.c_str()}}) {
      auto* l = series->add_labels();
      l->set_name(k);
      l->set_value(v);
    }
    if (baseline_ts != 0) {
      auto* s = series->add_samples();
      s->set_timestamp(baseline_ts);
      s->set_value(0);
    }
    for (const auto& [ts, counts] : by_ts) {
      value[code] += code == "200" ? counts.first : counts.second;
      auto* s = series->add_samples();
      s->set_timestamp(ts);
      s->set_value(value[code]);
    }
  }
  std::string out;
  const std::string raw = req.SerializeAsString();
  snappy::Compress(raw.data(), raw.size(), &out);
  return out;
}

TEST(InputsDifferential, NativeSpansAndCountersGiveIdenticalWindows) {
  for (const unsigned seed : {1u, 2u, 3u}) {
    TestDaemon d(kConfig);
    HttpClient c(d.port());
    std::mt19937_64 rng(seed);
    std::map<std::string, double> counters;
    std::vector<Request> all;
    // Batches in time order (a counter's samples must be), spread over the three hours before
    // the clock, so that every window from 5m to the budget's 30d cuts through the stream.
    int64_t t = kT0Ms - 3 * 3'600'000 + 1;
    bool first = true;
    for (int batch = 0; batch < 12; ++batch) {
      std::vector<Request> rs;
      const int n = 1 + static_cast<int>(rng() % 300);
      for (int i = 0; i < n; ++i) {
        t += static_cast<int64_t>(rng() % 4'000);
        rs.push_back({t, rng() % 10 != 0});
      }
      ASSERT_EQ(c.post("/v1/events", native_batch(rs)).status, 200);
      ASSERT_EQ(c.post("/otlp/v1/traces", span_batch(rs), "application/x-protobuf").status, 200);
      const HttpResult w = c.post("/api/v1/write", write_batch(rs, counters, first ? rs.front().ts - 1 : 0),
                                  "application/x-protobuf", {{"Content-Encoding", "snappy"}});
      ASSERT_EQ(w.status, 204) << w.body;
      first = false;
      all.insert(all.end(), rs.begin(), rs.end());
      d.clock().advance(kMinute);
    }
    const auto status = [&](const std::string& slo) { return c.get("/v1/slos/" + slo).json(); };
    const auto native = status("native");
    const auto spans = status("spans");
    const auto counted = status("counters");
    ASSERT_FALSE(native["windows"].empty());
    for (size_t i = 0; i < native["windows"].size(); ++i) {
      const auto& w = native["windows"][i];
      // Brute force: the requests in [start, end).
      const int64_t start = parse_rfc3339(w["start"].get<std::string>())->time_since_epoch().count();
      const int64_t end = parse_rfc3339(w["end"].get<std::string>())->time_since_epoch().count();
      uint64_t good = 0, total = 0;
      for (const Request& r : all)
        if (r.ts >= start && r.ts < end) {
          ++total;
          good += r.good;
        }
      SCOPED_TRACE("seed " + std::to_string(seed) + " window " + w["window"].get<std::string>());
      EXPECT_EQ(w["total"], total);
      EXPECT_EQ(w["good"], good);
      for (const auto* other : {&spans, &counted}) {
        EXPECT_EQ((*other)["windows"][i]["total"], w["total"]);
        EXPECT_EQ((*other)["windows"][i]["good"], w["good"]);
      }
    }
    EXPECT_EQ(spans["budget"]["total"], native["budget"]["total"]);
    EXPECT_EQ(counted["budget"]["total"], native["budget"]["total"]);
    EXPECT_EQ(counted["budget"]["good"], native["budget"]["good"]);
    EXPECT_EQ(native["budget"]["total"], all.size());
  }
}

}  // namespace
}  // namespace budgetd::test
