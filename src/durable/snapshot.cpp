#include "budgetd/durable/snapshot.h"

#include <charconv>

#include <fmt/format.h>

#include "budgetd/durable/crc32c.h"
#include "encoding.h"

namespace budgetd::durable {

namespace {
// Version 2 added the alert-state section, version 3 the durable states' sections, version 4 the
// SLO's counts per label value (attribution:) at the end of its section; older files still load
// (without them).
constexpr uint32_t kVersion = 4;
constexpr std::string_view kEndMarker = "BDSNAPND";

// A section is u32 length | u32 crc32c | body; the body is written in place, then sealed.
size_t begin_section(std::string& out) {
  const size_t at = out.size();
  put_u32(out, 0);
  put_u32(out, 0);
  return at;
}
void end_section(std::string& out, size_t at) {
  const size_t body = at + 8;
  const uint32_t len = static_cast<uint32_t>(out.size() - body);
  const uint32_t crc = crc32c::value(out.data() + body, len);
  for (int i = 0; i < 4; ++i) {
    out[at + i] = static_cast<char>(len >> (8 * i));
    out[at + 4 + i] = static_cast<char>(crc >> (8 * i));
  }
}
void put_plan(std::string& out, const store::SeriesPlan& p) {
  for (const uint32_t slots : p.slots) put_u32(out, slots);
  put_u32(out, p.coverage_minutes);
  put_u64(out, static_cast<uint64_t>(p.max_future.count()));
}
store::SeriesPlan read_plan(Reader& s) {
  store::SeriesPlan p;
  for (uint32_t& slots : p.slots) slots = s.u32();
  p.coverage_minutes = s.u32();
  p.max_future = Millis{static_cast<int64_t>(s.u64())};
  return p;
}

// An SLO's attribution: u32 labels (0: none), the plan, then per label its name, max_values,
// values (slot order) and the words of its max_values + 1 series.
void put_attribution(std::string& out, const store::Attribution* a) {
  put_u32(out, a == nullptr ? 0 : static_cast<uint32_t>(a->label_count()));
  if (a == nullptr) return;
  put_plan(out, a->plan());
  for (size_t l = 0; l < a->label_count(); ++l) {
    put_bytes(out, a->label(l));
    put_u32(out, a->max_values());
    const uint32_t n = a->assigned(l);
    put_varint(out, n);
    for (uint32_t v = 0; v < n; ++v) put_bytes(out, a->value(l, v));
    put_u64(out, a->words_per_label());
    a->append_words(l, out);
  }
}

Status read_attribution(Reader& s, SnapshotView::Slo& slo) {
  const uint32_t n = s.u32();
  if (n == 0) return Status::Ok();
  if (n > 64) return DataLoss("an attribution with too many labels");
  slo.attribution_plan = read_plan(s);
  for (uint32_t l = 0; l < n && s.ok(); ++l) {
    store::LabelImage image;
    image.label = s.bytes();
    image.max_values = s.u32();
    const uint64_t values = s.varint();
    if (!s.ok() || values > s.remaining()) return DataLoss("a bad attribution value count");
    for (uint64_t v = 0; v < values && s.ok(); ++v) image.values.push_back(s.bytes());
    const uint64_t words = s.u64();
    if (!s.ok() || words > s.remaining() / 8) return DataLoss("attribution words past its end");
    image.words = s.raw(words * 8);
    if (auto bad = store::Attribution::check(image, slo.attribution_plan))
      return DataLoss(fmt::format("attribution label '{}': {}", image.label, *bad));
    slo.attribution.push_back(std::move(image));
  }
  return s.ok() ? Status::Ok() : DataLoss("attribution truncated");
}
}  // namespace

std::string snapshot_name(uint64_t cut) { return fmt::format("snapshot-{:020}.snap", cut); }

std::optional<uint64_t> parse_snapshot_name(std::string_view name) {
  if (name.size() != 34 || name.substr(0, 9) != "snapshot-" || name.substr(29) != ".snap") return std::nullopt;
  uint64_t cut = 0;
  const auto [end, ec] = std::from_chars(name.data() + 9, name.data() + 29, cut);
  if (ec != std::errc{} || end != name.data() + 29) return std::nullopt;
  return cut;
}

std::string encode_snapshot_store(uint64_t cut, Timestamp taken_at, const store::SloSet& set) {
  std::string out;
  size_t words = 0;
  for (const auto& s : set.slos()) {
    words += s.series->word_count();
    if (s.attribution) words += s.attribution->label_count() * s.attribution->words_per_label();
  }
  out.reserve(64 + 8 * words + 128 * set.slos().size());
  out.append(kSnapshotMagic);
  put_u32(out, kVersion);
  put_u64(out, cut);
  put_u64(out, static_cast<uint64_t>(to_unix_ms(taken_at)));
  put_u32(out, static_cast<uint32_t>(set.slos().size()));
  for (const store::StoredSlo& s : set.slos()) {
    const size_t at = begin_section(out);
    put_bytes(out, s.spec->name);
    put_u64(out, s.identity_hash);
    put_plan(out, s.series->plan());
    put_u64(out, s.series->word_count());
    s.series->append_words(out);
    put_attribution(out, s.attribution.get());
    end_section(out, at);
  }
  return out;
}

void finish_snapshot(std::string& out, const std::vector<IdempotentAnswer>& keys, std::string_view alerts,
                     const std::vector<SavedState>& states) {
  size_t at = begin_section(out);
  put_varint(out, keys.size());
  for (const IdempotentAnswer& k : keys) {
    put_bytes(out, k.key);
    put_u64(out, k.body_hash);
    put_bytes(out, k.answer);
    put_u64(out, static_cast<uint64_t>(to_unix_ms(k.received)));
  }
  end_section(out, at);
  at = begin_section(out);
  out.append(alerts);
  end_section(out, at);
  put_u32(out, static_cast<uint32_t>(states.size()));
  for (const SavedState& s : states) {
    at = begin_section(out);
    put_bytes(out, s.name);
    out.append(s.bytes);
    end_section(out, at);
  }
  out.append(kEndMarker);
}

std::string encode_snapshot(uint64_t cut, Timestamp taken_at, const store::SloSet& set,
                            const std::vector<IdempotentAnswer>& keys, std::string_view alerts,
                            const std::vector<SavedState>& states) {
  std::string out = encode_snapshot_store(cut, taken_at, set);
  finish_snapshot(out, keys, alerts, states);
  return out;
}

Result<SnapshotView> decode_snapshot(std::string_view bytes) {
  Reader r(bytes);
  if (r.raw(kSnapshotMagic.size()) != kSnapshotMagic) return DataLoss("not a budgetd snapshot (bad magic)");
  const uint32_t version = r.u32();
  if (version < 1 || version > kVersion)
    return DataLoss(fmt::format("snapshot format version {} is not supported", version));
  SnapshotView snap;
  snap.cut = r.u64();
  snap.taken_at = from_unix_ms(static_cast<int64_t>(r.u64()));
  const uint32_t n = r.u32();
  if (!r.ok()) return DataLoss("snapshot truncated in its header");

  // Reads one section, checking its CRC.
  const auto section = [&](std::string_view what) -> Result<std::string_view> {
    const uint32_t len = r.u32();
    const uint32_t crc = r.u32();
    const std::string_view body = r.raw(len);
    if (!r.ok()) return DataLoss(fmt::format("snapshot truncated in {}", what));
    if (crc32c::value(body) != crc) return DataLoss(fmt::format("snapshot {} fails its CRC check", what));
    return body;
  };
  for (uint32_t i = 0; i < n; ++i) {
    auto body = section(fmt::format("SLO section {}", i));
    if (!body.ok()) return body.status();
    Reader s(*body);
    SnapshotView::Slo slo;
    slo.name = std::string(s.bytes());
    slo.identity_hash = s.u64();
    slo.plan = read_plan(s);
    const uint64_t words = s.u64();
    // Checked before anything is loaded, so a bad section never leaves a series half restored.
    const auto planned = store::SloSeries::planned_word_count(slo.plan);
    if (!planned || words != *planned || words > s.remaining() / 8)
      return DataLoss(
          fmt::format("snapshot SLO section {} ({}) has a ring layout that does not match its size", i, slo.name));
    slo.words = s.raw(words * 8);
    if (version >= 4) {
      if (Status st = read_attribution(s, slo); !st.ok())
        return DataLoss(fmt::format("snapshot SLO section {} ({}): {}", i, slo.name, st.message()));
    }
    if (!s.ok() || !s.at_end()) return DataLoss(fmt::format("snapshot SLO section {} is malformed", i));
    if (auto bad = store::SloSeries::check_words(slo.plan, slo.words))
      return DataLoss(fmt::format("snapshot SLO section {} ({}): {}", i, slo.name, *bad));
    snap.slos.push_back(std::move(slo));
  }
  auto keys = section("idempotency keys");
  if (!keys.ok()) return keys.status();
  Reader k(*keys);
  const uint64_t nk = k.varint();
  for (uint64_t i = 0; i < nk && k.ok(); ++i) {
    IdempotentAnswer a;
    a.key = std::string(k.bytes());
    a.body_hash = k.u64();
    a.answer = std::string(k.bytes());
    a.received = from_unix_ms(static_cast<int64_t>(k.u64()));
    snap.keys.push_back(std::move(a));
  }
  if (!k.ok() || !k.at_end()) return DataLoss("snapshot idempotency section is malformed");
  if (version >= 2) {
    auto alerts = section("alert state");
    if (!alerts.ok()) return alerts.status();
    snap.alerts = *alerts;
  }
  if (version >= 3) {
    const uint32_t n_states = r.u32();
    if (!r.ok()) return DataLoss("snapshot truncated before its durable states");
    for (uint32_t i = 0; i < n_states; ++i) {
      auto body = section(fmt::format("state section {}", i));
      if (!body.ok()) return body.status();
      Reader s(*body);
      const std::string_view name = s.bytes();
      if (!s.ok() || name.empty()) return DataLoss(fmt::format("snapshot state section {} has no name", i));
      snap.states.push_back({name, body->substr(body->size() - s.remaining())});
    }
  }
  if (r.raw(kEndMarker.size()) != kEndMarker || !r.at_end()) return DataLoss("snapshot truncated (no end marker)");
  return snap;
}

}  // namespace budgetd::durable
