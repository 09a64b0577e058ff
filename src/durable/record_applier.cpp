#include "budgetd/durable/record_applier.h"

#include <fmt/format.h>

#include "budgetd/durable/batch_record.h"
#include "held_sums.h"

namespace budgetd::durable {
namespace {

// The set's index of each SLO named, or -1 if it is gone or changed.
std::vector<int> to_set_indexes(const store::SloSet& set, std::span<const BatchRecord::Slo> slos) {
  std::vector<int> out(slos.size());
  for (size_t i = 0; i < slos.size(); ++i) {
    const int j = set.index_of(slos[i].name);
    const bool same = j >= 0 && set.slos()[static_cast<size_t>(j)].identity_hash == slos[i].identity_hash;
    out[i] = same ? j : -1;
  }
  return out;
}

// Sums held back before kExclusive writes them (about 48 MB).
constexpr size_t kMaxHeld = size_t{1} << 20;

}  // namespace

RecordApplier::RecordApplier(const store::SloSet& set, IdempotencyTable& keys, std::span<DurableState* const> states,
                             store::WriteAccess access)
    : set_(set), keys_(keys), access_(access), held_(std::make_unique<HeldSums>()) {
  for (DurableState* s : states) states_.emplace(s->name(), s);
}

RecordApplier::~RecordApplier() { flush(); }

void RecordApplier::add(size_t slo, int64_t bucket, uint64_t good, uint64_t total, Timestamp now) {
  store::SloSeries& series = *set_.slos()[slo].series;
  // A bucket past 32 bits (none before the year 3300) is written at once; so is the one key the
  // table cannot hold.
  const uint64_t key = uint64_t{slo} << 32 | static_cast<uint64_t>(bucket);
  if (access_ != store::WriteAccess::kExclusive || bucket < 0 || bucket > int64_t{UINT32_MAX} ||
      key == HeldSums::kNoKey) {
    series.add(now, bucket, good, total, stats_, access_);
    return;
  }
  if (now != held_now_) flush();
  held_now_ = now;
  held_->add(key, good, total);
  if (held_->size() >= kMaxHeld) flush();
}

void RecordApplier::flush() {
  if (held_ == nullptr || held_->size() == 0) return;
  held_->for_each([&](uint64_t key, const store::Counts& c) {
    set_.slos()[key >> 32].series->add(held_now_, static_cast<int64_t>(key & UINT32_MAX), c.good, c.total, stats_,
                                       access_);
  });
  held_->clear();
}

Status RecordApplier::apply(RecordType type, std::string_view payload, uint64_t seq, Timestamp now) {
  switch (type) {
    case RecordType::kBatch:
      return apply_batch(payload, seq, now);
    case RecordType::kState:
      return apply_state(payload, now);
    case RecordType::kDictionary:
      return apply_dictionary(payload, seq);
  }
  return DataLoss(fmt::format("record {}: unknown record type {}", seq, static_cast<int>(type)));
}

Status RecordApplier::apply_batch(std::string_view payload, uint64_t seq, Timestamp now) {
  auto batch = decode_batch(payload);
  if (!batch.ok()) return DataLoss(fmt::format("log record {}: {}", seq, batch.status().message()));
  std::vector<int> named;  // formats 1 and 2: the set's index of each SLO the record names
  if (!batch->by_dictionary) named = to_set_indexes(set_, batch->slos);
  const std::vector<int>& to_set = batch->by_dictionary ? dictionary_to_set_ : named;
  if (batch->by_dictionary) {
    // Every index must be in the dictionary the log wrote ahead of the record.
    if (!has_dictionary_)
      return DataLoss(fmt::format("log record {}: SLOs by index, but no dictionary before it", seq));
    const auto past = [&](uint32_t slo) { return slo >= to_set.size(); };
    for (const auto& d : batch->deltas) {
      if (past(d.slo)) return DataLoss(fmt::format("log record {}: an SLO index past the dictionary", seq));
    }
    for (const auto& l : batch->labels) {
      if (past(l.slo)) return DataLoss(fmt::format("log record {}: an SLO index past the dictionary", seq));
    }
  }
  for (const BatchRecord::Delta& d : batch->deltas) {
    const int i = to_set[d.slo];
    if (i < 0) {
      ++deltas_dropped_;
      continue;
    }
    add(static_cast<size_t>(i), d.bucket, d.good, d.total, now);
    ++deltas_applied_;
  }
  apply_values(*batch, to_set, now);
  if (batch->idempotency) {
    batch->idempotency->seq = seq;
    keys_.restore(*batch->idempotency, now);
  }
  return Status::Ok();
}

void RecordApplier::apply_values(const BatchRecord& batch, const std::vector<int>& to_set, Timestamp now) {
  if (batch.value_deltas.empty()) return;
  // Each record label's attribution and label index here, or null when not attributed here.
  std::vector<std::pair<store::Attribution*, size_t>> to_label(batch.labels.size(), {nullptr, 0});
  for (size_t i = 0; i < batch.labels.size(); ++i) {
    const int j = to_set[batch.labels[i].slo];
    if (j < 0) continue;
    store::Attribution* a = set_.slos()[static_cast<size_t>(j)].attribution.get();
    const int l = a == nullptr ? -1 : a->label_index(batch.labels[i].label);
    if (l >= 0) to_label[i] = {a, static_cast<size_t>(l)};
  }
  // Slots are assigned here in record order, the first time each value is seen: replaying the
  // log in order rebuilds the tables the live applies built (docs/storage.md, "Attribution").
  for (const BatchRecord::ValueDelta& d : batch.value_deltas) {
    const BatchRecord::Value& v = batch.values[d.value];
    const auto [a, label] = to_label[v.label];
    if (a == nullptr) continue;
    a->add(label, a->slot_for(label, v.value), now, d.bucket, d.good, d.total, stats_, access_);
  }
}

Status RecordApplier::apply_dictionary(std::string_view payload, uint64_t seq) {
  auto slos = decode_dictionary(payload);
  if (!slos.ok()) return DataLoss(fmt::format("log record {}: {}", seq, slos.status().message()));
  dictionary_to_set_ = to_set_indexes(set_, *slos);
  has_dictionary_ = true;
  return Status::Ok();
}

Status RecordApplier::apply_state(std::string_view payload, Timestamp now) {
  BUDGETD_ASSIGN_OR_RETURN(const StateRecord rec, decode_state_record(payload));
  const auto it = states_.find(rec.state);
  if (it == states_.end()) {
    // Written by a build with a state this one lacks: nothing here can read it.
    ++states_unknown_;
    return Status::Ok();
  }
  BUDGETD_RETURN_IF_ERROR(it->second->apply(rec.body, now));
  ++states_applied_;
  return Status::Ok();
}

}  // namespace budgetd::durable
