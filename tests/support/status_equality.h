#pragma once
// Field-by-field equality of two SloStatus answers, for tests that compare two ways of
// evaluating (the running sums of the evaluation loop against a fresh evaluate_slo).

#include <gtest/gtest.h>

#include "budgetd/eval/slo_status.h"

namespace budgetd::test {

inline void expect_same_window(const eval::WindowReport& a, const eval::WindowReport& b, const std::string& where) {
  EXPECT_EQ(a.name, b.name) << where;
  EXPECT_EQ(a.bounds.start, b.bounds.start) << where << " " << a.name;
  EXPECT_EQ(a.bounds.end, b.bounds.end) << where << " " << a.name;
  EXPECT_EQ(a.counts, b.counts) << where << " " << a.name << ": good " << a.counts.good << "/" << a.counts.total
                                << " vs " << b.counts.good << "/" << b.counts.total;
  EXPECT_EQ(a.saturated, b.saturated) << where << " " << a.name;
  EXPECT_EQ(a.burn_rate, b.burn_rate) << where << " " << a.name;
}

inline void expect_same_status(const eval::SloStatus& a, const eval::SloStatus& b, const std::string& where) {
  ASSERT_EQ(a.windows.size(), b.windows.size()) << where;
  for (size_t i = 0; i < a.windows.size(); ++i) expect_same_window(a.windows[i], b.windows[i], where);
  ASSERT_EQ(a.budgets.size(), b.budgets.size()) << where;
  for (size_t i = 0; i < a.budgets.size(); ++i) {
    const eval::BudgetReport& x = a.budgets[i];
    const eval::BudgetReport& y = b.budgets[i];
    expect_same_window(x.window, y.window, where + " budget");
    EXPECT_EQ(x.consumed, y.consumed) << where << " " << x.window.name;
    EXPECT_EQ(x.sli, y.sli) << where << " " << x.window.name;
    EXPECT_EQ(x.covered_minutes, y.covered_minutes) << where << " " << x.window.name;
    EXPECT_EQ(x.elapsed_minutes, y.elapsed_minutes) << where << " " << x.window.name;
    ASSERT_EQ(x.slices.has_value(), y.slices.has_value()) << where;
    if (x.slices) {
      EXPECT_EQ(x.slices->bad, y.slices->bad) << where;
      EXPECT_EQ(x.slices->nonempty, y.slices->nonempty) << where;
      EXPECT_EQ(x.slices->ratio_sum, y.slices->ratio_sum) << where;
    }
  }
  ASSERT_EQ(a.alerts.size(), b.alerts.size()) << where;
  for (size_t i = 0; i < a.alerts.size(); ++i) {
    expect_same_window(a.alerts[i].long_window, b.alerts[i].long_window, where + " alert");
    expect_same_window(a.alerts[i].short_window, b.alerts[i].short_window, where + " alert");
    EXPECT_EQ(a.alerts[i].firing, b.alerts[i].firing) << where;
  }
  EXPECT_EQ(a.forecast.burn_rate_1h, b.forecast.burn_rate_1h) << where;
  EXPECT_EQ(a.forecast.exhausted_at, b.forecast.exhausted_at) << where;
}

}  // namespace budgetd::test
