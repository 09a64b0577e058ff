#pragma once
// OTLP/HTTP metrics (POST /otlp/v1/metrics) as counts for SLOs whose `source.otlp` names them:
// monotonic Sums (delta points added as they are, cumulative ones differenced per series by
// counter_ledger.h, a new start time being a reset) and, for latency SLIs, Histograms: the
// buckets up to the explicit bound equal to threshold_ms (in the metric's unit, ms or s) are
// good, the count is the total. A histogram point without that bound is rejected, naming its
// bounds.
//
// Thread safety: a free function; `out` is the caller's.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/inputs/counter_ledger.h"
#include "budgetd/inputs/counter_routes.h"
#include "budgetd/inputs/otlp_traces.h"

namespace budgetd::inputs {

struct MetricsTally {
  uint32_t points = 0;
  uint32_t rejected = 0;  // points that cannot be counted (no bound at the threshold, not monotonic)
  std::string first_error;
};

[[nodiscard]] std::optional<std::string> decode_otlp_metrics(std::string_view body, Encoding encoding,
                                                             const CounterRoutes& routes, std::vector<SeriesInput>& out,
                                                             MetricsTally& tally);

// The ExportMetricsServiceResponse, in the request's encoding.
std::string metrics_response(Encoding encoding, int64_t rejected, std::string_view message);

}  // namespace budgetd::inputs
