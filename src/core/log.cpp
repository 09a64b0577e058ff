#include "budgetd/core/log.h"

#include <cmath>
#include <memory>
#include <vector>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace budgetd::log {
namespace {

spdlog::level::level_enum to_spdlog(Level l) {
  switch (l) {
    case Level::trace:
      return spdlog::level::trace;
    case Level::debug:
      return spdlog::level::debug;
    case Level::info:
      return spdlog::level::info;
    case Level::warn:
      return spdlog::level::warn;
    case Level::error:
      return spdlog::level::err;
    case Level::off:
      return spdlog::level::off;
  }
  return spdlog::level::info;
}

std::shared_ptr<spdlog::logger> make_logger() {
  auto logger = std::make_shared<spdlog::logger>("budgetd", std::make_shared<spdlog::sinks::stderr_sink_mt>());
  // The message already holds the level and the JSON fields; the pattern adds the time. The
  // level is not spdlog's %l, which spells warn "warning": lines use the names the config takes.
  logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ",%v})", spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::warn);
  return logger;
}

spdlog::logger& logger() {
  static std::shared_ptr<spdlog::logger> instance = make_logger();
  return *instance;
}

}  // namespace

void init(Level level) { logger().set_level(to_spdlog(level)); }

bool enabled(Level level) { return logger().should_log(to_spdlog(level)); }

// The one list of level names: what the config takes and what messages say it takes.
constexpr std::pair<std::string_view, Level> kLevelNames[] = {{"trace", Level::trace}, {"debug", Level::debug},
                                                              {"info", Level::info},   {"warn", Level::warn},
                                                              {"error", Level::error}, {"off", Level::off}};

std::string_view level_name(Level level) {
  for (const auto& [n, l] : kLevelNames) {
    if (l == level) return n;
  }
  return "info";
}

std::string_view level_names() {
  static const std::string text = [] {
    std::vector<std::string_view> names;
    for (const auto& [n, l] : kLevelNames) names.push_back(n);
    return fmt::format("{}", fmt::join(names, ", "));
  }();
  return text;
}

bool parse_level(std::string_view name, Level& out) {
  for (const auto& [n, l] : kLevelNames) {
    if (n == name) {
      out = l;
      return true;
    }
  }
  return false;
}

namespace {

// The length of the well-formed UTF-8 sequence at the start of s (Unicode 15, table 3-7: no
// overlong forms, no surrogates, nothing above U+10FFFF), or 0 if it is not one.
size_t utf8_sequence_length(std::string_view s) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const auto in = [&](size_t i, unsigned lo, unsigned hi) { return i < s.size() && byte(i) >= lo && byte(i) <= hi; };
  const unsigned c = byte(0);
  if (c >= 0xC2 && c <= 0xDF) return in(1, 0x80, 0xBF) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned hi = c == 0xED ? 0x9F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) ? 3 : 0;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned hi = c == 0xF4 ? 0x8F : 0xBF;
    return in(1, lo, hi) && in(2, 0x80, 0xBF) && in(3, 0x80, 0xBF) ? 4 : 0;
  }
  return 0;
}

}  // namespace

void append_json_escaped(fmt::memory_buffer& out, std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const char c = s[i];
    const auto u = static_cast<unsigned char>(c);
    if (u >= 0x80) {
      // Bytes from the network (a request path, a decoded query value) need not be UTF-8. A
      // well-formed sequence is kept; each byte that does not start one becomes U+FFFD, so every
      // line stays valid JSON and the same input always gives the same line.
      if (const size_t n = utf8_sequence_length(s.substr(i)); n != 0) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out.append(std::string_view{"\\ufffd"});
        ++i;
      }
      continue;
    }
    switch (c) {
      case '"':
        out.append(std::string_view{"\\\""});
        break;
      case '\\':
        out.append(std::string_view{"\\\\"});
        break;
      case '\n':
        out.append(std::string_view{"\\n"});
        break;
      case '\r':
        out.append(std::string_view{"\\r"});
        break;
      case '\t':
        out.append(std::string_view{"\\t"});
        break;
      default:
        if (u < 0x20 || u == 0x7f) {
          fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(u));
        } else {
          out.push_back(c);
        }
    }
    ++i;
  }
}

Line::Line(Level level, std::string_view message) : level_(level), on_(enabled(level)) {
  if (!on_) return;
  buf_.append(std::string_view{"\"level\":\""});
  buf_.append(level_name(level));
  buf_.append(std::string_view{"\",\"msg\":\""});
  append_json_escaped(buf_, message);
  buf_.push_back('"');
}

Line::~Line() {
  if (!on_) return;
  logger().log(spdlog::source_loc{}, to_spdlog(level_), spdlog::string_view_t{buf_.data(), buf_.size()});
}

void Line::key(std::string_view k) {
  buf_.append(std::string_view{",\""});
  append_json_escaped(buf_, k);
  buf_.append(std::string_view{"\":"});
}

Line& Line::field(std::string_view k, std::string_view value) {
  if (!on_) return *this;
  key(k);
  buf_.push_back('"');
  append_json_escaped(buf_, value);
  buf_.push_back('"');
  return *this;
}

Line& Line::field(std::string_view k, int64_t value) {
  if (on_) {
    key(k);
    fmt::format_to(std::back_inserter(buf_), "{}", value);
  }
  return *this;
}

Line& Line::field(std::string_view k, uint64_t value) {
  if (on_) {
    key(k);
    fmt::format_to(std::back_inserter(buf_), "{}", value);
  }
  return *this;
}

Line& Line::field(std::string_view k, double value) {
  if (on_) {
    key(k);
    if (std::isfinite(value)) {
      fmt::format_to(std::back_inserter(buf_), "{}", value);
    } else {
      buf_.append(std::string_view{"null"});  // JSON has no NaN or infinity
    }
  }
  return *this;
}

Line& Line::field(std::string_view k, bool value) {
  if (on_) {
    key(k);
    buf_.append(value ? std::string_view{"true"} : std::string_view{"false"});
  }
  return *this;
}

}  // namespace budgetd::log
