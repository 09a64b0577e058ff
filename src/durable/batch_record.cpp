#include "budgetd/durable/batch_record.h"

#include <unordered_map>

#include "encoding.h"

namespace budgetd::durable {

namespace {
constexpr uint8_t kNoIdempotency = 0;
constexpr uint8_t kHasIdempotency = 1;
// Format 2 opens with 0x80 0x00, a varint zero in two bytes: format 1 opens with its SLO count,
// which put_varint always writes in its shortest form, so no format 1 record starts this way.
constexpr std::string_view kFormat2Marker("\x80\x00", 2);
constexpr uint64_t kFormat = 2;

// The attribution part of format 2: label names per SLO ref, values per label, then deltas.
void put_attributed(std::string& out, const store::AttributedDeltas& a, const store::SloSet& set,
                    std::unordered_map<uint32_t, uint32_t>& ref_of) {
  std::unordered_map<uint64_t, uint32_t> label_ref;   // (set slo << 32 | label) -> record label
  std::vector<std::pair<uint32_t, uint32_t>> labels;  // record label -> (set slo, label)
  std::unordered_map<uint64_t, uint32_t> value_ref;   // (record label << 32 | batch value) -> record value
  std::vector<std::pair<uint32_t, uint32_t>> values;  // record value -> (record label, batch value)
  std::vector<uint32_t> delta_value(a.deltas.size(), UINT32_MAX);
  size_t kept = 0;
  for (size_t i = 0; i < a.deltas.size(); ++i) {
    const store::AttributedDelta& d = a.deltas[i];
    if (!ref_of.contains(d.slo)) continue;  // its SLO has no plain delta: nothing of it is recorded
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
    put_varint(out, ref_of.at(slo));
    put_bytes(out, set.slos()[slo].spec->attribution.labels[label]);
  }
  put_varint(out, values.size());
  for (const auto& [label, value] : values) {
    put_varint(out, label);
    put_bytes(out, a.value(value));
  }
  put_varint(out, kept);
  for (size_t i = 0; i < a.deltas.size(); ++i) {
    if (delta_value[i] == UINT32_MAX) continue;
    put_varint(out, delta_value[i]);
    put_varint(out, static_cast<uint64_t>(a.deltas[i].bucket));
    put_varint(out, a.deltas[i].good);
    put_varint(out, a.deltas[i].total);
  }
}

Status read_attributed(Reader& r, BatchRecord& rec) {
  const uint64_t n_labels = r.varint();
  if (!r.ok() || n_labels > r.remaining() / 2) return DataLoss("batch record: bad attributed label count");
  for (uint64_t i = 0; i < n_labels && r.ok(); ++i) {
    const uint64_t slo = r.varint();
    std::string label(r.bytes());
    if (slo >= rec.slos.size()) return DataLoss("batch record: an attributed label of no SLO");
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
}  // namespace

std::string encode_batch(std::span<const store::BucketDelta> deltas, const store::SloSet& set,
                         const IdempotentAnswer* idempotency, const store::AttributedDeltas* attributed) {
  const bool format2 = attributed != nullptr && !attributed->empty();
  // The SLOs the deltas touch, in first-seen order, each written once.
  std::vector<uint32_t> refs;  // record-local ref -> set index
  std::unordered_map<uint32_t, uint32_t> ref_of;
  for (const auto& d : deltas) {
    if (ref_of.emplace(d.slo, static_cast<uint32_t>(refs.size())).second) refs.push_back(d.slo);
  }
  std::string out;
  out.reserve(16 + refs.size() * 40 + deltas.size() * 16 + (format2 ? attributed->deltas.size() * 16 : 0));
  if (format2) {
    out.append(kFormat2Marker);
    put_varint(out, kFormat);
  }
  put_varint(out, refs.size());
  for (const uint32_t i : refs) {
    const store::StoredSlo& s = set.slos()[i];
    put_bytes(out, s.spec->name);
    put_u64(out, s.identity_hash);
  }
  put_varint(out, deltas.size());
  for (const auto& d : deltas) {
    put_varint(out, ref_of[d.slo]);
    put_varint(out, static_cast<uint64_t>(d.bucket));
    put_varint(out, d.good);
    put_varint(out, d.total);
  }
  if (idempotency == nullptr) {
    out.push_back(static_cast<char>(kNoIdempotency));
  } else {
    out.push_back(static_cast<char>(kHasIdempotency));
    put_bytes(out, idempotency->key);
    put_u64(out, idempotency->body_hash);
    put_bytes(out, idempotency->answer);
    put_u64(out, static_cast<uint64_t>(to_unix_ms(idempotency->received)));
  }
  if (format2) put_attributed(out, *attributed, set, ref_of);
  return out;
}

Result<BatchRecord> decode_batch(std::string_view payload) {
  const bool format2 = payload.substr(0, 2) == kFormat2Marker;
  Reader r(payload.substr(format2 ? 2 : 0));
  if (format2 && r.varint() != kFormat) return DataLoss("batch record: a format this build does not read");
  BatchRecord rec;
  // Counts are checked against the fewest bytes their entries take (an SLO: a name length and
  // its hash; a delta: four varints), so a bad count cannot reserve many times the record's size.
  const uint64_t n_slos = r.varint();
  if (!r.ok() || n_slos > r.remaining() / 9) return DataLoss("batch record: bad SLO count");
  rec.slos.reserve(n_slos);
  for (uint64_t i = 0; i < n_slos && r.ok(); ++i) {
    std::string name(r.bytes());
    const uint64_t hash = r.u64();
    rec.slos.push_back({std::move(name), hash});
  }
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
  const uint8_t flag = r.u8();
  if (flag == kHasIdempotency) {
    IdempotentAnswer a;
    a.key = std::string(r.bytes());
    a.body_hash = r.u64();
    a.answer = std::string(r.bytes());
    a.received = from_unix_ms(static_cast<int64_t>(r.u64()));
    rec.idempotency = std::move(a);
  } else if (flag != kNoIdempotency) {
    return DataLoss("batch record: bad idempotency flag");
  }
  if (format2) BUDGETD_RETURN_IF_ERROR(read_attributed(r, rec));
  if (!r.ok() || !r.at_end()) return DataLoss("batch record: truncated or trailing bytes");
  return rec;
}

}  // namespace budgetd::durable
