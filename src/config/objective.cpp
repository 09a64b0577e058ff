#include "budgetd/config/objective.h"

#include <fmt/format.h>

namespace budgetd::config {

Result<Objective> Objective::parse(std::string_view text) {
  const auto bad = [&](std::string_view why) {
    return InvalidArgument(fmt::format("objective '{}' {}; write a percentage such as 99.9", text, why));
  };
  int64_t whole = 0;
  int64_t frac = 0;
  int frac_digits = 0;
  size_t pos = 0;
  while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
    whole = whole * 10 + (text[pos] - '0');
    if (whole > 100) return bad("must be below 100");
    ++pos;
  }
  if (pos == 0) return bad("is not a number");
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++frac_digits > 9) return bad("has more than nine decimal places");
      frac = frac * 10 + (text[pos] - '0');
      ++pos;
    }
  }
  if (pos != text.size()) return bad("is not a number");
  for (int i = frac_digits; i < 9; ++i) frac *= 10;
  const int64_t np = whole * 1'000'000'000 + frac;
  if (np <= 0 || np >= kScale) return bad("must be above 0 and below 100");
  return Objective{np};
}

std::string Objective::to_string() const {
  std::string s = fmt::format("{}.{:09}", np_ / 1'000'000'000, np_ % 1'000'000'000);
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

}  // namespace budgetd::config
