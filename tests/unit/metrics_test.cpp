#include "budgetd/metrics/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace budgetd::metrics {
namespace {

using ::testing::HasSubstr;

TEST(Registry, RendersPrometheusText) {
  Registry r;
  r.counter("budgetd_x_total", "Things", {{"reason", "a\"b\\c\nd"}}).inc(3);
  r.counter("budgetd_x_total", "Things", {{"reason", "plain"}}).inc();
  r.gauge("budgetd_g", "A gauge").set(1.5);
  Histogram& h = r.histogram("budgetd_h_seconds", "Latency", {{"route", "/x"}}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  r.add_collector([](Exposition& ex) {
    ex.family("budgetd_c", "gauge", "Collected");
    ex.sample("budgetd_c", {{"slo", "s"}}, 0.25);
  });
  const std::string text = r.render();
  EXPECT_THAT(text, HasSubstr("# HELP budgetd_x_total Things\n# TYPE budgetd_x_total counter\n"));
  EXPECT_THAT(text, HasSubstr("budgetd_x_total{reason=\"a\\\"b\\\\c\\nd\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("budgetd_x_total{reason=\"plain\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE budgetd_g gauge\nbudgetd_g 1.5\n"));
  EXPECT_THAT(text, HasSubstr("budgetd_h_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("budgetd_h_seconds_bucket{route=\"/x\",le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("budgetd_h_seconds_bucket{route=\"/x\",le=\"+Inf\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("budgetd_h_seconds_sum{route=\"/x\"} 5.55\n"));
  EXPECT_THAT(text, HasSubstr("budgetd_h_seconds_count{route=\"/x\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE budgetd_c gauge\nbudgetd_c{slo=\"s\"} 0.25\n"));
}

TEST(Registry, SameNameAndLabelsIsTheSameMetric) {
  Registry r;
  Counter& a = r.counter("c_total", "h", {{"k", "v"}});
  Counter& b = r.counter("c_total", "h", {{"k", "v"}});
  EXPECT_EQ(&a, &b);
}

}  // namespace
}  // namespace budgetd::metrics
