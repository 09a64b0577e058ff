// POST /v1/events with a Content-Encoding, against the real server: gzip is undone (and bounded
// by server.max_body_bytes once undone), any other coding is refused, never read as JSON.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "gzip.h"
#include "http_client.h"
#include "test_daemon.h"

namespace budgetd::test {
namespace {

using ::testing::HasSubstr;

constexpr const char* kConfig = R"(
server: {listen: "127.0.0.1:0", threads: 2, max_body_bytes: 65536}
slos:
  - {name: checkout-availability, service: checkout, objective: 99.9, sli: {type: ratio}}
)";

TEST(EventsEncoding, GzipIsUndoneOtherCodingsAre415AndNothingIsMisread) {
  TestDaemon d(kConfig);
  HttpClient c(d.port());
  const std::string batch = R"({"events":[{"service":"checkout","good":true},{"service":"checkout","good":false}]})";
  const HttpResult zipped = c.post("/v1/events", gzip(batch), "application/json", {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(zipped.status, 200) << zipped.body;
  EXPECT_EQ(zipped.json()["accepted"], 2);
  const HttpResult ndjson = c.post("/v1/events", gzip("{\"service\":\"checkout\",\"good\":true}\n"),
                                   "application/x-ndjson", {{"Content-Encoding", "GZIP"}});
  ASSERT_EQ(ndjson.status, 200) << ndjson.body;
  EXPECT_EQ(ndjson.json()["accepted"], 1);

  // A coding budgetd does not undo is refused, even when the bytes happen to be plain JSON.
  const HttpResult br = c.post("/v1/events", batch, "application/json", {{"Content-Encoding", "br"}});
  EXPECT_EQ(br.status, 415);
  EXPECT_THAT(br.body, HasSubstr("Content-Encoding 'br' is not accepted; send gzip or none"));
  const HttpResult broken = c.post("/v1/events", "not gzip", "application/json", {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(broken.status, 400) << broken.body;
  // 64 KiB of limit, 1 MB of events compressed to a few KB: 413 once undone, nothing applied.
  std::string big = R"({"events":[)";
  while (big.size() < 1'000'000) big += R"({"service":"checkout","good":true},)";
  big += R"({"service":"checkout","good":true}]})";
  const HttpResult bomb = c.post("/v1/events", gzip(big), "application/json", {{"Content-Encoding", "gzip"}});
  EXPECT_EQ(bomb.status, 413) << bomb.body;

  const auto budget = c.get("/v1/slos/checkout-availability").json()["budget"];
  EXPECT_EQ(budget["total"], 3) << "the two gzip batches only";
  EXPECT_EQ(budget["good"], 2);
  EXPECT_THAT(c.get("/metrics").body, HasSubstr("budgetd_batches_malformed_total 2"));
}

}  // namespace
}  // namespace budgetd::test
