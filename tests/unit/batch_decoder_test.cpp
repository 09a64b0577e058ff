#include "budgetd/ingest/batch_decoder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace budgetd::ingest {
namespace {

using ::testing::HasSubstr;

constexpr int64_t kNow = 1795514400000;

struct Decoded {
  uint32_t index;
  uint32_t line;
  std::string service;
  int64_t ts;
  bool has_good_flag, good_flag, has_counts;
  uint64_t good_count, total_count;
  bool has_latency;
  double latency_ms;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string reject;  // empty for events
};

struct Collect : EventSink {
  std::vector<Decoded> items;
  void on_event(uint32_t index, const Event& e) override {
    Decoded d{index,
              0,
              std::string(e.service),
              to_unix_ms(e.ts),
              e.has_good_flag,
              e.good_flag,
              e.has_counts,
              e.good_count,
              e.total_count,
              e.has_latency,
              e.latency_ms,
              {},
              ""};
    for (uint32_t i = 0; i < e.label_count; ++i) d.labels.emplace_back(e.labels[i].key, e.labels[i].value);
    items.push_back(std::move(d));
  }
  void on_reject(uint32_t index, uint32_t line, std::string_view reason) override {
    Decoded d{};
    d.index = index;
    d.line = line;
    d.reject = std::string(reason);
    items.push_back(std::move(d));
  }
};

std::optional<MalformedBody> decode_body(const std::string& body, BodyFormat f, Collect& out) {
  static BatchDecoder decoder;  // reused across calls, as on a server thread
  std::string buf = body;
  buf.reserve(body.size() + required_padding());
  return decoder.decode(buf.data(), buf.size(), buf.capacity(), f, from_unix_ms(kNow), out);
}

// The decoder's answer as a POST body's answer says it.
Status decode(const std::string& body, BodyFormat f, Collect& out) {
  const auto bad = decode_body(body, f, out);
  return bad ? InvalidArgument(describe_body_error(*bad)) : Status::Ok();
}

Decoded one(const std::string& event) {
  Collect c;
  const Status s = decode(R"({"events":[)" + event + "]}", BodyFormat::kJson, c);
  EXPECT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.items.size(), 1u);
  return c.items.empty() ? Decoded{} : c.items[0];
}

std::string reject_reason(const std::string& event) { return one(event).reject; }

TEST(BatchDecoder, EveryEventForm) {
  Decoded d = one(R"({"service":"checkout","good":true})");
  EXPECT_EQ(d.reject, "");
  EXPECT_EQ(d.service, "checkout");
  EXPECT_EQ(d.ts, kNow);  // no ts: time of receipt
  EXPECT_TRUE(d.has_good_flag && d.good_flag);

  d = one(R"({"service":"checkout","ts":1795514399000,"good":990,"total":1000})");
  EXPECT_TRUE(d.has_counts);
  EXPECT_EQ(d.good_count, 990u);
  EXPECT_EQ(d.total_count, 1000u);
  EXPECT_EQ(d.ts, kNow - 1000);

  d = one(
      R"({"service":"api","ts":"2026-11-24T09:59:59.5Z","latency_ms":12.5,"good":false,"labels":{"region":"eu","v":"1"}})");
  EXPECT_TRUE(d.has_latency);
  EXPECT_EQ(d.latency_ms, 12.5);
  EXPECT_TRUE(d.has_good_flag && !d.good_flag);
  EXPECT_EQ(d.ts, kNow - 500);
  EXPECT_EQ(d.labels, (std::vector<std::pair<std::string, std::string>>{{"region", "eu"}, {"v", "1"}}));

  d = one(R"({"latency_ms":300,"service":"a\u00e9"})");  // escapes are decoded
  EXPECT_EQ(d.service, "a\xc3\xa9");
  EXPECT_EQ(d.latency_ms, 300);
}

TEST(BatchDecoder, RejectsBadEventsAloneWithAReason) {
  EXPECT_EQ(reject_reason(R"({"good":true})"), "service is required");
  EXPECT_EQ(reject_reason(R"({"service":5,"good":true})"), "service must be a string");
  EXPECT_EQ(reject_reason(R"({"service":"","good":true})"), "service must be 1-256 bytes");
  EXPECT_EQ(reject_reason(R"({"service":"a"})"),
            "the event has no SLI field: give good (true/false), good and total (counts), or latency_ms");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":5,"total":3})"), "good (5) must not exceed total (3)");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":5})"), "a count in good needs total beside it");
  EXPECT_EQ(reject_reason(R"({"service":"a","total":5})"), "total needs good: the count of good requests among them");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"total":5})"),
            "with total, good must be the count of good requests, not true/false");
  EXPECT_THAT(reject_reason(R"({"service":"a","good":-1,"total":5})"),
              HasSubstr("good must be true/false, or a whole number"));
  EXPECT_THAT(reject_reason(R"({"service":"a","good":1.5,"total":5})"),
              HasSubstr("good must be true/false, or a whole number"));
  EXPECT_THAT(reject_reason(R"({"service":"a","good":"yes"})"), HasSubstr("good must be true/false"));
  EXPECT_EQ(reject_reason(R"({"service":"a","good":1,"total":4294967296})"),
            "total (4294967296) is above the limit of 4294967295 requests in one event; split it");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":1,"total":2,"latency_ms":3})"),
            "latency_ms describes one request; it cannot be combined with good/total counts");
  EXPECT_EQ(reject_reason(R"({"service":"a","latency_ms":-1})"), "latency_ms must not be negative");
  EXPECT_EQ(reject_reason(R"({"service":"a","latency_ms":"fast"})"), "latency_ms must be a number");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"ts":1.5})"),
            "ts must be unix milliseconds (a whole number) or an RFC 3339 string");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"ts":-1})"), "ts must not be before 1970");
  EXPECT_THAT(reject_reason(R"({"service":"a","good":true,"ts":"yesterday"})"), HasSubstr("is not an RFC 3339 time"));
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"good":false})"), "field 'good' appears twice");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"latncy_ms":3})"),
            "unknown field 'latncy_ms' (valid: service, ts, good, total, latency_ms, labels)");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"labels":["eu"]})"),
            "labels must be an object of string values, e.g. {\"region\": \"eu\"}");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"labels":{"n":1}})"), "label 'n' must have a string value");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"labels":{"k":"1","k":"2"}})"), "label 'k' appears twice");
  std::string many = R"({"service":"a","good":true,"labels":{)";
  for (int i = 0; i < 33; ++i) many += (i ? "," : "") + std::string("\"l") + std::to_string(i) + "\":\"v\"";
  EXPECT_EQ(reject_reason(many + "}}"), "an event may carry at most 32 labels");
  EXPECT_EQ(reject_reason(R"("just a string")"), "an event must be a JSON object");
}

TEST(BatchDecoder, KeepsIndexesAcrossAcceptedAndRejectedEvents) {
  Collect c;
  ASSERT_TRUE(decode(R"({"events":[{"service":"a","good":true},{"service":"b"},{"service":"c","good":false}]})",
                     BodyFormat::kJson, c)
                  .ok());
  ASSERT_EQ(c.items.size(), 3u);
  EXPECT_EQ(c.items[0].index, 0u);
  EXPECT_EQ(c.items[1].index, 1u);
  EXPECT_NE(c.items[1].reject, "");
  EXPECT_EQ(c.items[2].index, 2u);
  EXPECT_EQ(c.items[2].service, "c");
}

// Malformed JSON anywhere, including inside values budgetd skips or events it already
// rejected, refuses the whole body.
TEST(BatchDecoder, MalformedBodiesAreRefusedWhole) {
  const char* bodies[] = {
      "",
      "{",
      R"({"events":[{"service":"a","good":tru}]})",
      R"({"events":[{"service":"a","good":true}])",
      R"({"events":[{"service":"a","good":true}]} trailing)",
      R"({"events":[{"service":"a","good":true}]}{"events":[]})",
      R"({"events":[{"service":"a","good":true,"labels":{"x":"bad \q escape"}}]})",
      R"({"events":[{"service":"a","good":true,"extra":[1,2,nul]}]})",  // unknown field's value
      R"({"events":[{"service":"a","total":5,"x":{"deep":[fals]}}]})",  // after a rejection
      R"({"events":[{"service":"a","good":true,"ts":01}]})",
      R"({"events":[{"service":"a","good":true}, ]})",
      "{\"events\":[{\"service\":\"a\xff\",\"good\":true}]}",  // invalid UTF-8
  };
  for (const char* body : bodies) {
    Collect c;
    const Status s = decode(body, BodyFormat::kJson, c);
    EXPECT_FALSE(s.ok()) << body;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << body;
  }
}

TEST(BatchDecoder, TopLevelShapeErrorsSayWhatIsExpected) {
  Collect c;
  EXPECT_THAT(decode("[]", BodyFormat::kJson, c).message(), HasSubstr("must be a JSON object {\"events\": [...]}"));
  EXPECT_THAT(decode(R"({"evnts":[]})", BodyFormat::kJson, c).message(), HasSubstr("unknown top-level field 'evnts'"));
  EXPECT_THAT(decode(R"({})", BodyFormat::kJson, c).message(), HasSubstr("no 'events' array"));
  EXPECT_THAT(decode(R"({"events":{}})", BodyFormat::kJson, c).message(), HasSubstr("'events' must be an array"));
  EXPECT_THAT(decode(R"({"events":[{"service":"a","good":tru}]})", BodyFormat::kJson, c).message(),
              HasSubstr("not valid JSON near byte"));
  EXPECT_TRUE(decode(R"({"events":[]})", BodyFormat::kJson, c).ok());
}

TEST(BatchDecoder, MalformedBodiesSayWhatAndWhereAsData) {
  using Kind = MalformedBody::Kind;
  Collect c;
  EXPECT_EQ(decode_body("[]", BodyFormat::kJson, c)->kind, Kind::kNotAnObject);
  const auto unknown = decode_body(R"({"evnts":[]})", BodyFormat::kJson, c);
  EXPECT_EQ(unknown->kind, Kind::kUnknownField);
  EXPECT_EQ(unknown->detail, "evnts");
  EXPECT_EQ(decode_body(R"({"events":[],"events":[]})", BodyFormat::kJson, c)->kind, Kind::kRepeatedEvents);
  EXPECT_EQ(decode_body(R"({})", BodyFormat::kJson, c)->kind, Kind::kNoEvents);
  const auto tru = decode_body(R"({"events":[{"service":"a","good":tru}]})", BodyFormat::kJson, c);
  EXPECT_EQ(tru->kind, Kind::kNotJson);
  EXPECT_EQ(tru->line, 0u);
  EXPECT_TRUE(tru->byte.has_value());
  const auto second = decode_body("{\"service\":\"a\",\"good\":true}\n{\"good\":tru}\n", BodyFormat::kNdjson, c);
  EXPECT_EQ(second->kind, Kind::kNotJson);
  EXPECT_EQ(second->line, 2u);
  const auto two = decode_body("{\"service\":\"a\",\"good\":true} {}\n", BodyFormat::kNdjson, c);
  EXPECT_EQ(two->kind, Kind::kTrailingContent);
  EXPECT_EQ(two->line, 1u);
  EXPECT_FALSE(decode_body(R"({"events":[]})", BodyFormat::kJson, c).has_value());
}

TEST(BatchDecoder, Ndjson) {
  Collect c;
  const std::string body =
      "{\"service\":\"a\",\"good\":true}\r\n"
      "\n"
      "  {\"service\":\"b\",\"good\":1,\"total\":2}  \n"
      "{\"service\":\"c\"}\n"
      "42\n"
      "{\"service\":\"d\",\"latency_ms\":5}";  // no final newline
  ASSERT_TRUE(decode(body, BodyFormat::kNdjson, c).ok());
  ASSERT_EQ(c.items.size(), 5u);
  EXPECT_EQ(c.items[0].service, "a");
  EXPECT_EQ(c.items[1].service, "b");
  EXPECT_EQ(c.items[1].total_count, 2u);
  EXPECT_EQ(c.items[2].index, 2u);
  EXPECT_EQ(c.items[2].line, 4u);
  EXPECT_THAT(c.items[2].reject, HasSubstr("no SLI field"));
  EXPECT_EQ(c.items[3].line, 5u);
  EXPECT_EQ(c.items[3].reject, "an event must be a JSON object");
  EXPECT_EQ(c.items[4].index, 4u);
  EXPECT_EQ(c.items[4].service, "d");
}

TEST(BatchDecoder, NdjsonMalformedLineRefusesTheBody) {
  Collect c;
  Status s = decode("{\"service\":\"a\",\"good\":true}\n{\"service\":\"b\",\"good\":tru}\n", BodyFormat::kNdjson, c);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("on line 2"));
  s = decode("{\"service\":\"a\",\"good\":true} {\"service\":\"b\",\"good\":true}\n", BodyFormat::kNdjson, c);
  EXPECT_FALSE(s.ok());
  EXPECT_THAT(s.message(), HasSubstr("line 1 has content after its JSON value, at byte 28"));
  EXPECT_FALSE(decode("[1,2\n", BodyFormat::kNdjson, c).ok());
}

// Regression: a body of nested brackets overflowed the stack in validate() (review of issue 2);
// now it is refused, not a crash.
TEST(BatchDecoderRegression, NestedBracketsOverflowedTheStack) {
  Collect c;
  for (const std::string& body :
       {std::string(400'000, '['),
        R"({"events":[{"service":"a","good":true,"x":)" + std::string(100'000, '[') + std::string(100'000, ']') + "}]}",
        "{\"service\":\"a\",\"good\":true,\"x\":" + std::string(5000, '[') + std::string(5000, ']') + "}\n"}) {
    const BodyFormat f = body.front() == '{' && body.back() == '\n' ? BodyFormat::kNdjson : BodyFormat::kJson;
    const Status s = decode(body, f, c);
    EXPECT_FALSE(s.ok());
  }
  Collect ok;
  EXPECT_TRUE(decode(R"({"events":[{"service":"a","good":true,"labels":{"k":"v"}}]})", BodyFormat::kJson, ok).ok());
}

// Regression: valid numbers too large for 64 bits made the whole batch a 400 (review of issue 2);
// now they reject only their event.
TEST(BatchDecoderRegression, NumbersTooLargeFor64BitsRefusedTheWholeBody) {
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,"ts":99999999999999999999})"),
            "ts must be unix milliseconds (a whole number) or an RFC 3339 string");
  EXPECT_EQ(reject_reason(R"({"service":"a","good":1,"total":123456789012345678901234567890})"),
            "total must be a whole number of requests");
  EXPECT_EQ(reject_reason(R"({"service":"a","latency_ms":1e400})"), "latency_ms must be a number");
  EXPECT_THAT(reject_reason(R"({"service":"a","good":true,"extra":123456789012345678901234567890})"),
              HasSubstr("unknown field 'extra'"));
  EXPECT_THAT(reject_reason(R"({"service":"a","good":true,"extra":-1.5e999})"), HasSubstr("unknown field 'extra'"));
  // Malformed numbers still refuse the body.
  for (const char* bad :
       {R"({"events":[{"service":"a","good":true,"ts":01}]})", R"({"events":[{"service":"a","total":1.}]})",
        R"({"events":[{"service":"a","good":true,"x":-}]})", R"({"events":[{"service":"a","good":true,"x":1e}]})"}) {
    Collect c;
    EXPECT_FALSE(decode(bad, BodyFormat::kJson, c).ok()) << bad;
  }
}

// Regression (issue 11, finding 1): an NDJSON line that is not an object and has content after
// its value was taken as one rejected event, and the body got 200 with its other lines applied.
// simdjson 3.0.1 reads "false1" as false and "null" plus any one byte as null at document level.
TEST(BatchDecoderRegression, NdjsonNonObjectLineWithTrailingContentWasOneRejectedEvent) {
  const std::pair<const char*, uint64_t> lines[] = {
      {"\"x\" garbage", 4}, {"[1] [2", 4},     {"false1", 5}, {"null1", 4}, {"[1]x", 3},
      {"true false", 5},    {"\"a\"\"b\"", 3}, {"1 2", 2},    {"[1]]", 3},  {"-5x", 2}};
  for (const auto& [line, at] : lines) {
    Collect c;
    const auto bad =
        decode_body("{\"service\":\"a\",\"good\":true}\n" + std::string(line) + "\n{\"service\":\"b\",\"good\":true}\n",
                    BodyFormat::kNdjson, c);
    ASSERT_TRUE(bad.has_value()) << line;
    EXPECT_EQ(bad->kind, MalformedBody::Kind::kTrailingContent) << line;
    EXPECT_EQ(bad->line, 2u) << line;
    EXPECT_EQ(bad->byte, at) << line;
  }
  // The same values alone on their line are one rejected event each, as before.
  Collect c;
  ASSERT_TRUE(
      decode("\"x\"\n[1, [2]]\nfalse\nnull\n-5e3\n123456789012345678901234567890\n", BodyFormat::kNdjson, c).ok());
  ASSERT_EQ(c.items.size(), 6u);
  for (const auto& item : c.items) EXPECT_EQ(item.reject, "an event must be a JSON object");
  // Atoms that are not quite atoms are malformed, not trailing content.
  for (const char* line : {"tru", "nul", "fals", "01", "1.", "-"}) {
    Collect m;
    const auto bad = decode_body(std::string(line) + "\n", BodyFormat::kNdjson, m);
    ASSERT_TRUE(bad.has_value()) << line;
    EXPECT_EQ(bad->kind, MalformedBody::Kind::kNotJson) << line;
  }
}

// Regression (issue 11, papercut): a complete document followed by more content was reported as
// "not valid JSON near byte 0: JSON document ended early"; it now names the byte where the rest
// starts, in a JSON body and on an NDJSON line alike.
TEST(BatchDecoderRegression, TrailingDataWasReportedNearByte0AsEndedEarly) {
  Collect c;
  const auto json = decode_body(R"({"events":[{"service":"a","good":true}]}  x)", BodyFormat::kJson, c);
  ASSERT_TRUE(json.has_value());
  EXPECT_EQ(json->kind, MalformedBody::Kind::kTrailingContent);
  EXPECT_EQ(json->byte, 42u);
  EXPECT_EQ(describe_body_error(*json),
            "the body has content after its JSON object, at byte 42; nothing of it was applied");
  for (const auto& [body, at] : {std::pair<std::string, uint64_t>{R"({"events":[]}})", 13},
                                 {R"({"events":[]}])", 13},
                                 {R"({"events":[]} {"events":[]})", 14},
                                 {R"({"events":[]} "x")", 14}}) {
    Collect d;
    const auto bad = decode_body(body, BodyFormat::kJson, d);
    ASSERT_TRUE(bad.has_value()) << body;
    EXPECT_EQ(bad->kind, MalformedBody::Kind::kTrailingContent) << body;
    EXPECT_EQ(bad->byte, at) << body;
  }
  const auto line =
      decode_body("{\"service\":\"a\",\"good\":true}\n{\"service\":\"b\",\"good\":true} x\n", BodyFormat::kNdjson, c);
  ASSERT_TRUE(line.has_value());
  EXPECT_EQ(line->kind, MalformedBody::Kind::kTrailingContent);
  EXPECT_EQ(line->line, 2u);
  EXPECT_EQ(line->byte, 28u);
  EXPECT_THAT(describe_body_error(*line), HasSubstr("line 2 has content after its JSON value, at byte 28"));
  // The first error still wins when the complete part itself is malformed.
  const auto inner = decode_body(R"({"events":[{"service":"a","good":tru}]} x)", BodyFormat::kJson, c);
  ASSERT_TRUE(inner.has_value());
  EXPECT_EQ(inner->kind, MalformedBody::Kind::kNotJson);
  // A body that ends inside its object says where it ended.
  const auto cut = decode_body(R"({"events":[{"service":"a")", BodyFormat::kJson, c);
  ASSERT_TRUE(cut.has_value());
  EXPECT_EQ(cut->byte, 25u);
}

// Regression (issue 11, finding 7): an unknown field name was echoed whole: a 7 MiB key gave a
// 7.3 MB answer. Echoed input is cut to 64 bytes, with its size.
TEST(BatchDecoderRegression, AHugeFieldNameWasEchoedWhole) {
  const std::string key(7 << 20, 'k');
  const std::string cut = std::string(64, 'k') + "...(cut; 7340032 bytes)";
  EXPECT_EQ(reject_reason(R"({"service":"a","good":true,")" + key + R"(":1})"),
            "unknown field '" + cut + "' (valid: service, ts, good, total, latency_ms, labels)");
  EXPECT_THAT(reject_reason(R"({"service":"a","good":true,"labels":{")" + key + R"(":"v"}})"), HasSubstr(cut));
  EXPECT_THAT(reject_reason(R"({"service":"a","good":true,"labels":{")" + key + R"(":1}})"), HasSubstr(cut));
  EXPECT_LT(reject_reason(R"({"service":"a","good":true,"ts":")" + key + R"("})").size(), 300u);
  Collect c;
  const auto top = decode_body(R"({")" + key + R"(":[]})", BodyFormat::kJson, c);
  ASSERT_TRUE(top.has_value());
  EXPECT_EQ(top->detail, cut);
  EXPECT_LT(describe_body_error(*top).size(), 200u);
}

}  // namespace
}  // namespace budgetd::ingest
