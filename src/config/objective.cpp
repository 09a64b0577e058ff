#include "budgetd/config/objective.h"

#include <fmt/format.h>

namespace budgetd::config {

Result<int64_t> parse_nanopercent(std::string_view text, int64_t max_whole) {
  const bool negative = !text.empty() && text[0] == '-';
  int64_t whole = 0;
  int64_t frac = 0;
  int frac_digits = 0;
  size_t pos = negative ? 1 : 0;
  const size_t digits_from = pos;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    whole = whole * 10 + (text[pos] - '0');
    if (whole > max_whole) return OutOfRange(fmt::format("must be within ±{}", max_whole));
    ++pos;
  }
  if (pos == digits_from) return InvalidArgument("is not a number");
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++frac_digits > 9) return InvalidArgument("has more than nine decimal places");
      frac = frac * 10 + (text[pos] - '0');
      ++pos;
    }
  }
  if (pos != text.size()) return InvalidArgument("is not a number");
  for (int i = frac_digits; i < 9; ++i) frac *= 10;
  const int64_t np = whole * 1'000'000'000 + frac;
  return negative ? -np : np;
}

Result<Objective> Objective::parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgument(fmt::format("objective '{}' {}; write a percentage such as 99.9", text, why));
  };
  if (!text.empty() && text[0] == '-') return bad("must be above 0 and below 100");
  auto np = parse_nanopercent(text, 100);
  if (!np.ok()) return bad(np.status().code() == StatusCode::kOutOfRange ? "must be below 100" : np.status().message());
  if (*np <= 0 || *np >= kScale) return bad("must be above 0 and below 100");
  return Objective{*np};
}

std::string Objective::to_string() const {
  std::string s = fmt::format("{}.{:09}", np_ / 1'000'000'000, np_ % 1'000'000'000);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace budgetd::config
