#pragma once
// Exact window semantics (DESIGN.md §3), shared by config validation, the store and the
// evaluator so that all three agree on every bucket.
//
// Counts are kept in buckets at a few fixed resolutions. A window of length W uses the
// resolution r = resolution_for(W), and evaluated at time t it covers exactly
//
//     end   = floor(t / r) * r + r      (the bucket holding t is included)
//     start = end - W                   (W must be a multiple of r)
//
// i.e. the events with start <= ts < end.
//
// The ladder (W up to 1h: 10s buckets, up to 6h: 1m, up to 3d: 5m, longer: 1h) keeps every
// window at <= 864 buckets, which bounds both memory per SLO and the cost of evaluating it.

#include <array>

#include "budgetd/core/time.h"

namespace budgetd {

inline constexpr Millis kFinestResolution = 10 * kSecond;
inline constexpr std::array<Millis, 4> kResolutions{10 * kSecond, kMinute, 5 * kMinute, kHour};

constexpr Millis resolution_for(Millis window) {
  if (window <= kHour) return 10 * kSecond;
  if (window <= 6 * kHour) return kMinute;
  if (window <= 3 * kDay) return 5 * kMinute;
  return kHour;
}

// Index of the bucket of resolution r holding t.
constexpr int64_t bucket_index(Timestamp t, Millis r) { return floor_div(to_unix_ms(t), r.count()); }

struct WindowBounds {
  Timestamp start;  // inclusive
  Timestamp end;    // exclusive
  Millis resolution;

  int64_t first_bucket() const { return bucket_index(start, resolution); }
  int64_t end_bucket() const { return bucket_index(end, resolution); }  // one past the last
};

// REQUIRES: window is a positive multiple of resolution_for(window).
constexpr WindowBounds window_bounds(Millis window, Timestamp t) {
  const Millis r = resolution_for(window);
  const Timestamp end = from_unix_ms((bucket_index(t, r) + 1) * r.count());
  return {end - window, end, r};
}

}  // namespace budgetd
