#pragma once
// Which label values burned an SLO's budget (attribution:): exact bad/total counts per value of
// each attributed label over a window, ranked, with the "other" bucket for the values past
// max_values. The parts of a label add up exactly to the SLO's counts over the same window.
//
//   auto c = contributors(stored_slo, start, end, "");   // every attributed label
//   top_contributors_text(*c, 3);  // "endpoint=/pay: 91 % of bad events; region=eu: ..."
//
// Thread safety: reads the rings like evaluate_slo (lock-free, concurrent with ingest).

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/core/status.h"
#include "budgetd/core/time.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::eval {

struct Contributor {
  std::string value;  // the label value, or "other"
  uint64_t bad = 0;
  uint64_t total = 0;
  double error_ratio = 0;   // bad / total (0 when total is 0)
  double share_of_bad = 0;  // bad / the window's bad events (0 when there are none)
  bool other = false;       // the "other" bucket (a real value may also be called "other")
};

struct LabelContributors {
  std::string label;
  uint64_t bad = 0;                 // the window's bad events (== the SLO's)
  uint64_t total = 0;               // the window's events
  std::vector<Contributor> values;  // by bad descending, then value ascending; "other" included
};

// The contributors over [start, end) (snapped outward to the finest bucket the SLO retains for
// that span), for every attributed label, or only `label` when it is not empty. An SLO without
// attribution gives an empty vector. Error (InvalidArgument) when `label` is not attributed or
// the span is not retained; the message says what can be asked.
// Retention is judged as of `end`; a span in the past is better asked with `now` (below).
Result<std::vector<LabelContributors>> contributors(const store::StoredSlo& slo, Timestamp start, Timestamp end,
                                                    std::string_view label);

// "endpoint=/pay: 91 % of bad events" for the `n` largest contributors across all labels (by
// share_of_bad), "; "-joined; empty when there are no bad events.
std::string top_contributors_text(const std::vector<LabelContributors>& c, size_t n = 3);

// --- beyond the issue-15 contract ---

// The span contributors() reads for [start, end) at `now`: the finest attribution ring that
// retains it, and the bounds snapped outward to that ring's buckets.
struct ContributorsSpan {
  Timestamp start;
  Timestamp end;
  Millis resolution;
};
Result<ContributorsSpan> contributors_span(const store::StoredSlo& slo, Timestamp start, Timestamp end, Timestamp now);

// contributors() with retention judged at `now`; `span` (if given) receives what was read.
Result<std::vector<LabelContributors>> contributors(const store::StoredSlo& slo, Timestamp start, Timestamp end,
                                                    std::string_view label, Timestamp now,
                                                    ContributorsSpan* span = nullptr);

// The windows contributors can be asked for (every window the attribution rings keep, e.g.
// "30d, 1h, 6h"), for error messages and the API's 400.
std::string askable_windows(const store::StoredSlo& slo);

}  // namespace budgetd::eval
