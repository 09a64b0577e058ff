#include "budgetd/durable/batch_record.h"

#include <unordered_map>

#include "encoding.h"

namespace budgetd::durable {

namespace {
constexpr uint8_t kNoIdempotency = 0;
constexpr uint8_t kHasIdempotency = 1;
}  // namespace

std::string encode_batch(std::span<const store::BucketDelta> deltas, const store::SloSet& set,
                         const IdempotentAnswer* idempotency) {
  // The SLOs the deltas touch, in first-seen order, each written once.
  std::vector<uint32_t> refs;  // record-local ref -> set index
  std::unordered_map<uint32_t, uint32_t> ref_of;
  for (const auto& d : deltas) {
    if (ref_of.emplace(d.slo, static_cast<uint32_t>(refs.size())).second) refs.push_back(d.slo);
  }
  std::string out;
  out.reserve(16 + refs.size() * 40 + deltas.size() * 16);
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
  return out;
}

Result<BatchRecord> decode_batch(std::string_view payload) {
  Reader r(payload);
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
  if (!r.ok() || !r.at_end()) return DataLoss("batch record: truncated or trailing bytes");
  return rec;
}

}  // namespace budgetd::durable
