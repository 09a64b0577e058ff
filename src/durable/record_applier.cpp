#include "budgetd/durable/record_applier.h"

#include <fmt/format.h>

#include "budgetd/durable/batch_record.h"

namespace budgetd::durable {

RecordApplier::RecordApplier(const store::SloSet& set, IdempotencyTable& keys, std::span<DurableState* const> states,
                             store::WriteAccess access)
    : set_(set), keys_(keys), access_(access) {
  for (DurableState* s : states) states_.emplace(s->name(), s);
}

Status RecordApplier::apply(RecordType type, std::string_view payload, uint64_t seq, Timestamp now) {
  switch (type) {
    case RecordType::kBatch:
      return apply_batch(payload, seq, now);
    case RecordType::kState:
      return apply_state(payload, now);
  }
  return DataLoss(fmt::format("record {}: unknown record type {}", seq, static_cast<int>(type)));
}

Status RecordApplier::apply_batch(std::string_view payload, uint64_t seq, Timestamp now) {
  auto batch = decode_batch(payload);
  if (!batch.ok()) return DataLoss(fmt::format("log record {}: {}", seq, batch.status().message()));
  // The set's index of each SLO the record names, or -1 if it is gone or changed.
  std::vector<int> to_set(batch->slos.size());
  for (size_t i = 0; i < batch->slos.size(); ++i) {
    const int j = set_.index_of(batch->slos[i].name);
    const bool same = j >= 0 && set_.slos()[static_cast<size_t>(j)].identity_hash == batch->slos[i].identity_hash;
    to_set[i] = same ? j : -1;
  }
  for (const BatchRecord::Delta& d : batch->deltas) {
    const int i = to_set[d.slo];
    if (i < 0) {
      ++deltas_dropped_;
      continue;
    }
    set_.slos()[static_cast<size_t>(i)].series->add(now, d.bucket, d.good, d.total, stats_, access_);
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
