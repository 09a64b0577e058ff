#pragma once
// The one ring scan WindowSums and HistorySums build their prefix sums with (private to eval).
//
//   std::vector<Prefix> prefix;
//   append_prefix_sums(ring, first, end, prefix, [](Prefix& run, store::Counts c) { /* extra */ });
//   // prefix[i] - prefix[j]: the buckets [first + j, first + i), read as BucketRing::sum reads them

#include <cstddef>
#include <cstdint>
#include <vector>

#include "budgetd/store/bucket_ring.h"
#include "budgetd/store/tagged_word.h"

namespace budgetd::eval {

// Appends end - first + 1 prefixes to an empty `prefix`: before bucket `first`, and after each of
// [first, end). Prefix has good, total, nonempty, expired and saturated; `extra(run, counts)` adds
// to it whatever else the caller keeps per bucket. scan() skips expired buckets (and those before
// bucket 0, which sum() does not count as expired): the gaps say which. The running totals live in
// a local; reading each new prefix back from the vector stalled on store forwarding.
template <typename Prefix, typename Extra>
void append_prefix_sums(const store::BucketRing& ring, int64_t first, int64_t end, std::vector<Prefix>& prefix,
                        Extra&& extra) {
  prefix.reserve(static_cast<size_t>(end - first) + 1);
  prefix.push_back({});
  Prefix run;
  int64_t next = first;
  const auto skip_to = [&](int64_t bucket) {
    for (; next < bucket; ++next) {
      if (next >= 0) ++run.expired;
      prefix.push_back(run);
    }
  };
  ring.scan(first, end, [&](int64_t bucket, store::Counts c) {
    skip_to(bucket);
    run.good += c.good;
    run.total += c.total;
    run.nonempty += c.total != 0 ? 1 : 0;
    run.saturated += (c.total == store::tagged::kPayloadMax || c.good == store::tagged::kPayloadMax) ? 1 : 0;
    extra(run, c);
    prefix.push_back(run);
    ++next;
  });
  skip_to(end);
}

}  // namespace budgetd::eval
