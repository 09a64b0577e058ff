#include "budgetd/durable/committer.h"

#include "budgetd/core/log.h"

namespace budgetd::durable {

Committer::Committer(RecordLog& log, store::WriteGate& gate, IdempotencyTable& keys, CurrentSlos current,
                     metrics::Registry& metrics, SloNaming naming)
    : log_(log),
      gate_(gate),
      keys_(keys),
      current_(std::move(current)),
      naming_(naming),
      expired_writes_(
          metrics.counter("budgetd_store_expired_writes_total",
                          "Bucket updates dropped because the bucket was recycled while the batch was applied")),
      saturated_writes_(metrics.counter("budgetd_store_saturated_writes_total",
                                        "Bucket updates that hit a counter's maximum (2^40-1) and stopped counting")),
      reload_dropped_updates_(metrics.counter(
          "budgetd_ingest_reload_dropped_updates_total",
          "Bucket updates of in-flight batches dropped because a reload removed or redefined their SLO")) {}

void Committer::commit(PendingBatch batch, Done done) {
  // A snapshot never sees this batch half applied: the ticket is held until it is applied.
  store::WriteGate::Ticket ticket = gate_.enter();
  // A reload swaps the SLO set only while the gate is closed, so inside it the set is fixed. If
  // one came between routing and here, the deltas follow their SLOs into the new set.
  if (auto current = current_(); current != batch.slos) reroute(batch, std::move(current));
  std::unique_lock<std::mutex> in_log_order;
  if (brings_new_values(batch)) {
    in_log_order = std::unique_lock(assign_mu_);
    for (const store::AttributedDelta& d : batch.attributed.deltas) {
      if (store::Attribution* a = batch.slos->slos()[d.slo].attribution.get())
        a->slot_for(d.label, batch.attributed.value(d.value));
    }
  }
  const std::string payload =
      encode_batch(batch.deltas, *batch.slos, batch.key ? &*batch.key : nullptr, &batch.attributed, naming_);
  // The log calls back at once under fsync interval/never, after the group fsync under always.
  log_.append(RecordType::kBatch, payload,
              [this, ticket = std::move(ticket), batch = std::move(batch),
               done = std::move(done)](Result<uint64_t> seq) mutable {
                if (seq.ok()) apply(batch, *seq);
                ticket.reset();
                done(seq.ok() ? Status::Ok() : seq.status());
              });
}

void Committer::commit_state(DurableState& state, std::string record, Timestamp now, Done done) {
  if (Status s = state.check(record); !s.ok()) return done(std::move(s));
  store::WriteGate::Ticket ticket = gate_.enter();  // a snapshot has the change or the record after its cut
  const std::string payload = encode_state_record(state.name(), record);
  log_.append(RecordType::kState, payload,
              [&state, ticket = std::move(ticket), record = std::move(record), now,
               done = std::move(done)](Result<uint64_t> seq) mutable {
                Status s = seq.ok() ? state.apply(record, now) : seq.status();
                if (seq.ok() && !s.ok()) {
                  // check() passed, so this is a bug in the state; the record is in the log and a
                  // restart will report it as damage.
                  log::error("durable: a state refused a record its own check() passed")
                      .field("state", state.name())
                      .field("error", s.message());
                  s = Internal("the " + std::string(state.name()) + " record could not be applied: " + s.message());
                }
                ticket.reset();
                done(std::move(s));
              });
}

bool Committer::brings_new_values(const PendingBatch& batch) {
  for (const store::AttributedDelta& d : batch.attributed.deltas) {
    const store::Attribution* a = batch.slos->slos()[d.slo].attribution.get();
    if (a != nullptr && a->would_assign(d.label, batch.attributed.value(d.value))) return true;
  }
  return false;
}

void Committer::apply(PendingBatch& batch, uint64_t seq) {
  store::WriteStats ws = store::apply_deltas(batch.deltas, *batch.slos, batch.now);
  const store::WriteStats wa = store::apply_attributed(batch.attributed, *batch.slos, batch.now);
  ws.expired += wa.expired;
  ws.saturated += wa.saturated;
  expired_writes_.inc(ws.expired);
  if (ws.saturated != 0) {
    saturated_writes_.inc(ws.saturated);
    log::error("store: a bucket counter reached its maximum and stopped counting; its windows report saturated")
        .field("updates", uint64_t{ws.saturated});
  }
  if (batch.key) {
    batch.key->seq = seq;
    keys_.complete(*batch.key);
  }
}

// The attributed deltas follow their SLO (to_after, as reroute() filled it) and their label, by
// name, into the new set; a label the new set does not attribute is dropped.
void Committer::reroute_attributed(PendingBatch& batch, const store::SloSet& before, const store::SloSet& after,
                                   const std::vector<int>& to_after) {
  std::erase_if(batch.attributed.deltas, [&](store::AttributedDelta& d) {
    const int i = to_after[d.slo];
    if (i < 0) return true;
    const store::Attribution* a = after.slos()[static_cast<size_t>(i)].attribution.get();
    const int l = a == nullptr ? -1 : a->label_index(before.slos()[d.slo].spec->attribution.labels[d.label]);
    if (l < 0) return true;
    d.slo = static_cast<uint32_t>(i);
    d.label = static_cast<uint32_t>(l);
    return false;
  });
}

void Committer::reroute(PendingBatch& batch, std::shared_ptr<const store::SloSet> current) {
  const store::SloSet& before = *batch.slos;
  const store::SloSet& after = *current;
  std::vector<int> to_after(before.slos().size(), -2);  // -2: not looked up yet; -1: gone
  size_t dropped = 0;
  std::erase_if(batch.deltas, [&](store::BucketDelta& d) {
    int& i = to_after[d.slo];
    if (i == -2) {
      const store::StoredSlo& s = before.slos()[d.slo];
      i = after.index_of(s.spec->name);
      if (i >= 0 && after.slos()[static_cast<size_t>(i)].identity_hash != s.identity_hash) i = -1;
    }
    if (i < 0) {
      ++dropped;
      return true;
    }
    d.slo = static_cast<uint32_t>(i);
    return false;
  });
  reroute_attributed(batch, before, after, to_after);
  if (dropped != 0) {
    reload_dropped_updates_.inc(dropped);
    log::warn("ingest: a reload removed or redefined SLOs while a batch for them was in flight; dropped its updates")
        .field("updates", uint64_t{dropped});
  }
  batch.slos = std::move(current);
}

}  // namespace budgetd::durable
