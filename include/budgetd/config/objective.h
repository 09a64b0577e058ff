#pragma once
// An SLO objective held exactly as the decimal percentage it was written as, so that the error
// budget of 99.9 % is exactly 1/1000 and a burn rate of 14.4 comes out as 14.4, not 14.3999...
//
//   Objective o = Objective::parse("99.9").value();
//   o.ratio();          // 0.999
//   o.budget_ratio();   // 0.001

#include <cstdint>
#include <string>
#include <string_view>

#include "budgetd/core/status.h"

namespace budgetd::config {

// "-12.5" -> -12'500'000'000: a plain decimal percentage as an exact integer of 1e-9 percent.
// InvalidArgument if it is not one (or has more than nine decimal places); OutOfRange if its
// whole part exceeds max_whole.
Result<int64_t> parse_nanopercent(std::string_view text, int64_t max_whole);

class Objective {
 public:
  // Units of the stored value: 1e-9 percent, so 100 % is 1e11 and up to nine decimal places of a
  // percentage are exact.
  static constexpr int64_t kScale = 100'000'000'000;

  Objective() = default;
  // "99.9" (a percentage), 0 < x < 100, at most nine decimal places.
  static Result<Objective> parse(std::string_view percent);
  static Objective from_nanopercent(int64_t np) { return Objective{np}; }

  int64_t nanopercent() const { return np_; }
  // The budget as a fraction of kScale: 1e8 for 99.9 %.
  int64_t budget_nanopercent() const { return kScale - np_; }
  double ratio() const { return static_cast<double>(np_) / static_cast<double>(kScale); }
  double percent() const { return static_cast<double>(np_) / 1e9; }
  double budget_ratio() const { return static_cast<double>(budget_nanopercent()) / static_cast<double>(kScale); }
  // The largest burn rate possible, reached when every event is bad: 1 / (1 - objective).
  double max_burn_rate() const { return static_cast<double>(kScale) / static_cast<double>(budget_nanopercent()); }
  // "99.9"
  std::string to_string() const;

  friend bool operator==(const Objective&, const Objective&) = default;

 private:
  explicit Objective(int64_t np) : np_(np) {}
  int64_t np_ = 0;
};

}  // namespace budgetd::config
