#pragma once
// One SLI event as decoded from a batch (DESIGN.md §2). Strings are views into the decoder's
// buffers, valid until the decoder parses the next batch: decoding allocates nothing per event.

#include <array>
#include <cstdint>
#include <string_view>

#include "budgetd/core/time.h"

namespace budgetd::ingest {

struct Label {
  std::string_view key;
  std::string_view value;
};

inline constexpr uint32_t kMaxLabels = 32;
inline constexpr uint64_t kMaxEventTotal = 0xFFFF'FFFF;  // requests in one pre-aggregated event
inline constexpr size_t kMaxServiceBytes = 256;

struct Event {
  std::string_view service;
  Timestamp ts;

  // "good": true/false for one request.
  bool has_good_flag = false;
  bool good_flag = false;
  // "good" + "total": pre-aggregated counts.
  bool has_counts = false;
  uint64_t good_count = 0;
  uint64_t total_count = 0;
  // "latency_ms": one request's latency.
  bool has_latency = false;
  double latency_ms = 0;

  std::array<Label, kMaxLabels> labels;
  uint32_t label_count = 0;

  // The value of label `key`, or nullptr.
  const std::string_view* label(std::string_view key) const {
    for (uint32_t i = 0; i < label_count; ++i) {
      if (labels[i].key == key) return &labels[i].value;
    }
    return nullptr;
  }
};

}  // namespace budgetd::ingest
