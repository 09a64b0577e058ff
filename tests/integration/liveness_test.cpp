// Liveness behind heavy work (issue 11 #4): probes answer on the I/O threads whatever the
// executors do, reads never queue behind batches, and scrapes share the evaluator's rendering.
// Ordering only: each check is "this answers while that is still in flight", never a time.

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmath>
#include <map>
#include <sstream>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "faulty_env.h"
#include "http_client.h"
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
    sli: {type: ratio}
)";

// `n` ratio SLOs slo-0 .. slo-(n-1), each on its own service svc-i, default windows and rules.
std::string many_slos(int n) {
  std::string yaml = "slos:\n";
  for (int i = 0; i < n; ++i) {
    yaml += "  - {name: slo-" + std::to_string(i) + ", service: svc-" + std::to_string(i) +
            ", objective: 99.9, sli: {type: ratio}}\n";
  }
  return yaml;
}

std::string post_request(const std::string& body) {
  return "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// A client that reads an answer in two steps: the header now, the body when the test says, so
// the answer stays in flight in between. Its receive buffer is small, so a big answer cannot
// sit in it whole. A read that gets nothing for 20 s gives up (an answer that never comes is a
// failed check, not a hung test).
class SlowReader {
 public:
  SlowReader(uint16_t port, const std::string& request) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    const int small = 4096;
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    const timeval give_up{20, 0};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &give_up, sizeof give_up);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
                 ::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size());
  }
  ~SlowReader() { ::close(fd_); }

  // Reads up to the end of the header; returns it (empty if the connection ended first).
  std::string read_header() {
    while (connected_ && got_.find("\r\n\r\n") == std::string::npos) {
      if (!read_some()) return "";
    }
    const size_t end = got_.find("\r\n\r\n") + 4;
    std::string header = got_.substr(0, end);
    got_.erase(0, end);
    const size_t cl = header.find("Content-Length: ");
    if (cl != std::string::npos) content_length_ = std::stoull(header.substr(cl + 16));
    return header;
  }
  size_t content_length() const { return content_length_; }
  // Reads the rest of the body.
  std::string read_body() {
    while (got_.size() < content_length_) {
      if (!read_some()) break;
    }
    return got_;
  }

 private:
  bool read_some() {
    char buf[65536];
    const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    got_.append(buf, static_cast<size_t>(n));
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string got_;
  size_t content_length_ = 0;
};

// One GET on a fresh connection: the status code, 0 if no answer came.
int status_of(uint16_t port, const std::string& target) {
  SlowReader r(port, "GET " + target + " HTTP/1.1\r\nHost: x\r\n\r\n");
  const std::string header = r.read_header();
  if (header.size() < 12) return 0;
  return std::stoi(header.substr(9, 3));
}

// "name{labels}" -> value, for every sample line.
std::map<std::string, double> samples(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    const auto space = line.rfind(' ');
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

// The per-SLO part of an exposition: from its first family to the end.
std::string slo_part(const std::string& exposition) {
  const size_t at = exposition.find("# HELP budgetd_slo_objective_ratio ");
  return at == std::string::npos ? "" : exposition.substr(at);
}

// Regression: with 2 server threads, two batches waiting on the log (or two heavy scrapes) held
// both of them, and /healthz went unanswered until they were done. Now batches wait on the
// ingest executor, and probes and reads are answered meanwhile.
TEST(LivenessRegression, BatchesWaitingOnTheLogHeldEveryServerThread) {
  FaultyEnv env;
  TestDaemon d(
      std::string("server: {listen: \"127.0.0.1:0\", threads: 2, read_threads: 1, ingest_threads: 2}\n") + kSlos, t0(),
      &env);
  env.hold_appends();
  // Released on every way out, so that a failing check cannot leave the daemon's threads held.
  const std::unique_ptr<FaultyEnv, void (*)(FaultyEnv*)> release(&env, [](FaultyEnv* e) { e->release_appends(); });
  const std::string batch = R"({"events":[{"service":"checkout","good":990,"total":1000}]})";
  std::vector<std::unique_ptr<HttpClient>> pushers;
  for (int i = 0; i < 3; ++i) {  // more batches than ingest threads: one also waits in the queue
    pushers.push_back(std::make_unique<HttpClient>(d.port()));
    pushers.back()->send_raw(post_request(batch));
  }
  env.wait_until_an_append_is_held();

  // Every ingest thread is now inside the log (or waiting for its lock): all of these answer.
  for (const char* target : {"/healthz", "/readyz", "/v1/gate?service=checkout&change=feature",
                             "/v1/slos/checkout-availability", "/v1/slos", "/v1/alerts", "/metrics"}) {
    ASSERT_EQ(status_of(d.port(), target), 200) << target;
  }
  HttpClient c(d.port());
  EXPECT_EQ(c.get("/v1/gate?service=checkout&change=feature").json()["allowed"], true);
  EXPECT_EQ(c.get("/v1/slos/checkout-availability").json()["budgets"][0]["total"], 0);  // nothing applied yet
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_slo_objective_ratio{"));

  env.release_appends();
  for (auto& p : pushers) {
    const HttpResult r = p->read_response();
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.json()["accepted"], 1);
  }
  const json after = c.get("/v1/slos/checkout-availability").json();
  EXPECT_EQ(after["budgets"][0]["total"], 3000);
  EXPECT_EQ(after["budgets"][0]["good"], 2970);
}

// Two scrapes of many SLOs in flight (their bodies unread) while probes, a gate and a status
// answer; both scrapes, and one made after more events arrived, send the same rendering, that
// of the last evaluation, and its numbers are exact.
TEST(LivenessRegression, TwoScrapesOfManySlosDelayedHealthz) {
  constexpr int kSloCount = 300;
  TestDaemon d("server: {listen: \"127.0.0.1:0\", threads: 2, read_threads: 1, ingest_threads: 1}\n" +
               many_slos(kSloCount));
  HttpClient c(d.port());
  // SLO i: 1,000 events, i % 7 of them bad.
  std::string events;
  for (int i = 0; i < kSloCount; ++i) {
    events += R"({"service":"svc-)" + std::to_string(i) + R"(","ts":)" + std::to_string(kT0Ms - 10'000) +
              R"(,"good":)" + std::to_string(1000 - i % 7) + R"(,"total":1000})" + "\n";
  }
  const HttpResult pushed = c.post("/v1/events", events, "application/x-ndjson");
  ASSERT_EQ(pushed.status, 200) << pushed.body;
  ASSERT_EQ(pushed.json()["accepted"], kSloCount);
  d.daemon().evaluate_now();
  // What the status API says at the same instant, to compare each SLO's samples with.
  const json list = c.get("/v1/slos").json()["slos"];
  ASSERT_EQ(list.size(), static_cast<size_t>(kSloCount));

  const std::string scrape = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  SlowReader a(d.port(), scrape);
  SlowReader b(d.port(), scrape);
  EXPECT_THAT(a.read_header(), HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(b.read_header(), HasSubstr("HTTP/1.1 200 OK"));
  ASSERT_GT(a.content_length(), 300u * 2000);

  // Both scrapes are in flight.
  EXPECT_EQ(c.get("/healthz").status, 200);
  EXPECT_EQ(c.get("/readyz").status, 200);
  EXPECT_EQ(c.get("/v1/gate?service=svc-3&change=feature").status, 200);
  EXPECT_EQ(c.get("/v1/slos/slo-3").json()["budgets"][0]["total"], 1000);
  // More events, and a third scrape: it still sends the last evaluation's rendering.
  ASSERT_EQ(c.post("/v1/events", R"({"events":[{"service":"svc-0","good":true}]})").status, 200);
  SlowReader late(d.port(), scrape);
  EXPECT_THAT(late.read_header(), HasSubstr("HTTP/1.1 200 OK"));

  const std::string body_a = a.read_body();
  const std::string body_b = b.read_body();
  const std::string body_late = late.read_body();
  ASSERT_EQ(body_a.size(), a.content_length());
  ASSERT_EQ(body_b.size(), b.content_length());
  ASSERT_EQ(body_late.size(), late.content_length());
  const std::string shared = slo_part(body_a);
  ASSERT_FALSE(shared.empty());
  EXPECT_EQ(slo_part(body_b), shared);
  EXPECT_EQ(slo_part(body_late), shared);

  // Exact, SLO by SLO, against what was pushed.
  const auto s = samples(shared);
  EXPECT_EQ(s.at("budgetd_slo_evaluation_timestamp_seconds"), static_cast<double>(kT0Ms) / 1000);
  for (int i = 0; i < kSloCount; ++i) {
    const std::string labels = "slo=\"slo-" + std::to_string(i) + "\",service=\"svc-" + std::to_string(i) + "\"";
    const int bad = i % 7;
    EXPECT_EQ(s.at("budgetd_slo_events_total{" + labels + ",result=\"good\"}"), 1000 - bad) << i;
    EXPECT_EQ(s.at("budgetd_slo_events_total{" + labels + ",result=\"bad\"}"), bad) << i;
    EXPECT_DOUBLE_EQ(s.at("budgetd_slo_error_budget_remaining_ratio{" + labels + ",window=\"30d\",primary=\"true\"}"),
                     list[i]["remaining"].get<double>())
        << i;
    EXPECT_EQ(s.at("budgetd_slo_tier{" + labels + ",tier=\"" + list[i]["tier"].get<std::string>() + "\"}"), 1) << i;
  }

  // The next evaluation renders the new event.
  d.daemon().evaluate_now();
  const auto next = samples(c.get("/metrics").body);
  EXPECT_EQ(next.at(R"(budgetd_slo_events_total{slo="slo-0",service="svc-0",result="good"})"), 1001);
}

// The list is evaluated a slice at a time on the read executor; every SLO is in it, in order.
TEST(Liveness, TheSloListOfManySlosIsComplete) {
  constexpr int kSloCount = 3 * 64 + 5;  // over several slices (Api::kListSlice)
  TestDaemon d(many_slos(kSloCount));
  HttpClient c(d.port());
  ASSERT_EQ(c.post("/v1/events", R"({"events":[{"service":"svc-130","good":false}]})").status, 200);
  const HttpResult r = c.get("/v1/slos");
  ASSERT_EQ(r.status, 200);
  const json list = r.json()["slos"];
  ASSERT_EQ(list.size(), static_cast<size_t>(kSloCount));
  for (int i = 0; i < kSloCount; ++i) {
    EXPECT_EQ(list[i]["slo"], "slo-" + std::to_string(i));
    EXPECT_EQ(list[i]["no_data"], i != 130) << i;
    if (i == 130) {
      EXPECT_LT(list[i]["remaining"].get<double>(), 0);
    } else {
      EXPECT_EQ(list[i]["remaining"], 1.0) << i;
    }
  }
}

}  // namespace
}  // namespace budgetd::test
