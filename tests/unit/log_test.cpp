// core/log: every line is one valid JSON object whatever bytes its fields hold, and its level is
// spelled as the config spells it.

#include "budgetd/core/log.h"

#include <random>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "stderr_capture.h"

namespace budgetd::log {
namespace {

using nlohmann::json;

// The JSON string append_json_escaped makes of `s`, decoded again; throws if it is not JSON
// (nlohmann rejects ill-formed UTF-8 in strings).
std::string round_trip(std::string_view s) {
  fmt::memory_buffer out;
  out.push_back('"');
  append_json_escaped(out, s);
  out.push_back('"');
  return json::parse(std::string_view(out.data(), out.size())).get<std::string>();
}

const std::string kFffd = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

TEST(LogEscaping, WellFormedUtf8AndControlCharactersRoundTrip) {
  for (const std::string& s : {std::string("plain"), std::string("h\xC3\xA9llo \xE2\x9C\x93 \xF0\x9D\x84\x9E"),
                               std::string("quote \" backslash \\ slash /"), std::string("\x01\x1f\x7f\n\r\t", 6),
                               std::string("nul \0 inside", 12), std::string("\xF4\x8F\xBF\xBF")}) {
    EXPECT_EQ(round_trip(s), s);
  }
}

TEST(LogEscaping, EachByteThatStartsNoUtf8SequenceBecomesOneReplacementCharacter) {
  EXPECT_EQ(round_trip("\xFF"), kFffd);
  EXPECT_EQ(round_trip("ci_job=\xFF\xFE"), "ci_job=" + kFffd + kFffd);
  EXPECT_EQ(round_trip("a\xC3"), "a" + kFffd);                               // cut short
  EXPECT_EQ(round_trip("\xC3\x28"), kFffd + "(");                            // bad continuation
  EXPECT_EQ(round_trip("\xC0\xAF"), kFffd + kFffd);                          // overlong '/'
  EXPECT_EQ(round_trip("\xE0\x80\xAF"), kFffd + kFffd + kFffd);              // overlong, 3 bytes
  EXPECT_EQ(round_trip("\xED\xA0\x80"), kFffd + kFffd + kFffd);              // a UTF-16 surrogate
  EXPECT_EQ(round_trip("\xF4\x90\x80\x80"), kFffd + kFffd + kFffd + kFffd);  // above U+10FFFF
  EXPECT_EQ(round_trip("\x80x"), kFffd + "x");                               // a lone continuation byte
}

// Regression: raw request-path bytes and decoded query values reached the log unescaped and
// made lines that are not JSON.
TEST(LogRegression, HostileBytesInFieldsMadeLinesThatAreNotJson) {
  std::mt19937 rng(20261124);
  std::vector<std::string> hostile;
  for (int c = 0; c < 256; ++c) hostile.emplace_back(1, static_cast<char>(c));
  for (int i = 0; i < 500; ++i) {
    std::string s(rng() % 24, '\0');
    for (char& ch : s) ch = static_cast<char>(rng());
    hostile.push_back(std::move(s));
  }
  {
    test::StderrCapture capture;
    for (const std::string& s : hostile) {
      warn(s).field(s, s).field("path", "/" + s).field("n", 1);
    }
    const std::vector<std::string> lines = capture.lines();
    ASSERT_EQ(lines.size(), hostile.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      json line;
      ASSERT_NO_THROW(line = json::parse(lines[i])) << "line " << i << ": " << lines[i];
      EXPECT_EQ(line["level"], "warn");
      EXPECT_EQ(line["msg"], round_trip(hostile[i]));
      EXPECT_EQ(line["path"], "/" + round_trip(hostile[i]));
      EXPECT_EQ(line["n"], 1);
    }
  }
}

TEST(LogRegression, LevelWasWrittenWarningWhereTheConfigSaysWarn) {
  test::StderrCapture capture;
  warn("w");
  error("e");
  info("i");
  const std::vector<std::string> lines = capture.lines();
  ASSERT_EQ(lines.size(), 3u);
  std::vector<std::string> levels;
  for (const std::string& l : lines) levels.push_back(json::parse(l)["level"]);
  EXPECT_THAT(levels, ::testing::ElementsAre("warn", "error", "info"));
  // Every name a line can carry is one parse_level takes.
  for (const std::string& l : levels) {
    Level parsed;
    EXPECT_TRUE(parse_level(l, parsed)) << l;
  }
  // The time stays first, the level second, as before.
  EXPECT_THAT(lines[0], ::testing::StartsWith("{\"time\":\""));
  EXPECT_THAT(lines[0], ::testing::HasSubstr("Z\",\"level\":\"warn\",\"msg\":\"w\"}"));
}

}  // namespace
}  // namespace budgetd::log
