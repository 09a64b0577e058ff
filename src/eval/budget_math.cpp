#include "budgetd/eval/budget_math.h"

namespace budgetd::eval {

using config::Objective;

double error_ratio(const store::Counts& c) {
  if (c.total == 0) return 0.0;
  return static_cast<double>(static_cast<long double>(c.bad()) / static_cast<long double>(c.total));
}

double sli_ratio(const store::Counts& c) {
  if (c.total == 0) return 1.0;
  return static_cast<double>(static_cast<long double>(c.good) / static_cast<long double>(c.total));
}

double burn_rate(const store::Counts& c, const Objective& o) {
  if (c.total == 0) return 0.0;
  // bad * scale / (total * budget): one rounding in long double (64-bit mantissa) and one to
  // double, instead of the error of 1 - 0.999 computed in binary.
  const long double num = static_cast<long double>(c.bad()) * static_cast<long double>(Objective::kScale);
  const long double den = static_cast<long double>(c.total) * static_cast<long double>(o.budget_nanopercent());
  return static_cast<double>(num / den);
}

bool budget_left_above(const store::Counts& c, const Objective& o, int64_t above) {
  constexpr int64_t kScale = Objective::kScale;
  if (above >= kScale) return false;  // nothing is above 100 %
  if (c.total == 0) return true;      // no data: the whole budget is left
  // left > above / S  <=>  1 - bad * S / (total * B) > above / S
  //                   <=>  bad * S * S < total * B * (S - above)        (S = 1e11, B = budget)
  // In 128 bits while total < 2^50: bad * S^2 < 2^50 * 2^73.1 and total * B * (S - above) <
  // 2^50 * 2^36.6 * 2^40.1 (above >= -1000 %). Beyond that (10^15 events in one window) long
  // double's 64-bit mantissa is finer than any count.
  const uint64_t margin = static_cast<uint64_t>(kScale - above);
  const auto budget = static_cast<uint64_t>(o.budget_nanopercent());
  if (c.total < (uint64_t{1} << 50) && margin <= 2 * static_cast<uint64_t>(10 * kScale)) {
    const Uint128 s = static_cast<Uint128>(kScale);
    return static_cast<Uint128>(c.bad()) * s * s < static_cast<Uint128>(c.total) * budget * margin;
  }
  const long double s = static_cast<long double>(kScale);
  return static_cast<long double>(c.bad()) * s * s <
         static_cast<long double>(c.total) * static_cast<long double>(budget) * static_cast<long double>(margin);
}

double allowed_bad(const store::Counts& c, const Objective& o) {
  return static_cast<double>(static_cast<long double>(c.total) * static_cast<long double>(o.budget_nanopercent()) /
                             static_cast<long double>(Objective::kScale));
}

uint64_t events_for_one_bad_event(const config::Objective& o) {
  const auto budget = static_cast<uint64_t>(o.budget_nanopercent());  // > 0: objectives are below 100 %
  const auto scale = static_cast<uint64_t>(config::Objective::kScale);
  return (scale + budget - 1) / budget;
}

}  // namespace budgetd::eval
