#pragma once
// Structured logs: one JSON object per line on stderr, written through spdlog.
//
//   log::Line(log::Level::warn, "ingest: batch rejected")
//       .field("remote", peer).field("status", 400).field("reason", why);
//
// The line is written when the Line object is destroyed. When its level is disabled, fields are
// not even formatted, so a debug line per request costs a branch in production.
//
// Thread safety: a Line belongs to the thread that made it. init() may run at any time from any
// thread, while others log (a reload does): the logger is built once, on first use, and init()
// only changes its level, which spdlog keeps in an atomic.

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace budgetd::log {

enum class Level { trace, debug, info, warn, error, off };

// Sets the level; the JSON line format on stderr is there from the first line on, init or not.
void init(Level level);
bool enabled(Level level);
// "debug" -> Level::debug; false for an unknown name.
bool parse_level(std::string_view name, Level& out);
// The names parse_level takes, for messages: "trace, debug, info, warn, error, off".
std::string_view level_names();
// The name of one level, as the config spells it and every log line writes it: "warn".
std::string_view level_name(Level level);

// Appends s to out as the body of a JSON string (quotes not included), valid JSON for any bytes:
// control characters are \u-escaped, and each byte that does not start a well-formed UTF-8
// sequence becomes \ufffd (U+FFFD), so a hostile request path cannot break a log line.
void append_json_escaped(fmt::memory_buffer& out, std::string_view s);

class Line {
 public:
  Line(Level level, std::string_view message);
  ~Line();
  Line(const Line&) = delete;
  Line& operator=(const Line&) = delete;

  Line& field(std::string_view key, std::string_view value);
  Line& field(std::string_view key, const char* value) { return field(key, std::string_view{value}); }
  Line& field(std::string_view key, const std::string& value) { return field(key, std::string_view{value}); }
  Line& field(std::string_view key, int64_t value);
  Line& field(std::string_view key, uint64_t value);
  Line& field(std::string_view key, int value) { return field(key, int64_t{value}); }
  Line& field(std::string_view key, unsigned value) { return field(key, uint64_t{value}); }
  Line& field(std::string_view key, double value);
  Line& field(std::string_view key, bool value);

 private:
  void key(std::string_view k);
  Level level_;
  bool on_;
  fmt::memory_buffer buf_;
};

inline Line debug(std::string_view m) { return Line(Level::debug, m); }
inline Line info(std::string_view m) { return Line(Level::info, m); }
inline Line warn(std::string_view m) { return Line(Level::warn, m); }
inline Line error(std::string_view m) { return Line(Level::error, m); }

}  // namespace budgetd::log
