#pragma once
// The payload of a batch record in the write-ahead log: the per-SLO, per-bucket deltas of one
// accepted POST /v1/events batch, and its Idempotency-Key with the first answer. A batch of
// 10,000 events for 3 SLOs is a handful of deltas. docs/storage.md has the byte layout.
//
// Formats 1 and 2 name each SLO by name and identity hash, never by index, so a record stays
// meaningful after a reload or a restart with a different config. Format 3 (the local log of an
// embedded budgetd) names them by their index in the log's SLO dictionary instead: a kDictionary
// record that the log writes at the start of each segment and after each reload, before any
// record that refers to it, with the name and identity hash of every SLO of the set
// (Wal::set_dictionary). An SLO then costs a varint of its index per delta rather than its name
// and hash per record: with batches spread over 1,000 SLOs a delta takes about 5 bytes.

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
  // Formats 1 and 2: the SLOs the record names; Delta::slo and Label::slo index them. Format 3:
  // empty, and those index the dictionary in force where the record is (by_dictionary).
  std::vector<Slo> slos;
  bool by_dictionary = false;
  std::vector<Delta> deltas;
  std::optional<IdempotentAnswer> idempotency;
  std::vector<Label> labels;
  std::vector<Value> values;
  std::vector<ValueDelta> value_deltas;
};

// How a batch record names its SLOs: by name and hash (a record readable anywhere: the cluster's
// stream, and the local log of a replica, whose records go to the stream), or by index in the
// log's dictionary (an embedded budgetd's local log: its records never leave it).
enum class SloNaming { kByName, kByDictionary };

// Encodes the deltas routed with `set` (their .slo indexes are into set.slos()). kByName: format
// 1 when `attributed` is null or empty, else format 2 with the label values. kByDictionary:
// format 3, whose indexes are `set`'s, so the log's dictionary must be encode_dictionary(set).
std::string encode_batch(std::span<const store::BucketDelta> deltas, const store::SloSet& set,
                         const IdempotentAnswer* idempotency, const store::AttributedDeltas* attributed = nullptr,
                         SloNaming naming = SloNaming::kByName);
// Reads all three formats (format 3 as by_dictionary, to be resolved against the dictionary).
Result<BatchRecord> decode_batch(std::string_view payload);

// The payload of a kDictionary record: every SLO of `set`, in index order.
std::string encode_dictionary(const store::SloSet& set);
Result<std::vector<BatchRecord::Slo>> decode_dictionary(std::string_view payload);

// `payload` as a record that names its SLOs (format 1 or 2): unchanged unless it is format 3,
// which is resolved against `dictionary` (DataLoss when it refers past its end). For records an
// embedded budgetd logged that a replica must publish to the cluster's stream.
Result<std::string> by_name(std::string_view payload, std::span<const BatchRecord::Slo> dictionary);

}  // namespace budgetd::durable
