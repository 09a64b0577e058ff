// budgetd-loadgen: pushes event batches at a running budgetd over keep-alive connections and
// prints one JSON result.
//
//   budgetd-loadgen --port 8080 --connections 8 --batch 1000 --duration 10s --slos 100
//   budgetd-loadgen ... --rate 2000              open loop: 2,000 batches/s, latency from the
//                                                intended send time (no coordinated omission)
//   budgetd-loadgen ... --query-rate 500         plus status and gate queries, open loop, their
//                                                latency reported apart
//   budgetd-loadgen ... --scrapers 2             plus 2 connections scraping GET /metrics back to
//                                                back (time and bytes of each scrape)
//   budgetd-loadgen ... --probe-rate 200         plus GET /healthz, open loop, its latency apart
//   (--connections 0: no ingest, e.g. only scrapes and probes)
//   budgetd-loadgen --write-config FILE --slos 100 [--fsync interval]   a matching budgetd config
//   budgetd-loadgen --write-body FILE --batch 1000 --slos 100 [--no-ts]  the first batch body this
//                                                tool sends, for an independent client (wrk)
//
// Events are single requests ("good": true/false, 1 % bad) of the services svc-0 .. svc-(slos-1),
// each with a "ts" in the minute before the run starts, as services send them and as the
// micro-benchmark's ceiling (BM_IngestBatch) decodes them; --no-ts leaves it out (the server
// stamps arrival time), the shape the first figures were measured with.
// whose SLOs (slo-i, ratio, 99.9 %, default alert rules) --write-config writes. Each batch's
// 200 is counted by its "accepted" figure, so a refused or partly rejected batch is not counted
// as acknowledged.

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "loadgen_options.h"

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using json = nlohmann::ordered_json;

using loadgen::Options;
using loadgen::usage;

namespace {

// `now_ms`: the run's start (Unix ms); events get a "ts" in the minute before it, or none when 0.
std::string make_body(int batch, int slos, uint64_t seed, int64_t now_ms) {
  std::mt19937_64 rng(seed);
  std::string body = R"({"events":[)";
  body.reserve(static_cast<size_t>(batch) * 68 + 16);
  for (int i = 0; i < batch; ++i) {
    body += i ? "," : "";
    body += R"({"service":"svc-)" + std::to_string(rng() % static_cast<uint64_t>(slos)) + "\"";
    if (now_ms != 0) body += R"(,"ts":)" + std::to_string(now_ms - static_cast<int64_t>(rng() % 60'000));
    body += std::string(R"(,"good":)") + (rng() % 100 == 0 ? "false" : "true") + "}";
  }
  return body + "]}";
}

// Latencies in microseconds; percentiles by sorting at the end.
struct Latencies {
  std::vector<double> us;
  json summary() {
    json j = {{"count", us.size()}};
    if (us.empty()) return j;
    std::sort(us.begin(), us.end());
    const auto at = [&](double q) {
      return us[std::min(us.size() - 1, static_cast<size_t>(q * static_cast<double>(us.size())))] / 1000.0;
    };
    j["p50_ms"] = at(0.50);
    j["p90_ms"] = at(0.90);
    j["p99_ms"] = at(0.99);
    j["p999_ms"] = at(0.999);
    j["max_ms"] = us.back() / 1000.0;
    return j;
  }
};

// What make_body's `now_ms` is for these options: now, or 0 under --no-ts.
int64_t body_epoch_ms(const Options& o) {
  if (!o.ts) return 0;
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Results {
  uint64_t requests = 0;
  uint64_t events_acked = 0;
  uint64_t errors = 0;  // non-200 answers and broken connections
  Latencies ingest, status, gate, scrape, healthz;
  uint64_t scrape_bytes = 0;  // of the last scrape
  std::string first_error;
};

class Load {
 public:
  // Queries run on their own io_context (and thread), so their latency is budgetd's, not the
  // wait behind this tool's own ingest work.
  Load(const Options& o, asio::io_context& ioc, asio::io_context& query_ioc) : o_(o), ioc_(ioc), qioc_(query_ioc) {
    const int64_t now_ms = body_epoch_ms(o);
    for (int i = 0; i < o.bodies; ++i)
      bodies_.push_back(make_body(o.batch, o.slos, static_cast<uint64_t>(i) + 1, now_ms));
  }

  void start() {
    start_ = Clock::now();
    end_ = start_ + std::chrono::microseconds(static_cast<int64_t>(o_.duration_s * 1e6));
    for (int c = 0; c < o_.connections; ++c) asio::co_spawn(ioc_, ingest_loop(c), asio::detached);
    // Scrapes read megabytes: on the ingest thread, so that the probes' and queries' own thread
    // measures budgetd, not this tool.
    for (int c = 0; c < o_.scrapers; ++c) asio::co_spawn(ioc_, scrape_loop(), asio::detached);
    if (o_.query_rate > 0) {
      for (int c = 0; c < 2; ++c) asio::co_spawn(qioc_, query_loop(c), asio::detached);
    }
    if (o_.probe_rate > 0) asio::co_spawn(qioc_, probe_loop(), asio::detached);
  }

  json result() {
    const double secs = std::chrono::duration<double>(finished_ - start_).count();
    json j = {{"mode", o_.rate > 0 ? "open" : "closed"},
              {"connections", o_.connections},
              {"batch", o_.batch},
              {"slos", o_.slos},
              {"duration_s", secs},
              {"requests", r_.requests},
              {"requests_per_s", static_cast<double>(r_.requests) / secs},
              {"events_acked", r_.events_acked},
              {"events_per_s", static_cast<double>(r_.events_acked) / secs},
              {"errors", r_.errors},
              {"ingest_latency", r_.ingest.summary()}};
    if (o_.rate > 0) j["target_rate"] = o_.rate;
    if (o_.query_rate > 0) {
      j["query_rate"] = o_.query_rate;
      j["status_latency"] = r_.status.summary();
      j["gate_latency"] = r_.gate.summary();
    }
    if (o_.scrapers > 0) {
      j["scrapers"] = o_.scrapers;
      j["scrape_latency"] = r_.scrape.summary();
      j["scrape_bytes"] = r_.scrape_bytes;
    }
    if (o_.probe_rate > 0) {
      j["probe_rate"] = o_.probe_rate;
      j["healthz_latency"] = r_.healthz.summary();
    }
    if (!r_.first_error.empty()) j["first_error"] = r_.first_error;
    return j;
  }

 private:
  // One keep-alive connection; closed loop sends back to back, open loop takes the next slot of
  // the shared schedule and measures from that slot's time.
  asio::awaitable<void> ingest_loop(int c) {
    beast::tcp_stream stream(ioc_);
    try {
      co_await connect(stream);
      beast::flat_buffer buffer;
      asio::steady_timer timer(ioc_);
      for (uint64_t i = static_cast<uint64_t>(c);; i += static_cast<uint64_t>(o_.connections)) {
        Clock::time_point intended = Clock::now();
        if (o_.rate > 0) {
          intended = start_ +
                     std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(next_slot_++) * 1e9 / o_.rate));
          if (intended >= end_) break;
          timer.expires_at(intended);
          co_await timer.async_wait(asio::use_awaitable);
        } else if (intended >= end_) {
          break;
        }
        http::request<http::string_body> req{http::verb::post, "/v1/events", 11};
        req.set(http::field::host, o_.host);
        req.set(http::field::content_type, "application/json");
        req.body() = bodies_[i % bodies_.size()];
        req.prepare_payload();
        co_await http::async_write(stream, req, asio::use_awaitable);
        http::response<http::string_body> res;
        co_await http::async_read(stream, buffer, res, asio::use_awaitable);
        r_.ingest.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - intended).count());
        ++r_.requests;
        if (res.result() == http::status::ok) {
          const auto answer = json::parse(res.body(), nullptr, false);
          r_.events_acked += answer.is_object() ? answer.value("accepted", uint64_t{0}) : 0;
        } else {
          note_error("ingest answered " + std::to_string(res.result_int()) + ": " + res.body().substr(0, 200));
        }
      }
    } catch (const std::exception& e) {
      note_error(std::string("ingest connection: ") + e.what());
    }
    done();
  }

  // Status and gate queries alternately, open loop at query_rate over both connections.
  asio::awaitable<void> query_loop(int c) {
    beast::tcp_stream stream(qioc_);
    try {
      co_await connect(stream);
      beast::flat_buffer buffer;
      asio::steady_timer timer(qioc_);
      std::mt19937_64 rng(static_cast<uint64_t>(c) + 99);
      for (uint64_t i = static_cast<uint64_t>(c);; i += 2) {
        const auto intended =
            start_ + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(i) * 1e9 / o_.query_rate));
        if (intended >= end_) break;
        timer.expires_at(intended);
        co_await timer.async_wait(asio::use_awaitable);
        const uint64_t slo = rng() % static_cast<uint64_t>(o_.slos);
        const bool status = i % 4 < 2;
        const std::string target = status ? "/v1/slos/slo-" + std::to_string(slo)
                                          : "/v1/gate?service=svc-" + std::to_string(slo) + "&change=feature";
        http::request<http::empty_body> req{http::verb::get, target, 11};
        req.set(http::field::host, o_.host);
        co_await http::async_write(stream, req, asio::use_awaitable);
        http::response<http::string_body> res;
        co_await http::async_read(stream, buffer, res, asio::use_awaitable);
        (status ? r_.status : r_.gate)
            .us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - intended).count());
        if (res.result() != http::status::ok) note_error(target + " answered " + std::to_string(res.result_int()));
      }
    } catch (const std::exception& e) {
      note_error(std::string("query connection: ") + e.what());
    }
    done();
  }

  // GET /metrics back to back on one keep-alive connection, each read whole.
  asio::awaitable<void> scrape_loop() {
    beast::tcp_stream stream(ioc_);
    try {
      co_await connect(stream);
      beast::flat_buffer buffer;
      while (Clock::now() < end_) {
        const auto sent = Clock::now();
        http::request<http::empty_body> req{http::verb::get, "/metrics", 11};
        req.set(http::field::host, o_.host);
        co_await http::async_write(stream, req, asio::use_awaitable);
        http::response_parser<http::string_body> parser;
        parser.body_limit(uint64_t{1} << 31);
        co_await http::async_read(stream, buffer, parser, asio::use_awaitable);
        r_.scrape.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - sent).count());
        r_.scrape_bytes = parser.get().body().size();
        if (parser.get().result() != http::status::ok)
          note_error("/metrics answered " + std::to_string(parser.get().result_int()));
      }
    } catch (const std::exception& e) {
      note_error(std::string("scrape connection: ") + e.what());
    }
    done();
  }

  // GET /healthz, open loop at probe_rate on one connection, as a liveness probe would.
  asio::awaitable<void> probe_loop() {
    beast::tcp_stream stream(qioc_);
    try {
      co_await connect(stream);
      beast::flat_buffer buffer;
      asio::steady_timer timer(qioc_);
      for (uint64_t i = 0;; ++i) {
        const auto intended =
            start_ + std::chrono::nanoseconds(static_cast<int64_t>(static_cast<double>(i) * 1e9 / o_.probe_rate));
        if (intended >= end_) break;
        timer.expires_at(intended);
        co_await timer.async_wait(asio::use_awaitable);
        http::request<http::empty_body> req{http::verb::get, "/healthz", 11};
        req.set(http::field::host, o_.host);
        co_await http::async_write(stream, req, asio::use_awaitable);
        http::response<http::string_body> res;
        co_await http::async_read(stream, buffer, res, asio::use_awaitable);
        r_.healthz.us.push_back(std::chrono::duration<double, std::micro>(Clock::now() - intended).count());
        if (res.result() != http::status::ok) note_error("/healthz answered " + std::to_string(res.result_int()));
      }
    } catch (const std::exception& e) {
      note_error(std::string("probe connection: ") + e.what());
    }
    done();
  }

  asio::awaitable<void> connect(beast::tcp_stream& stream) {
    tcp::resolver resolver(stream.get_executor());
    const auto endpoints = co_await resolver.async_resolve(o_.host, o_.port, asio::use_awaitable);
    co_await stream.async_connect(endpoints, asio::use_awaitable);
  }

  void note_error(const std::string& what) {
    std::lock_guard lock(mu_);
    ++r_.errors;
    if (r_.first_error.empty()) r_.first_error = what;
  }
  void done() {
    std::lock_guard lock(mu_);
    finished_ = std::max(finished_, Clock::now());
  }

  const Options& o_;
  asio::io_context& ioc_;
  asio::io_context& qioc_;
  std::mutex mu_;  // errors and finished_, written from both threads
  std::vector<std::string> bodies_;
  Clock::time_point start_, end_, finished_;
  uint64_t next_slot_ = 0;
  Results r_;
};

// SLOs per file: 20,000 lines of ~80 bytes stay well inside a config file's 4 MiB.
constexpr int kSlosPerFile = 20'000;

void write_slos(std::ostream& out, int first, int end) {
  out << "slos:\n";
  for (int i = first; i < end; ++i) {
    out << "  - {name: slo-" << i << ", service: svc-" << i << ", objective: 99.9, sli: {type: ratio}}\n";
  }
}

// The main file, and past kSlosPerFile SLOs, files of slos: lists under FILE.slos/ that it
// includes (the way an operator splits SLOs too many for one file).
void write_config(const Options& o) {
  const std::string& path = *o.write_config;
  std::ofstream out(path);
  if (!out) usage("cannot write " + path);
  out << "# Written by budgetd-loadgen --write-config: " << o.slos << " ratio SLOs, default alert rules.\n"
      << "server: {listen: \"127.0.0.1:" << o.port << "\", threads: 2, max_body_bytes: 16777216}\n"
      << "storage: {dir: \"" << o.data << "\", fsync: " << o.fsync << "}\n"
      << "log: {level: warn}\n";
  if (o.slos > kSlosPerFile) {
    const std::string dir = path + ".slos";
    std::filesystem::remove_all(dir);  // parts of an earlier, larger config would be included too
    std::filesystem::create_directories(dir);
    for (int first = kSlosPerFile; first < o.slos; first += kSlosPerFile) {
      char name[32];
      std::snprintf(name, sizeof name, "/%06d.yaml", first);
      std::ofstream part(dir + name);
      write_slos(part, first, std::min(o.slos, first + kSlosPerFile));
      if (!part) usage("cannot write under " + dir);
    }
    out << "include: [\"" << std::filesystem::path(dir).filename().string() << "/*.yaml\"]\n";
  }
  write_slos(out, 0, std::min(o.slos, kSlosPerFile));
  if (!out) usage("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = loadgen::parse(argc, argv);
  if (o.write_config) {
    write_config(o);
    return 0;
  }
  if (o.write_body) {
    // Byte for byte the first body a run sends (seed 1), so wrk and this tool post the same batch.
    std::ofstream out(*o.write_body, std::ios::binary);
    out << make_body(o.batch, o.slos, 1, body_epoch_ms(o));
    if (!out) usage("cannot write " + *o.write_body);
    return 0;
  }
  // One thread for ingest (the tool shares the machine with budgetd, and one core of asio keeps
  // up) and one for the queries.
  asio::io_context ioc(1), query_ioc(1);
  Load load(o, ioc, query_ioc);
  load.start();
  std::thread queries([&] { query_ioc.run(); });
  ioc.run();
  queries.join();
  std::cout << load.result().dump() << "\n";
  return 0;
}
