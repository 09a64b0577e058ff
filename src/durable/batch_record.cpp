#include "budgetd/durable/batch_record.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "encoding.h"

namespace budgetd::durable {

namespace {
constexpr uint8_t kNoIdempotency = 0;
constexpr uint8_t kHasIdempotency = 1;
// Format 2 opens with 0x80 0x00, a varint zero in two bytes: format 1 opens with its SLO count,
// which put_varint always writes in its shortest form, so no format 1 record starts this way.
// Format 3 opens the same way, with its own number.
constexpr std::string_view kFormat2Marker("\x80\x00", 2);
constexpr uint64_t kFormat = 2;
constexpr uint64_t kFormatByDictionary = 3;
// Far above any bucket index (unix ms / 10,000), and below what int64_t holds.
constexpr uint64_t kMaxBucket = uint64_t{1} << 62;

// The pieces every format writes the same way.
void put_marker(std::string& out, uint64_t format) {
  out.append(kFormat2Marker);
  put_varint(out, format);
}
void put_slo(std::string& out, std::string_view name, uint64_t identity_hash) {
  put_bytes(out, name);
  put_u64(out, identity_hash);
}
// A delta of formats 1 and 2 (plain and attributed): its ref, bucket, good and total.
void put_delta(std::string& out, uint64_t ref, int64_t bucket, uint64_t good, uint64_t total) {
  put_varint(out, ref);
  put_varint(out, static_cast<uint64_t>(bucket));
  put_varint(out, good);
  put_varint(out, total);
}

// The attribution part of formats 2 and 3: label names per SLO ref, values per label, then
// deltas. `ref_of(slo)`: the record's ref of a set index, or nullopt when the record has no plain
// delta of that SLO (then nothing of it is recorded).
template <typename RefOf>
void put_attributed(std::string& out, const store::AttributedDeltas& a, const store::SloSet& set, const RefOf& ref_of) {
  std::unordered_map<uint64_t, uint32_t> label_ref;   // (set slo << 32 | label) -> record label
  std::vector<std::pair<uint32_t, uint32_t>> labels;  // record label -> (set slo, label)
  std::unordered_map<uint64_t, uint32_t> value_ref;   // (record label << 32 | batch value) -> record value
  std::vector<std::pair<uint32_t, uint32_t>> values;  // record value -> (record label, batch value)
  std::vector<uint32_t> delta_value(a.deltas.size(), UINT32_MAX);
  size_t kept = 0;
  for (size_t i = 0; i < a.deltas.size(); ++i) {
    const store::AttributedDelta& d = a.deltas[i];
    if (!ref_of(d.slo)) continue;
    ++kept;
    const auto [l, fresh] = label_ref.emplace(uint64_t{d.slo} << 32 | d.label, static_cast<uint32_t>(labels.size()));
    if (fresh) labels.emplace_back(d.slo, d.label);
    const auto [v, vfresh] =
        value_ref.emplace(uint64_t{l->second} << 32 | d.value, static_cast<uint32_t>(values.size()));
    if (vfresh) values.emplace_back(l->second, d.value);
    delta_value[i] = v->second;
  }
  put_varint(out, labels.size());
  for (const auto& [slo, label] : labels) {
    put_varint(out, *ref_of(slo));
    put_bytes(out, set.slos()[slo].spec->attribution.labels[label]);
  }
  put_varint(out, values.size());
  for (const auto& [label, value] : values) {
    put_varint(out, label);
    put_bytes(out, a.value(value));
  }
  put_varint(out, kept);
  for (size_t i = 0; i < a.deltas.size(); ++i) {
    if (delta_value[i] != UINT32_MAX)
      put_delta(out, delta_value[i], a.deltas[i].bucket, a.deltas[i].good, a.deltas[i].total);
  }
}

Status read_attributed(Reader& r, BatchRecord& rec) {
  const uint64_t n_labels = r.varint();
  if (!r.ok() || n_labels > r.remaining() / 2) return DataLoss("batch record: bad attributed label count");
  for (uint64_t i = 0; i < n_labels && r.ok(); ++i) {
    const uint64_t slo = r.varint();
    std::string label(r.bytes());
    // Format 3's index is checked against the dictionary where the record is applied.
    if (rec.by_dictionary ? slo > UINT32_MAX : slo >= rec.slos.size())
      return DataLoss("batch record: an attributed label of no SLO");
    rec.labels.push_back({static_cast<uint32_t>(slo), std::move(label)});
  }
  const uint64_t n_values = r.varint();
  if (!r.ok() || n_values > r.remaining() / 2) return DataLoss("batch record: bad attributed value count");
  for (uint64_t i = 0; i < n_values && r.ok(); ++i) {
    const uint64_t label = r.varint();
    std::string value(r.bytes());
    if (label >= rec.labels.size()) return DataLoss("batch record: a value of no attributed label");
    rec.values.push_back({static_cast<uint32_t>(label), std::move(value)});
  }
  const uint64_t n_deltas = r.varint();
  if (!r.ok() || n_deltas > r.remaining() / 4) return DataLoss("batch record: bad attributed delta count");
  for (uint64_t i = 0; i < n_deltas && r.ok(); ++i) {
    BatchRecord::ValueDelta d{};
    const uint64_t value = r.varint();
    d.value = static_cast<uint32_t>(value);
    d.bucket = static_cast<int64_t>(r.varint());
    d.good = r.varint();
    d.total = r.varint();
    if (value >= rec.values.size() || d.good > d.total || d.bucket < 0)
      return DataLoss("batch record: bad attributed delta");
    rec.value_deltas.push_back(d);
  }
  return Status::Ok();
}

void put_idempotency(std::string& out, const IdempotentAnswer* idempotency) {
  if (idempotency == nullptr) {
    out.push_back(static_cast<char>(kNoIdempotency));
    return;
  }
  out.push_back(static_cast<char>(kHasIdempotency));
  put_bytes(out, idempotency->key);
  put_u64(out, idempotency->body_hash);
  put_bytes(out, idempotency->answer);
  put_u64(out, static_cast<uint64_t>(to_unix_ms(idempotency->received)));
}

// A count, then that many (name, identity hash) pairs: formats 1 and 2 and the dictionary. The
// count is checked against the fewest bytes an entry takes (a name length and its hash), so a
// bad count cannot reserve many times the payload's size.
Status read_slos(Reader& r, std::vector<BatchRecord::Slo>& slos, const char* what) {
  const uint64_t n = r.varint();
  if (!r.ok() || n > r.remaining() / 9) return DataLoss(std::string(what) + ": bad SLO count");
  slos.reserve(n);
  for (uint64_t i = 0; i < n && r.ok(); ++i) {
    std::string name(r.bytes());
    const uint64_t hash = r.u64();
    slos.push_back({std::move(name), hash});
  }
  return Status::Ok();
}

Status read_idempotency(Reader& r, BatchRecord& rec) {
  const uint8_t flag = r.u8();
  if (flag == kNoIdempotency) return Status::Ok();
  if (flag != kHasIdempotency) return DataLoss("batch record: bad idempotency flag");
  IdempotentAnswer a;
  a.key = std::string(r.bytes());
  a.body_hash = r.u64();
  a.answer = std::string(r.bytes());
  a.received = from_unix_ms(static_cast<int64_t>(r.u64()));
  rec.idempotency = std::move(a);
  return Status::Ok();
}

// Format 3: SLOs by dictionary index, buckets as offsets from the record's least bucket, and
// each count as its total and its bad events (most deltas of a spread batch count one event:
// four varints of one byte each, plus the index).
std::string encode_by_dictionary(std::span<const store::BucketDelta> deltas, const store::SloSet& set,
                                 const IdempotentAnswer* idempotency, const store::AttributedDeltas* attributed) {
  int64_t base = deltas.empty() ? 0 : deltas.front().bucket;
  for (const auto& d : deltas) base = std::min(base, d.bucket);
  std::string out;
  out.reserve(16 + deltas.size() * 6);
  put_marker(out, kFormatByDictionary);
  put_varint(out, static_cast<uint64_t>(base));
  put_varint(out, deltas.size());
  for (const auto& d : deltas) {
    put_varint(out, d.slo);
    put_varint(out, static_cast<uint64_t>(d.bucket - base));
    put_varint(out, d.total);
    put_varint(out, d.total - d.good);
  }
  put_idempotency(out, idempotency);
  if (attributed == nullptr || attributed->empty()) {
    put_attributed(out, store::AttributedDeltas{}, set, [](uint32_t) { return std::optional<uint32_t>(); });
  } else {
    std::vector<bool> has_delta(set.slos().size(), false);
    for (const auto& d : deltas) has_delta[d.slo] = true;
    put_attributed(out, *attributed, set,
                   [&](uint32_t slo) { return has_delta[slo] ? std::optional<uint32_t>(slo) : std::nullopt; });
  }
  return out;
}

Status read_by_dictionary(Reader& r, BatchRecord& rec) {
  rec.by_dictionary = true;
  const uint64_t base = r.varint();
  const uint64_t n_deltas = r.varint();
  if (!r.ok() || n_deltas > r.remaining() / 4) return DataLoss("batch record: bad delta count");
  rec.deltas.reserve(n_deltas);
  for (uint64_t i = 0; i < n_deltas && r.ok(); ++i) {
    BatchRecord::Delta d{};
    const uint64_t slo = r.varint();
    const uint64_t offset = r.varint();
    d.total = r.varint();
    const uint64_t bad = r.varint();
    if (slo > UINT32_MAX || bad > d.total || base > kMaxBucket || offset > kMaxBucket - base)
      return DataLoss("batch record: bad delta");
    d.slo = static_cast<uint32_t>(slo);
    d.bucket = static_cast<int64_t>(base + offset);
    d.good = d.total - bad;
    rec.deltas.push_back(d);
  }
  BUDGETD_RETURN_IF_ERROR(read_idempotency(r, rec));
  return read_attributed(r, rec);
}

// Formats 1 and 2 from a decoded record that names its SLOs.
std::string encode_named(const BatchRecord& rec) {
  const bool format2 = !rec.labels.empty() || !rec.values.empty() || !rec.value_deltas.empty();
  std::string out;
  if (format2) put_marker(out, kFormat);
  put_varint(out, rec.slos.size());
  for (const auto& s : rec.slos) put_slo(out, s.name, s.identity_hash);
  put_varint(out, rec.deltas.size());
  for (const auto& d : rec.deltas) put_delta(out, d.slo, d.bucket, d.good, d.total);
  put_idempotency(out, rec.idempotency ? &*rec.idempotency : nullptr);
  if (!format2) return out;
  put_varint(out, rec.labels.size());
  for (const auto& l : rec.labels) {
    put_varint(out, l.slo);
    put_bytes(out, l.label);
  }
  put_varint(out, rec.values.size());
  for (const auto& v : rec.values) {
    put_varint(out, v.label);
    put_bytes(out, v.value);
  }
  put_varint(out, rec.value_deltas.size());
  for (const auto& d : rec.value_deltas) put_delta(out, d.value, d.bucket, d.good, d.total);
  return out;
}

}  // namespace

std::string encode_batch(std::span<const store::BucketDelta> deltas, const store::SloSet& set,
                         const IdempotentAnswer* idempotency, const store::AttributedDeltas* attributed,
                         SloNaming naming) {
  if (naming == SloNaming::kByDictionary) return encode_by_dictionary(deltas, set, idempotency, attributed);
  const bool format2 = attributed != nullptr && !attributed->empty();
  // The SLOs the deltas touch, in first-seen order, each written once.
  std::vector<uint32_t> refs;  // record-local ref -> set index
  std::unordered_map<uint32_t, uint32_t> ref_of;
  for (const auto& d : deltas) {
    if (ref_of.emplace(d.slo, static_cast<uint32_t>(refs.size())).second) refs.push_back(d.slo);
  }
  std::string out;
  out.reserve(16 + refs.size() * 40 + deltas.size() * 16 + (format2 ? attributed->deltas.size() * 16 : 0));
  if (format2) put_marker(out, kFormat);
  put_varint(out, refs.size());
  for (const uint32_t i : refs) put_slo(out, set.slos()[i].spec->name, set.slos()[i].identity_hash);
  put_varint(out, deltas.size());
  for (const auto& d : deltas) put_delta(out, ref_of[d.slo], d.bucket, d.good, d.total);
  put_idempotency(out, idempotency);
  if (format2) {
    put_attributed(out, *attributed, set, [&](uint32_t slo) {
      const auto it = ref_of.find(slo);
      return it == ref_of.end() ? std::nullopt : std::optional<uint32_t>(it->second);
    });
  }
  return out;
}

Result<BatchRecord> decode_batch(std::string_view payload) {
  const bool marked = payload.substr(0, 2) == kFormat2Marker;
  Reader r(payload.substr(marked ? 2 : 0));
  const uint64_t format = marked ? r.varint() : 1;
  BatchRecord rec;
  if (format == kFormatByDictionary) {
    BUDGETD_RETURN_IF_ERROR(read_by_dictionary(r, rec));
    if (!r.ok() || !r.at_end()) return DataLoss("batch record: truncated or trailing bytes");
    return rec;
  }
  // Behind the marker only formats 2 and 3: no format 1 payload starts with it.
  if (marked ? format != kFormat : format != 1) return DataLoss("batch record: a format this build does not read");
  // Counts are checked against the fewest bytes their entries take (an SLO: a name length and
  // its hash; a delta: four varints), so a bad count cannot reserve many times the record's size.
  BUDGETD_RETURN_IF_ERROR(read_slos(r, rec.slos, "batch record"));
  const uint64_t n_deltas = r.varint();
  if (!r.ok() || n_deltas > r.remaining() / 4) return DataLoss("batch record: bad delta count");
  rec.deltas.reserve(n_deltas);
  for (uint64_t i = 0; i < n_deltas && r.ok(); ++i) {
    BatchRecord::Delta d{};
    const uint64_t slo = r.varint();
    d.slo = static_cast<uint32_t>(slo);
    d.bucket = static_cast<int64_t>(r.varint());
    d.good = r.varint();
    d.total = r.varint();
    if (slo >= rec.slos.size() || d.good > d.total || d.bucket < 0) return DataLoss("batch record: bad delta");
    rec.deltas.push_back(d);
  }
  BUDGETD_RETURN_IF_ERROR(read_idempotency(r, rec));
  if (format == kFormat) BUDGETD_RETURN_IF_ERROR(read_attributed(r, rec));
  if (!r.ok() || !r.at_end()) return DataLoss("batch record: truncated or trailing bytes");
  return rec;
}

std::string encode_dictionary(const store::SloSet& set) {
  std::string out;
  put_varint(out, set.slos().size());
  for (const store::StoredSlo& s : set.slos()) put_slo(out, s.spec->name, s.identity_hash);
  return out;
}

Result<std::vector<BatchRecord::Slo>> decode_dictionary(std::string_view payload) {
  Reader r(payload);
  std::vector<BatchRecord::Slo> slos;
  BUDGETD_RETURN_IF_ERROR(read_slos(r, slos, "SLO dictionary"));
  if (!r.ok() || !r.at_end()) return DataLoss("SLO dictionary: truncated or trailing bytes");
  return slos;
}

Result<std::string> by_name(std::string_view payload, std::span<const BatchRecord::Slo> dictionary) {
  BUDGETD_ASSIGN_OR_RETURN(BatchRecord rec, decode_batch(payload));
  if (!rec.by_dictionary) return std::string(payload);
  // The dictionary's SLOs the record uses become its own, in first-seen order.
  std::unordered_map<uint32_t, uint32_t> ref_of;
  const auto ref = [&](uint32_t slo) -> Result<uint32_t> {
    if (slo >= dictionary.size()) return DataLoss("batch record: an SLO index past the log's dictionary");
    const auto [it, fresh] = ref_of.emplace(slo, static_cast<uint32_t>(rec.slos.size()));
    if (fresh) rec.slos.push_back(dictionary[slo]);
    return it->second;
  };
  for (auto& d : rec.deltas) {
    BUDGETD_ASSIGN_OR_RETURN(d.slo, ref(d.slo));
  }
  for (auto& l : rec.labels) {
    BUDGETD_ASSIGN_OR_RETURN(l.slo, ref(l.slo));
  }
  rec.by_dictionary = false;
  return encode_named(rec);
}

}  // namespace budgetd::durable
