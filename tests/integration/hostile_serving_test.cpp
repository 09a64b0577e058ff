// What an attack run and a new user found in the server (issue 11): log lines that were not
// JSON, a case-sensitive bearer scheme, an EMFILE pause logged every 100 ms, and unix seconds
// in `?at=` answered without a hint.

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <thread>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "stderr_capture.h"
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

// The SHA-256 of "reader-token" (printf %s reader-token | sha256sum).
constexpr const char* kAuth = R"(
auth:
  tokens:
    - {name: dash, sha256: "ba5005a40cf5212e4ac0190104cc127edab013294bb71279a975b27a80982d45", scopes: [read]}
)";

// Regression: raw bytes of a request path (a pre-auth 404) and decoded query values
// (ci_job=%FF) reached the log unescaped, and the lines were not JSON.
TEST(LogRegression, RequestPathAndQueryBytesMadeLogLinesThatAreNotJson) {
  TestDaemon d(std::string(kAuth) + kSlos);
  StderrCapture capture;
  HttpClient c(d.port());
  c.send_raw("GET /\xff\xfe/x%FF\x80 HTTP/1.1\r\nHost: x\r\n\r\n");  // no token: 404 before auth
  EXPECT_EQ(c.read_response().status, 404);
  const std::map<std::string, std::string> bearer{{"Authorization", "Bearer reader-token"}};
  EXPECT_EQ(c.request("GET", "/v1/slos/caf\xc3\xa9\xff", "", bearer).status, 404);
  c.send_raw("GET /v1/slos/x?at=%C3%28\x01 HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer reader-token\r\n\r\n");
  EXPECT_GE(c.read_response().status, 400);
  // A gate decision logs the decoded ci_job and commit (the open scope on a daemon without tokens).
  TestDaemon open(kSlos);
  HttpClient g(open.port());
  EXPECT_EQ(g.get("/v1/gate?service=checkout&change=feature&ci_job=%FF%FE&commit=%C3%28%0A%22").status, 200);

  const std::vector<std::string> lines = capture.lines();
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) {
    EXPECT_TRUE(json::accept(line)) << line;
  }
  const auto first = capture.lines_with("\"path\":\"/\\ufffd\\ufffd/x%FF\\ufffd\"");
  EXPECT_EQ(first.size(), 1u) << capture.text();
  const auto gate = capture.lines_with("gate: decision");
  ASSERT_EQ(gate.size(), 1u);
  const json decision = json::parse(gate[0]);
  EXPECT_EQ(decision["ci_job"], "\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(decision["commit"], "\xEF\xBF\xBD(\n\"");
  EXPECT_EQ(decision["level"], "info");
  EXPECT_EQ(json::parse(first[0])["level"], "warn");  // not "warning"
}

// Regression: "bearer" and "BEARER" (RFC 9110: the scheme is case-insensitive) were answered 401.
TEST(AuthRegression, TheBearerSchemeWasCaseSensitive) {
  TestDaemon d(std::string(kAuth) + kSlos);
  HttpClient c(d.port());
  for (const char* header : {"Bearer reader-token", "bearer reader-token", "BEARER reader-token", "bEaReR reader-token",
                             "Bearer   reader-token"}) {
    EXPECT_EQ(c.request("GET", "/v1/slos", "", {{"Authorization", header}}).status, 200) << header;
  }
  for (const char* header :
       {"Bearerreader-token", "Basic reader-token", "Bearer", "Bearer ", "Bearer reader-tokenx", "Bear reader-token"}) {
    EXPECT_EQ(c.request("GET", "/v1/slos", "", {{"Authorization", header}}).status, 401) << header;
  }
}

TEST(StatusRegression, UnixSecondsInAtGotNoHint) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const HttpResult r = c.get("/v1/slos/checkout-availability?at=1795514400");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(r.json()["error"]["message"],
            "at: 1795514400 looks like unix seconds; at takes unix milliseconds or RFC 3339 (1795514400000 or "
            "2026-11-24T10:00:00Z)");
  // Milliseconds and RFC 3339 still work.
  EXPECT_EQ(c.get("/v1/slos/checkout-availability?at=1795514400000").status, 200);
  EXPECT_EQ(c.get("/v1/slos/checkout-availability?at=2026-11-24T10:00:00Z").status, 200);
}

// The highest open file descriptor of this process.
int highest_open_fd() {
  int highest = 0;
  for (const auto& e : std::filesystem::directory_iterator("/proc/self/fd")) {
    highest = std::max(highest, std::stoi(e.path().filename().string()));
  }
  return highest;
}

int unconnected_socket() { return ::socket(AF_INET, SOCK_STREAM, 0); }

bool connect_to(int fd, uint16_t port) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// Waits (polling) until `done` holds; fails the test after 30 s rather than hang.
template <typename F>
bool wait_until(F done) {
  for (int i = 0; i < 3000 && !done(); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return done();
}

// Regression: out of file descriptors, the accept loop logged a line every 100 ms for as long
// as it lasted. Now an episode logs when it starts and when it ends (how long, how many retries).
TEST(ListenerRegression, EmfileLoggedALineEvery100ms) {
  TestDaemon d(kSlos);
  metrics::Registry& m = d.daemon().metrics();
  const metrics::Counter& pauses = m.counter("budgetd_http_accept_pauses_total", "");
  const metrics::Counter& retries = m.counter("budgetd_http_accept_retries_total", "");
  const metrics::Gauge& paused = m.gauge("budgetd_http_accept_paused", "");
  StderrCapture capture;
  // Sockets made while descriptors are still free, connected once none is left: connect()
  // needs no new descriptor, the server's accept() does.
  std::vector<int> triggers = {unconnected_socket(), unconnected_socket()};
  ASSERT_GE(triggers[0], 0);
  ASSERT_GE(triggers[1], 0);

  rlimit before{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &before), 0);
  rlimit low = before;
  low.rlim_cur = static_cast<rlim_t>(highest_open_fd() + 1);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  std::vector<int> fillers;  // every descriptor still free below the limit
  for (int fd = ::open("/dev/null", O_RDONLY); fd >= 0; fd = ::open("/dev/null", O_RDONLY)) fillers.push_back(fd);
  ASSERT_EQ(errno, EMFILE);

  ASSERT_TRUE(connect_to(triggers[0], d.port()));  // in the backlog; accept() fails with EMFILE
  ASSERT_TRUE(wait_until([&] { return paused.value() == 1; }));
  ASSERT_TRUE(connect_to(triggers[1], d.port()));
  ASSERT_TRUE(wait_until([&] { return retries.value() >= 3; }));  // several retries, all failing

  for (int fd : fillers) ::close(fd);
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &before), 0);
  ASSERT_TRUE(wait_until([&] { return paused.value() == 0; }));
  EXPECT_EQ(http_get(d.port(), "/healthz").status, 200);  // accepting again

  EXPECT_EQ(pauses.value(), 1u);
  const auto started = capture.lines_with("http: cannot accept connections");
  ASSERT_EQ(started.size(), 1u) << capture.text();
  EXPECT_EQ(json::parse(started[0])["error"], "Too many open files");
  const auto ended = capture.lines_with("http: accepting connections again");
  ASSERT_EQ(ended.size(), 1u) << capture.text();
  const json end = json::parse(ended[0]);
  EXPECT_EQ(end["retries"], retries.value());
  EXPECT_GE(end["paused_ms"].get<double>(), 300.0);  // three retries 100 ms apart, at least
  for (int fd : triggers) ::close(fd);
}

}  // namespace
}  // namespace budgetd::test
