// A reload whose new config names something that is not a file: answered at once with the
// error, the running config kept, and the server still answering.

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kSlo = "slos:\n  - {name: avail, service: checkout, objective: 99.9, sli: {type: ratio}}\n";

// Before the fix, reading the FIFO blocked the reload (and its worker) until a writer came.
TEST(ReloadRegression, AnIncludedFifoLeftPostReloadUnanswered) {
  TestDaemon d(kSlo);
  const std::string fifo = d.dir() + "/slos.yaml";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  d.write_config(std::string(kSlo) + "include: [slos.yaml]\n");
  HttpClient c(d.port());
  c.send_raw("POST /-/reload HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n");
  const HttpResult r = c.read_response(std::chrono::seconds(10));
  if (r.status == 0) {
    // A regression: let the blocked reader see end-of-file, so the daemon can stop and the
    // suite goes on, then fail.
    const int w = open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (w >= 0) close(w);
    FAIL() << "POST /-/reload was not answered within 10 s";
  }
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.json()["errors"][0].get<std::string>(),
              HasSubstr("budgetd.yaml:5:11: error: include: cannot read " + fifo +
                        ": it is a FIFO (named pipe); config files must be regular files"));
  HttpClient other(d.port());
  EXPECT_EQ(other.get("/v1/slos").json()["slos"].size(), 1u) << "the running config stays";
}

}  // namespace
}  // namespace budgetd::test
