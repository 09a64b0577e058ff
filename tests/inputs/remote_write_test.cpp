// POST /api/v1/write: remote_write 1.0 bodies built here (snappy + protobuf) against the real
// server, and Debian's real Prometheus scraping a tiny exporter of the test's and
// remote-writing to budgetd: budgetd's windows equal the increases of Prometheus' own samples.

#include <snappy.h>

#include <bit>
#include <chrono>
#include <fstream>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "external_process.h"
#include "http_client.h"
#include "http_receiver.h"
#include "prometheus/remote.pb.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

constexpr const char* kSlos = R"(
slos:
  - name: checkout-availability
    service: checkout
    objective: 99.9
    windows: ["30d"]
    sli: {type: ratio}
    source:
      prometheus:
        total: 'http_requests_total{job="checkout"}'
        bad: 'http_requests_total{job="checkout",code=~"5.."}'
  - name: checkout-latency
    service: checkout
    objective: 99
    sli: {type: latency, threshold_ms: 300}
    source:
      prometheus:
        total: 'http_request_duration_seconds_count{job="checkout"}'
        good: 'http_request_duration_seconds_bucket{job="checkout",le="0.3"}'
)";

struct Series {
  std::vector<std::pair<std::string, std::string>> labels;
  std::vector<std::pair<int64_t, double>> samples;  // ts ms, value
};

std::string write_request(const std::vector<Series>& series) {
  budgetd::prompb::WriteRequest req;
  for (const Series& s : series) {
    auto* ts = req.add_timeseries();
    for (const auto& [k, v] : s.labels) {
      auto* l = ts->add_labels();
      l->set_name(k);
      l->set_value(v);
    }
    for (const auto& [t, v] : s.samples) {
      auto* smp = ts->add_samples();
      smp->set_timestamp(t);
      smp->set_value(v);
    }
  }
  std::string compressed;
  const std::string raw = req.SerializeAsString();
  snappy::Compress(raw.data(), raw.size(), &compressed);
  return compressed;
}

HttpResult post_write(HttpClient& c, const std::string& body) {
  return c.post("/api/v1/write", body, "application/x-protobuf",
                {{"Content-Encoding", "snappy"}, {"X-Prometheus-Remote-Write-Version", "0.1.0"}});
}

json budget(HttpClient& c, const std::string& slo) { return c.get("/v1/slos/" + slo).json()["budget"]; }

TEST(RemoteWrite, CountersAreDifferencedPerSeries) {
  TestDaemon d(std::string(kSlos) + "ingest: {counter_pairing_delay: 0s}\n");
  HttpClient c(d.port());
  const int64_t t = kT0Ms - 120'000;
  const auto series = [&](const std::string& code, std::vector<std::pair<int64_t, double>> samples) {
    return Series{{{"__name__", "http_requests_total"}, {"code", code}, {"instance", "a"}, {"job", "checkout"}},
                  std::move(samples)};
  };
  // Two series match the total (200 and 500); the 500 one matches bad too. A staging series
  // matches nothing.
  HttpResult r = post_write(
      c, write_request({series("200", {{t, 1000}, {t + 15'000, 1100}, {t + 30'000, 1250}}),
                        series("500", {{t, 10}, {t + 15'000, 12}, {t + 30'000, 12}}),
                        Series{{{"__name__", "http_requests_total"}, {"job", "staging"}}, {{t, 5}, {t + 15'000, 9}}}}));
  ASSERT_EQ(r.status, 204) << r.body;
  json b = budget(c, "checkout-availability");
  EXPECT_EQ(b["total"], 252);  // 100 + 150 + 2
  EXPECT_EQ(b["bad"], 2);
  // The 200 series resets (the pod restarted) and is resent (a retry); the 500 one goes stale.
  const double stale = std::bit_cast<double>(uint64_t{0x7ff0000000000002});
  r = post_write(
      c, write_request({series("200", {{t + 30'000, 1250}, {t + 45'000, 40}}), series("500", {{t + 45'000, stale}})}));
  ASSERT_EQ(r.status, 204) << r.body;
  b = budget(c, "checkout-availability");
  EXPECT_EQ(b["total"], 292);
  EXPECT_EQ(b["bad"], 2);
  // Out of order, and too old: refused with 400 (a retry cannot help), the rest counted.
  r = post_write(c, write_request({series("200", {{t + 40'000, 30}, {t + 60'000, 50}}),
                                   series("500", {{kT0Ms - 40LL * 86'400'000, 1}})}));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("out of order"));
  EXPECT_EQ(budget(c, "checkout-availability")["total"], 302);
}

TEST(RemoteWrite, LatencyFromHistogramBuckets) {
  TestDaemon d(std::string(kSlos) + "ingest: {counter_pairing_delay: 0s}\n");
  HttpClient c(d.port());
  const int64_t t = kT0Ms - 60'000;
  const auto h = [&](const std::string& name, const std::string& le, double v0, double v1) {
    Series s{{{"__name__", name}, {"job", "checkout"}}, {{t, v0}, {t + 15'000, v1}}};
    if (!le.empty()) s.labels.push_back({"le", le});
    return s;
  };
  ASSERT_EQ(post_write(c, write_request({h("http_request_duration_seconds_bucket", "0.1", 10, 30),
                                         h("http_request_duration_seconds_bucket", "0.3", 20, 65),
                                         h("http_request_duration_seconds_bucket", "+Inf", 25, 75),
                                         h("http_request_duration_seconds_count", "", 25, 75)}))
                .status,
            204);
  const json b = budget(c, "checkout-latency");
  EXPECT_EQ(b["total"], 50);
  EXPECT_EQ(b["good"], 45);
}

TEST(RemoteWrite, BadBodiesAre400AndNeverRetried) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  EXPECT_EQ(post_write(c, "not snappy at all").status, 400);
  std::string not_pb;
  snappy::Compress("\xff\xff\xff\xff", 4, &not_pb);
  EXPECT_EQ(post_write(c, not_pb).status, 400);
  EXPECT_EQ(c.post("/api/v1/write", "x", "application/json").status, 415);
  // A snappy header claiming more than max_body_bytes once decompressed: refused before decoding.
  std::string huge;
  const std::string zeros(9 << 20, '\0');
  snappy::Compress(zeros.data(), zeros.size(), &huge);
  EXPECT_EQ(post_write(c, huge).status, 400);
}

// A Prometheus text exposition with the counters the exporter serves.
std::string exposition(uint64_t ok, uint64_t errors, uint64_t fast, uint64_t all) {
  return "# TYPE http_requests_total counter\n"
         "http_requests_total{code=\"200\"} " +
         std::to_string(ok) + "\n" + "http_requests_total{code=\"503\"} " + std::to_string(errors) + "\n" +
         "# TYPE http_request_duration_seconds histogram\n"
         "http_request_duration_seconds_bucket{le=\"0.3\"} " +
         std::to_string(fast) + "\n" + "http_request_duration_seconds_bucket{le=\"+Inf\"} " + std::to_string(all) +
         "\n" + "http_request_duration_seconds_sum 0\n" + "http_request_duration_seconds_count " + std::to_string(all) +
         "\n";
}

// Prometheus' raw samples of one series (a range vector query): ts ms -> value.
std::map<int64_t, double> raw_samples(uint16_t port, const std::string& selector) {
  std::string q;
  for (const char ch : selector + "[10m]") {
    if (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_') {
      q += ch;
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(ch));
      q += buf;
    }
  }
  std::map<int64_t, double> out;
  const HttpResult r = http_get(port, "/api/v1/query?query=" + q);
  if (r.status != 200) return out;
  const json answer = r.json();  // kept: a range-for over r.json()["data"] would outlive its temporary
  for (const json& series : answer["data"]["result"])
    for (const json& v : series["values"])
      out[std::llround(v[0].get<double>() * 1000)] = std::stod(v[1].get<std::string>());
  return out;
}

TEST(RemoteWrite, TheRealPrometheusRemoteWritesExactCounts) {
  ASSERT_EQ(access("/usr/bin/prometheus", X_OK), 0) << "scripts/deps.sh installs prometheus";
  // budgetd's clock starts at the wall clock's: Prometheus stamps samples with the real time.
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  TestDaemon d(kSlos, from_unix_ms(now_ms));
  HttpReceiver exporter;
  uint64_t ok = 100, errors = 0, fast = 90, all = 100;
  exporter.answer_with(exposition(ok, errors, fast, all));
  TempDir dir;
  std::ofstream(dir.path() + "/prometheus.yml")
      << "global: {scrape_interval: 1s, scrape_timeout: 1s}\n"
      << "scrape_configs:\n"
      << "  - job_name: checkout\n"
      << "    static_configs: [{targets: [\"127.0.0.1:" << exporter.port() << "\"]}]\n"
      << "remote_write:\n"
      << "  - url: http://127.0.0.1:" << d.port() << "/api/v1/write\n"
      << "    queue_config: {batch_send_deadline: 500ms, min_backoff: 100ms, max_backoff: 1s}\n";
  const uint16_t port = free_port();
  ExternalProcess prometheus(
      "/usr/bin/prometheus",
      {"--config.file=" + dir.path() + "/prometheus.yml", "--storage.tsdb.path=" + dir.path() + "/data",
       "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      dir.path() + "/prometheus.log");
  ASSERT_TRUE(prometheus.wait_http_ok(port, "/-/ready", 30)) << prometheus.log();
  // Prometheus' first scrape is the series' baseline everywhere; the increments come after it.
  const auto first_scrape = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (raw_samples(port, "http_request_duration_seconds_count").empty() &&
         std::chrono::steady_clock::now() < first_scrape)
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  // Known increments, one step every 400 ms for ~8 s, so scrapes see several per interval.
  for (int step = 0; step < 20; ++step) {
    ok += 7 + step % 5;
    errors += step % 3 == 0 ? 2 : 0;
    all += 10;
    fast += 8 + step % 3;
    exporter.answer_with(exposition(ok, errors, fast, all));
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  // Let Prometheus scrape the final values a few times and send them.
  std::this_thread::sleep_for(std::chrono::seconds(4));
  const auto total_ok = raw_samples(port, "http_requests_total{code=\"200\"}");
  const auto total_err = raw_samples(port, "http_requests_total{code=\"503\"}");
  const auto count = raw_samples(port, "http_request_duration_seconds_count");
  const auto bucket = raw_samples(port, "http_request_duration_seconds_bucket{le=\"0.3\"}");
  ASSERT_GE(count.size(), 8u) << prometheus.log();
  const auto increase = [](const std::map<int64_t, double>& s) {
    return static_cast<int64_t>(s.rbegin()->second - s.begin()->second);
  };
  // Each SLO's halves meet in budgetd within counter_pairing_delay (1m): past it, every
  // remainder is counted. Another remote_write request settles them; Prometheus sends one
  // with its next samples.
  d.clock().advance(2 * kMinute);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  json avail, latency;
  const int64_t want_total = increase(total_ok) + increase(total_err);
  while (std::chrono::steady_clock::now() < deadline) {
    HttpClient c(d.port());
    avail = budget(c, "checkout-availability");
    latency = budget(c, "checkout-latency");
    if (avail["total"].get<int64_t>() >= want_total && latency["total"].get<int64_t>() >= increase(count)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  // The exporter stopped changing long before: Prometheus' first and last samples bound all.
  EXPECT_EQ(avail["total"].get<int64_t>(), want_total) << prometheus.log();
  EXPECT_EQ(avail["bad"].get<int64_t>(), increase(total_err));
  EXPECT_EQ(latency["total"].get<int64_t>(), increase(count));
  EXPECT_EQ(latency["good"].get<int64_t>(), increase(bucket));
  EXPECT_GT(want_total, 100);
}

}  // namespace
}  // namespace budgetd::test
