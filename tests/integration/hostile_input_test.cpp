// What an attack run on budgetd found (issue 11), pinned against the real server over raw
// sockets, and the same bytes through api::RawExchange, the fuzzer's way in, which must frame
// requests exactly as a connection does.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "budgetd/api/raw_exchange.h"
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

uint64_t total_events(uint16_t port) {
  return http_get(port, "/v1/slos/checkout-availability").json()["budget"]["total"].get<uint64_t>();
}

std::string post_events(const std::string& framing, const std::string& body) {
  return "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n" + framing + "\r\n" + body;
}

const std::string kOneEvent = R"({"events":[{"service":"checkout","good":true}]})";
// The request hidden in a body: it would count one more event.
const std::string kSmuggled =
    "POST /v1/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: " +
    std::to_string(kOneEvent.size()) + "\r\n\r\n" + kOneEvent;

// Regression (issue 11, finding 2): a Transfer-Encoding whose last coding is not chunked, sent
// before a Content-Length, was ignored: the body was framed by Content-Length and the bytes after
// it ran as a second request (an unauthenticated POST /-/snapshot ran that way). Beast 1.81
// refuses Content-Length after "chunked", and Transfer-Encoding after Content-Length, but not this.
TEST(HostileInputRegression, TransferEncodingNotEndingInChunkedSmuggledASecondRequest) {
  TestDaemon d(kSlos);
  for (const std::string te : {"chunked, identity", "identity", "gzip", "xchunked", "chunked;x, gzip"}) {
    HttpClient c(d.port());
    // The first request's Content-Length covers its body; the smuggled request follows it.
    c.send_raw(
        post_events("Transfer-Encoding: " + te + "\r\nContent-Length: " + std::to_string(kOneEvent.size()) + "\r\n",
                    kOneEvent + kSmuggled));
    const HttpResult r = c.read_response();
    EXPECT_EQ(r.status, 400) << te;
    EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("malformed HTTP request")) << te;
    EXPECT_FALSE(r.keep_alive) << te;
    EXPECT_TRUE(c.wait_closed(std::chrono::seconds(10))) << te;  // nothing more is answered
  }
  // Without a Content-Length, the "body" would be read as the next request.
  for (const std::string te : {"gzip", "chunked, identity"}) {
    HttpClient c(d.port());
    c.send_raw(post_events("Transfer-Encoding: " + te + "\r\n", kSmuggled));
    EXPECT_EQ(c.read_response().status, 400) << te;
    EXPECT_TRUE(c.wait_closed(std::chrono::seconds(10))) << te;
  }
  EXPECT_EQ(total_events(d.port()), 0u);  // neither request of any attempt ran
}

// RFC 9112 §6.3: a request with both Transfer-Encoding and Content-Length is refused whatever
// their order, and the connection closes.
TEST(HostileInput, BothTransferEncodingAndContentLengthAreRefusedInEitherOrder) {
  TestDaemon d(kSlos);
  const std::string chunked_body = std::to_string(kOneEvent.size()) + "\r\n" + kOneEvent + "\r\n0\r\n\r\n";
  for (const std::string framing :
       {"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n",
        "Transfer-Encoding: identity\r\nContent-Length: 5\r\n",
        "Content-Length: 5\r\nTransfer-Encoding: identity\r\n"}) {
    HttpClient c(d.port());
    c.send_raw(post_events(framing, chunked_body + kSmuggled));
    const HttpResult r = c.read_response();
    EXPECT_EQ(r.status, 400) << framing;
    EXPECT_TRUE(c.wait_closed(std::chrono::seconds(10))) << framing;
  }
  EXPECT_EQ(total_events(d.port()), 0u);
}

TEST(HostileInput, TransferCodingsOtherThanChunkedAreRefused) {
  TestDaemon d(kSlos);
  const std::string chunked_body = "2f\r\n" + kOneEvent + "\r\n0\r\n\r\n";
  ASSERT_EQ(kOneEvent.size(), 0x2fu);
  {  // other codings before chunked: the length is known, but budgetd decodes none of them
    HttpClient c(d.port());
    c.send_raw(post_events("Transfer-Encoding: gzip, chunked\r\n", chunked_body));
    const HttpResult r = c.read_response();
    EXPECT_EQ(r.status, 501);
    EXPECT_EQ(r.json()["error"]["code"], "not_implemented");
  }
  {  // chunked twice
    HttpClient c(d.port());
    c.send_raw(post_events("Transfer-Encoding: chunked, chunked\r\n", chunked_body));
    EXPECT_EQ(c.read_response().status, 400);
  }
  {  // HTTP/1.0 has no transfer codings
    HttpClient c(d.port());
    c.send_raw("POST /v1/events HTTP/1.0\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" +
               chunked_body);
    EXPECT_EQ(c.read_response().status, 400);
  }
  EXPECT_EQ(total_events(d.port()), 0u);
  // Plain chunked, in any letter case and over two fields, still works, on a kept-alive connection.
  HttpClient c(d.port());
  c.send_raw(post_events("Transfer-Encoding: CHUNKED\r\n", chunked_body));
  const HttpResult r = c.read_response();
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(r.keep_alive);
  c.send_raw(post_events("Transfer-Encoding:\r\nTransfer-Encoding: chunked\r\n", chunked_body));
  EXPECT_EQ(c.read_response().status, 200);
  EXPECT_EQ(total_events(d.port()), 2u);
}

// The fuzzer's way in frames requests as a connection does: the same bytes get the same answers.
TEST(HostileInput, RawExchangeFramesRequestsAsTheServerDoes) {
  TestDaemon d(kSlos);
  api::RawExchange raw(d.daemon().state()->config->server, d.daemon(), d.clock(), d.daemon().metrics());
  const auto one = raw.exchange(
      post_events("Transfer-Encoding: chunked, identity\r\nContent-Length: 47\r\n", kOneEvent + kSmuggled));
  ASSERT_EQ(one.size(), 1u);  // refused, and the connection closes: the smuggled request never runs
  EXPECT_EQ(one[0].status, 400);
  EXPECT_TRUE(one[0].close);
  EXPECT_EQ(total_events(d.port()), 0u);

  // Pipelined requests are all answered, in order; a request cut off in its body gets no answer.
  const auto three = raw.exchange(kSmuggled + "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" +
                                  post_events("Content-Length: 100\r\n", "{\"events\":"));
  ASSERT_EQ(three.size(), 2u);
  EXPECT_EQ(three[0].status, 200);
  EXPECT_EQ(json::parse(three[0].body)["accepted"], 1);
  EXPECT_EQ(three[1].status, 200);
  EXPECT_EQ(total_events(d.port()), 1u);

  // A header cut off is a 400, as at end of stream; over the limits: 431 and 413.
  EXPECT_EQ(raw.exchange("GET /healthz HTTP/1.1\r\nHost:")[0].status, 400);
  EXPECT_EQ(raw.exchange("GET /healthz HTTP/1.1\r\nX: " + std::string(20'000, 'x') + "\r\n\r\n")[0].status, 431);
  EXPECT_EQ(raw.exchange(post_events("Content-Length: 99999999999\r\n", ""))[0].status, 413);
}

// Regression (issue 11, finding 1), over HTTP: the README promises 400 and nothing applied for a
// malformed body, but an NDJSON line that is not an object, with content after it, got 200 with
// the other lines applied.
TEST(HostileInputRegression, NdjsonLineWithTrailingContentGot200WithTheRestApplied) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  for (const std::string line : {"\"x\" garbage", "[1] [2", "false1", "null1", "[1]x"}) {
    const HttpResult r =
        c.post("/v1/events",
               "{\"service\":\"checkout\",\"good\":true}\n" + line + "\n{\"service\":\"checkout\",\"good\":true}\n",
               "application/x-ndjson");
    EXPECT_EQ(r.status, 400) << line << ": " << r.body;
    EXPECT_THAT(r.json()["error"]["message"].get<std::string>(), HasSubstr("line 2 has content after its JSON value"))
        << line;
  }
  EXPECT_EQ(total_events(d.port()), 0u);
}

// Regression (issue 11, finding 7): an unknown field name was echoed whole in the answer: a 7 MiB
// key gave a 7.3 MB answer, stored again under its Idempotency-Key.
TEST(HostileInputRegression, AHugeFieldNameWasEchoedWholeAndStoredWithItsKey) {
  TestDaemon d(kSlos);
  HttpClient c(d.port());
  const std::string key(7 << 20, 'k');
  const std::string body = R"({"events":[{"service":"checkout","good":true,")" + key + R"(":1}]})";
  const HttpResult r = c.post("/v1/events", body, "application/json", {{"Idempotency-Key", "huge-1"}});
  ASSERT_EQ(r.status, 200);
  EXPECT_LT(r.body.size(), 512u);
  EXPECT_THAT(r.json()["errors"][0]["error"].get<std::string>(), HasSubstr("...(cut; 7340032 bytes)"));
  const HttpResult replay = c.post("/v1/events", body, "application/json", {{"Idempotency-Key", "huge-1"}});
  EXPECT_EQ(replay.header("idempotent-replayed"), "true");
  EXPECT_EQ(replay.body, r.body);
  // NDJSON, a top-level field and a long Content-Type: short answers too.
  EXPECT_LT(c.post("/v1/events", R"({"service":"checkout","good":true,")" + key + "\":1}\n", "application/x-ndjson")
                .body.size(),
            512u);
  EXPECT_LT(c.post("/v1/events", R"({")" + key + R"(":[]})").body.size(), 512u);
  const HttpResult type = c.post("/v1/events", kOneEvent, "application/" + std::string(10'000, 'j'));
  EXPECT_EQ(type.status, 415);
  EXPECT_LT(type.body.size(), 512u);
  // A key used again for another body: its echo is cut too.
  const std::string long_key(200, 'i');
  ASSERT_EQ(c.post("/v1/events", kOneEvent, "application/json", {{"Idempotency-Key", long_key}}).status, 200);
  const HttpResult reuse =
      c.post("/v1/events", R"({"events":[]})", "application/json", {{"Idempotency-Key", long_key}});
  EXPECT_EQ(reuse.status, 422);
  EXPECT_THAT(reuse.json()["error"]["message"].get<std::string>(), HasSubstr("...(cut; 200 bytes)"));
}

}  // namespace
}  // namespace budgetd::test
