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

double allowed_bad(const store::Counts& c, const Objective& o) {
  return static_cast<double>(static_cast<long double>(c.total) * static_cast<long double>(o.budget_nanopercent()) /
                             static_cast<long double>(Objective::kScale));
}

}  // namespace budgetd::eval
