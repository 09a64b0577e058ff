#include "budgetd/core/time.h"

#include <fmt/format.h>

#include <array>
#include <charconv>
#include "budgetd/core/echo.h"

namespace budgetd {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::year_month_day;

// Reads exactly `width` digits at text[pos]; false if any is not a digit.
bool read_digits(std::string_view text, size_t pos, size_t width, int& out) {
  if (pos + width > text.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + width; ++i) {
    const char c = text[i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  out = v;
  return true;
}

Status bad_time(std::string_view text, std::string_view why) {
  return InvalidArgument(
      fmt::format("'{}' is not an RFC 3339 time ({}); example: 2026-11-24T10:00:00Z", bounded_echo(text), why));
}

struct DurationUnit {
  std::string_view suffix;
  Millis length;
};
// Longest suffix first so "ms" is not read as "m" followed by garbage.
constexpr std::array<DurationUnit, 7> kUnits{
    {{"ms", Millis{1}}, {"s", kSecond}, {"m", kMinute}, {"h", kHour}, {"d", kDay}, {"w", 7 * kDay}, {"y", 365 * kDay}}};

}  // namespace

std::string format_rfc3339(Timestamp t) {
  const auto day = std::chrono::floor<days>(t);
  const year_month_day ymd{day};
  const Millis in_day = t - day;
  const int64_t ms = in_day.count();
  const int h = static_cast<int>(ms / kHour.count());
  const int m = static_cast<int>(ms / kMinute.count() % 60);
  const int s = static_cast<int>(ms / 1000 % 60);
  const int frac = static_cast<int>(ms % 1000);
  const int y = static_cast<int>(ymd.year());
  const unsigned mo = static_cast<unsigned>(ymd.month());
  const unsigned d = static_cast<unsigned>(ymd.day());
  if (frac == 0) return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", y, mo, d, h, m, s);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", y, mo, d, h, m, s, frac);
}

Result<Timestamp> parse_rfc3339(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!read_digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' || !read_digits(text, 5, 2, month) ||
      text[7] != '-' || !read_digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != 't' && text[10] != ' ') ||
      !read_digits(text, 11, 2, hour) || text[13] != ':' || !read_digits(text, 14, 2, minute) || text[16] != ':' ||
      !read_digits(text, 17, 2, second)) {
    return bad_time(text, "expected YYYY-MM-DDThh:mm:ss followed by Z or an offset");
  }
  const year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(month)},
                           std::chrono::day{static_cast<unsigned>(day)}};
  if (!ymd.ok()) return bad_time(text, "no such date");
  // 60 is allowed for a leap second and folded into the next minute, as RFC 3339 permits it.
  if (hour > 23 || minute > 59 || second > 60) return bad_time(text, "no such time of day");

  size_t pos = 19;
  int64_t frac_ms = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    const size_t digits_start = pos;
    int scale = 100;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      frac_ms += (text[pos] - '0') * scale;  // digits past the third have scale 0: truncated
      scale /= 10;
      ++pos;
    }
    if (pos == digits_start) return bad_time(text, "a '.' must be followed by digits");
  }
  int64_t offset_min = 0;
  if (pos < text.size() && (text[pos] == 'Z' || text[pos] == 'z')) {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    int oh = 0, om = 0;
    if (!read_digits(text, pos + 1, 2, oh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !read_digits(text, pos + 4, 2, om) || oh > 23 || om > 59) {
      return bad_time(text, "the offset must look like +01:00");
    }
    offset_min = (text[pos] == '+' ? 1 : -1) * (oh * 60 + om);
    pos += 6;
  } else {
    return bad_time(text, "missing the time zone: end with Z or an offset like +01:00");
  }
  if (pos != text.size()) return bad_time(text, "unexpected characters after the time");

  const Timestamp midnight{std::chrono::time_point_cast<Millis>(sys_days{ymd})};
  return midnight + Millis{((hour * 60 + minute) * 60 + second) * 1000LL + frac_ms} -
         Millis{offset_min * kMinute.count()};
}

Result<Timestamp> parse_timestamp(std::string_view text) {
  if (!text.empty() && text.find_first_not_of("0123456789") == std::string_view::npos) {
    int64_t ms = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), ms);
    if (ec != std::errc{} || end != text.data() + text.size()) {
      return InvalidArgument(fmt::format("'{}' is too large for unix milliseconds", bounded_echo(text)));
    }
    return from_unix_ms(ms);
  }
  return parse_rfc3339(text);
}

Result<Millis> parse_duration(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgument(
        fmt::format("'{}' is not a duration ({}); examples: 30d, 6h, 1h30m, 10s", bounded_echo(text), why));
  };
  if (text.empty()) return bad("it is empty");
  Millis total{0};
  size_t pos = 0;
  size_t last_unit = kUnits.size();  // index into kUnits; units must strictly decrease
  while (pos < text.size()) {
    // from_chars would take a sign: "2d-1h" must not quietly mean 1d23h.
    if (text[pos] == '-' || text[pos] == '+')
      return bad("a duration has no signs: each part is a whole number and a unit");
    int64_t n = 0;
    const auto [num_end, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), n);
    if (ec != std::errc{} || num_end == text.data() + pos) return bad("expected a whole number");
    pos = static_cast<size_t>(num_end - text.data());
    size_t unit = kUnits.size();
    for (size_t i = 0; i < kUnits.size(); ++i) {
      if (text.substr(pos, kUnits[i].suffix.size()) == kUnits[i].suffix) {
        unit = i;
        break;
      }
    }
    if (unit == kUnits.size()) return bad("expected a unit: ms, s, m, h, d, w or y");
    if (last_unit != kUnits.size() && unit >= last_unit) return bad("units must go from largest to smallest");
    last_unit = unit;
    pos += kUnits[unit].suffix.size();
    constexpr int64_t kMax = int64_t{1} << 50;  // ~35,000 years; far from overflow
    if (n > kMax / kUnits[unit].length.count()) return bad("it is too long");
    total += n * kUnits[unit].length;
    if (total.count() > kMax) return bad("it is too long");
  }
  if (total.count() <= 0) return bad("it must be longer than zero");
  return total;
}

std::string format_duration(Millis d) {
  if (d.count() == 0) return "0s";
  std::string out;
  int64_t rest = d.count();
  if (rest < 0) {
    out += '-';
    rest = -rest;
  }
  // Days are the largest unit written: "7d" reads better than "1w" in a window name.
  for (const DurationUnit u : {kUnits[4], kUnits[3], kUnits[2], kUnits[1], kUnits[0]}) {
    const int64_t n = rest / u.length.count();
    if (n != 0) {
      out += fmt::format("{}{}", n, u.suffix);
      rest -= n * u.length.count();
    }
  }
  return out;
}

}  // namespace budgetd
