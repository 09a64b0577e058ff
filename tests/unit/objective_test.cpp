#include "budgetd/config/objective.h"

#include <gtest/gtest.h>

namespace budgetd::config {
namespace {

TEST(Objective, ParsesPercentagesExactly) {
  EXPECT_EQ(Objective::parse("99.9").value().nanopercent(), 99'900'000'000);
  EXPECT_EQ(Objective::parse("99.9").value().budget_nanopercent(), 100'000'000);
  EXPECT_EQ(Objective::parse("95").value().budget_ratio(), 0.05);
  EXPECT_EQ(Objective::parse("99.999999999").value().budget_nanopercent(), 1);
  EXPECT_EQ(Objective::parse("99.9").value().percent(), 99.9);
  EXPECT_EQ(Objective::parse("99.9").value().max_burn_rate(), 1000.0);
  EXPECT_EQ(Objective::parse("99.95").value().to_string(), "99.95");
  EXPECT_EQ(Objective::parse("90").value().to_string(), "90");
}

TEST(Objective, RejectsOutOfRangeAndNonNumbers) {
  for (const char* bad : {"0", "100", "100.0", "101", "-1", "abc", "99.9%", "", ".5", "99.9999999999", "1e2"}) {
    EXPECT_FALSE(Objective::parse(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace budgetd::config
