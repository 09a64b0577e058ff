#pragma once
// The sums of many windows of one series, for the history (history.h): each ring is read once
// over the span every point needs, into prefix sums, and each point's window is then two
// lookups. The reads are those BucketRing::sum and scan make, and under the timeslice methods
// each bucket is judged by count_slice, the rule evaluate_budget applies, so a point's figures
// are the status's. Private to the eval module.
//
//   HistorySums sums(series, spec.budgeting);
//   sums.need({kHour, first, end}, /*slices=*/false);   // every span first
//   sums.load();
//   store::BucketSum s = sums.sum({kHour, first, end}, nullptr);
//
// Thread safety: one per history request; only reads the store.

#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/eval/budget.h"
#include "budgetd/store/slo_series.h"

namespace budgetd::eval {

// Buckets [first, end) of the ring at `resolution`.
struct BucketSpan {
  Millis resolution{0};
  int64_t first = 0;
  int64_t end = 0;
};

class HistorySums {
 public:
  HistorySums(const store::SloSeries& series, const config::BudgetingSpec& budgeting)
      : series_(series), budgeting_(budgeting) {}

  // Widens what load() reads of the span's ring; `slices`: judge its buckets as slices too.
  // REQUIRES: the series has a ring at s.resolution; before load().
  void need(const BucketSpan& s, bool slices);
  void load();
  // The sum of a span given to need(), and (when `slices` is set) its buckets as slices.
  store::BucketSum sum(const BucketSpan& s, SliceReport* slices) const;

 private:
  struct Prefix {  // of the loaded buckets before this one
    uint64_t good = 0;
    uint64_t total = 0;
    uint32_t nonempty = 0;
    uint32_t expired = 0;
    uint32_t saturated = 0;
    SliceReport slices;  // empty, nonempty, bad, ratio_sum (when judged)
  };
  struct Loaded {
    Millis resolution{0};
    int64_t first = 0;  // bucket of prefix[0]
    int64_t end = 0;
    bool slices = false;
    std::vector<Prefix> prefix;  // end - first + 1 entries
  };
  const Loaded& loaded(Millis resolution) const;

  const store::SloSeries& series_;
  const config::BudgetingSpec& budgeting_;
  std::vector<Loaded> loaded_;  // one per ring read
};

}  // namespace budgetd::eval
