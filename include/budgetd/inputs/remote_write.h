#pragma once
// Prometheus remote_write 1.0 (POST /api/v1/write): a snappy-compressed WriteRequest whose
// series budgetd matches against the SLOs' `source.prometheus` selectors.
//
//   std::vector<SeriesInput> series;
//   if (auto bad = decode_remote_write(uncompressed, routes, series, tally)) return answer_400(*bad);
//   ledger.ingest(series, ...);   // counter_ledger.h: increases -> deltas
//
// Thread safety: a free function; `out` is the caller's.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/inputs/counter_ledger.h"
#include "budgetd/inputs/counter_routes.h"

namespace budgetd::inputs {

struct WriteTally {
  uint32_t series = 0;
  uint32_t samples = 0;
  uint32_t unmatched_series = 0;  // no SLO reads them: skipped, not an error
};

// `body` is the uncompressed WriteRequest. Fills `out` with the series some SLO reads; returns
// why the body is not a WriteRequest (nothing filled) when it is not.
[[nodiscard]] std::optional<std::string> decode_remote_write(std::string_view body, const CounterRoutes& routes,
                                                             std::vector<SeriesInput>& out, WriteTally& tally);

}  // namespace budgetd::inputs
