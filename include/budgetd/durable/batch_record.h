#pragma once
// The payload of a batch record in the write-ahead log: the per-SLO, per-bucket deltas of one
// accepted POST /v1/events batch, and its Idempotency-Key with the first answer. A batch of
// 10,000 events for 3 SLOs is a handful of deltas. docs/storage.md has the byte layout.
//
// SLOs are named by name and identity hash, never by index, so a record stays meaningful after a
// reload or a restart with a different config.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/core/status.h"
#include "budgetd/core/time.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::durable {

struct IdempotentAnswer {
  std::string key;
  uint64_t body_hash = 0;  // of the request body, to refuse a reused key with another body
  std::string answer;      // the JSON body of the first 200
  Timestamp received{};    // when the first request was accepted
  // The log record that carries it (in memory only): a snapshot takes the keys with seq <= its cut.
  uint64_t seq = 0;

  friend bool operator==(const IdempotentAnswer&, const IdempotentAnswer&) = default;
};

struct BatchRecord {
  struct Slo {
    std::string name;
    uint64_t identity_hash;
    friend bool operator==(const Slo&, const Slo&) = default;
  };
  struct Delta {
    uint32_t slo;  // index into slos
    int64_t bucket;
    uint64_t good;
    uint64_t total;
    friend bool operator==(const Delta&, const Delta&) = default;
  };
  // Format 2 (attribution:): the label values the batch counted, by name, and their deltas.
  struct Label {
    uint32_t slo;  // index into slos
    std::string label;
    friend bool operator==(const Label&, const Label&) = default;
  };
  struct Value {
    uint32_t label;  // index into labels
    std::string value;
    friend bool operator==(const Value&, const Value&) = default;
  };
  struct ValueDelta {
    uint32_t value;  // index into values
    int64_t bucket;
    uint64_t good;
    uint64_t total;
    friend bool operator==(const ValueDelta&, const ValueDelta&) = default;
  };
  std::vector<Slo> slos;
  std::vector<Delta> deltas;
  std::optional<IdempotentAnswer> idempotency;
  std::vector<Label> labels;
  std::vector<Value> values;
  std::vector<ValueDelta> value_deltas;
};

// Encodes the deltas routed with `set` (their .slo indexes are into set.slos()); format 1 when
// `attributed` is null or empty, else format 2 with the label values (docs/storage.md).
std::string encode_batch(std::span<const store::BucketDelta> deltas, const store::SloSet& set,
                         const IdempotentAnswer* idempotency, const store::AttributedDeltas* attributed = nullptr);
// Reads both formats.
Result<BatchRecord> decode_batch(std::string_view payload);

}  // namespace budgetd::durable
