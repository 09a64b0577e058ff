#include "budgetd/durable/recovery.h"

#include <algorithm>
#include <chrono>
#include <unordered_map>

#include <fmt/format.h>

#include "budgetd/core/log.h"
#include "budgetd/durable/record_applier.h"
#include "budgetd/durable/snapshot.h"

namespace budgetd::durable {
namespace {

using Steady = std::chrono::steady_clock;

// Snapshot files under dir, newest first.
std::vector<std::pair<uint64_t, std::string>> list_snapshots(Env& env, const std::string& dir) {
  std::vector<std::pair<uint64_t, std::string>> out;
  auto names = env.list(dir);
  if (!names.ok()) return out;
  for (const auto& n : *names) {
    if (auto cut = parse_snapshot_name(n)) out.emplace_back(*cut, n);
  }
  std::sort(out.rbegin(), out.rend());
  return out;
}

// The set's index of the SLO a snapshot names, or -1 if it is gone or changed.
int match(const store::SloSet& set, std::string_view name, uint64_t identity_hash) {
  const int i = set.index_of(name);
  if (i < 0 || set.slos()[static_cast<size_t>(i)].identity_hash != identity_hash) return -1;
  return i;
}

// Loads each state the snapshot has a section for; a section of a state this build lacks is
// skipped (a newer budgetd's), a state without a section starts empty (an older budgetd's).
// A section that fails to load makes the snapshot damaged; states loaded from it before that
// are replaced when an older snapshot loads (load() replaces the whole state).
Status load_states(const SnapshotView& snap, std::span<DurableState* const> states, Timestamp now,
                   RecoveryReport& report) {
  for (const SnapshotView::State& saved : snap.states) {
    for (DurableState* s : states) {
      if (s->name() != saved.name) continue;
      if (Status st = s->load(saved.bytes, now); !st.ok()) {
        return DataLoss(fmt::format("the snapshot's '{}' section: {}", saved.name, st.message()));
      }
      ++report.states_restored;
    }
  }
  return Status::Ok();
}

}  // namespace

Result<RecoveryReport> recover(Env& env, const std::string& dir, const store::SloSet& set, IdempotencyTable& keys,
                               Timestamp now, std::span<DurableState* const> states) {
  const auto start = Steady::now();
  RecoveryReport report;
  BUDGETD_RETURN_IF_ERROR(env.create_dirs(dir + "/wal"));

  for (const auto& [cut, name] : list_snapshots(env, dir)) {
    auto bytes = env.read_file(dir + "/" + name);
    if (!bytes.ok()) {
      report.damaged_snapshots.push_back(name + ": " + bytes.status().message());
      continue;
    }
    auto snap = decode_snapshot(*bytes);
    if (snap.ok() && snap->cut == cut) {
      // A state section that does not load makes the snapshot damaged like a bad CRC would.
      if (Status st = load_states(*snap, states, now, report); !st.ok()) snap = st;
    }
    if (!snap.ok() || snap->cut != cut) {
      report.damaged_snapshots.push_back(name + ": " +
                                         (snap.ok() ? "its cut does not match its name" : snap.status().message()));
      log::error("recovery: skipping a damaged snapshot; falling back on an older one and a longer replay")
          .field("snapshot", name)
          .field("error", report.damaged_snapshots.back());
      continue;
    }
    for (const SnapshotView::Slo& s : snap->slos) {
      const int i = match(set, s.name, s.identity_hash);
      if (i < 0) continue;
      store::SloSeries& series = *set.slos()[static_cast<size_t>(i)].series;
      const store::SeriesPlan& plan = series.plan();
      if (s.plan.slots == plan.slots && s.plan.coverage_minutes == plan.coverage_minutes &&
          s.plan.max_future == plan.max_future) {
        series.load_words(s.words);
      } else {
        // Written under another config (windows changed): carry the counts over bucket by bucket.
        store::SloSeries old(s.plan);  // decode_snapshot checked the plan against the words
        old.load_words(s.words);
        series.migrate_from(old, now);
      }
      // Counts per label value: a snapshot before version 4, or of an SLO without attribution
      // then, has none, and the contributors start from here.
      if (store::Attribution* a = set.slos()[static_cast<size_t>(i)].attribution.get()) {
        for (const store::LabelImage& image : s.attribution) a->load(image, s.attribution_plan, now);
      }
      ++report.slos_restored;
    }
    for (IdempotentAnswer k : snap->keys) {
      k.seq = cut;
      keys.restore(k, now);
    }
    report.alerts = std::string(snap->alerts);
    report.snapshot = name;
    report.snapshot_cut = cut;
    break;
  }

  // Replay the log after the snapshot's cut.
  // Nothing else uses `set` yet (see the header): the rings take plain stores.
  RecordApplier applier(set, keys, states, store::WriteAccess::kExclusive);
  auto replay = replay_wal(env, dir + "/wal", report.snapshot_cut, now,
                           [&](const FramedRecord& rec) { return applier.apply(rec.type, rec.payload, rec.seq, now); });
  applier.flush();  // the sums it held back (record_applier.h)
  if (!replay.ok()) return replay.status();
  report.replay = *replay;
  report.deltas_applied = applier.deltas_applied();
  report.deltas_dropped = applier.deltas_dropped();
  report.state_records_applied = applier.states_applied();
  report.state_records_unknown = applier.states_unknown();
  report.duration = std::chrono::duration_cast<Millis>(Steady::now() - start);
  return report;
}

std::string_view to_string(SnapshotReason reason) {
  switch (reason) {
    case SnapshotReason::kInterval:
      return "interval";
    case SnapshotReason::kLogSize:
      return "log_size";
    case SnapshotReason::kShutdown:
      return "shutdown";
    case SnapshotReason::kAdmin:
      return "admin";
    case SnapshotReason::kPeer:
      return "peer";
  }
  return "admin";
}

Snapshotter::Snapshotter(Env& env, std::string dir, metrics::Registry& metrics)
    : env_(env),
      dir_(std::move(dir)),
      last_success_(metrics.gauge("budgetd_snapshot_last_success_timestamp_seconds",
                                  "When the last snapshot was written, in unix seconds (0: none yet)")),
      bytes_(metrics.gauge("budgetd_snapshot_bytes", "Size of the last snapshot written")),
      pause_seconds_(metrics.histogram("budgetd_snapshot_pause_seconds",
                                       "Time ingest waited while a snapshot copied the store", {},
                                       metrics::kLatencyBuckets)),
      duration_seconds_(metrics.histogram("budgetd_snapshot_duration_seconds", "Time to take and write one snapshot",
                                          {}, metrics::kLatencyBuckets)) {
  // Every reason from the start, so rate() and increase() see the first one of each.
  for (size_t i = 0; i < kSnapshotReasons; ++i) {
    const metrics::Labels reason{{"reason", std::string(to_string(static_cast<SnapshotReason>(i)))}};
    taken_[i] = &metrics.counter("budgetd_snapshots_total", "Snapshots written, by why", reason);
    failed_[i] =
        &metrics.counter("budgetd_snapshot_failures_total", "Snapshots that could not be written, by why", reason);
  }
}

SnapshotCapture Snapshotter::capture(store::WriteGate& gate, const Wal& wal, const store::SloSet& set,
                                     const IdempotencyTable& keys, Timestamp now,
                                     std::span<DurableState* const> states) {
  const auto start = Steady::now();
  SnapshotCapture c;
  c.taken_at = now;
  c.slos = set.slos().size();
  {
    store::ClosedGate closed(gate);  // no batch is half applied from here ...
    c.cut = wal.last_seq();
    c.bytes = encode_snapshot_store(c.cut, now, set);
    for (const DurableState* s : states) c.states.push_back({std::string(s->name()), s->save()});
    c.keys_stamp = keys.stamp();  // keys are completed inside a batch's ticket, so none is half done
  }                               // ... to here
  c.pause = Steady::now() - start;
  pause_seconds_.observe(std::chrono::duration<double>(c.pause).count());
  return c;
}

Result<std::string> Snapshotter::write(SnapshotCapture c, Wal& wal, const IdempotencyTable& keys,
                                       std::string_view alerts, SnapshotReason reason) {
  const auto start = Steady::now();
  const std::string name = snapshot_name(c.cut);
  const size_t why = static_cast<size_t>(reason);
  const auto fail = [&](const Status& s) {
    failed_[why]->inc();
    // Once per run of failures (a full disk fails every try): the metric counts the rest.
    if (failures_in_a_row_++ == 0) {
      log::error("snapshot: could not write a snapshot; the log keeps growing until one succeeds")
          .field("snapshot", name)
          .field("reason", to_string(reason))
          .field("error", s.message());
    }
    return s;
  };
  // Keys of batches after the cut are in the log after it; replay restores them. Keys of
  // batches without a local seq that came after the capture are left out too (keys_stamp).
  std::vector<IdempotentAnswer> live = keys.live(c.taken_at, c.keys_stamp);
  std::erase_if(live, [&](const IdempotentAnswer& k) { return k.seq > c.cut; });
  finish_snapshot(c.bytes, live, alerts, c.states);
  // Every record up to the cut must be on disk before a snapshot that covers it is: otherwise a
  // power loss could leave the log with a gap below records that come after it.
  if (Status s = wal.sync_now(); !s.ok()) return fail(s);
  if (Status s = env_.write_file_atomically(dir_ + "/" + name, c.bytes); !s.ok()) return fail(s);
  taken_[why]->inc();
  if (failures_in_a_row_ > 0) {
    log::info("snapshot: written again").field("failed_before", failures_in_a_row_);
    failures_in_a_row_ = 0;
  }
  last_bytes_.store(c.bytes.size(), std::memory_order_relaxed);
  last_cut_.store(c.cut, std::memory_order_relaxed);
  bytes_.set(static_cast<double>(c.bytes.size()));
  last_success_.set(static_cast<double>(to_unix_ms(c.taken_at)) / 1000.0);

  // Keep the two newest; the log is needed from the older one's cut on.
  const auto snaps = list_snapshots(env_, dir_);
  for (size_t i = 2; i < snaps.size(); ++i) {
    if (Status s = env_.remove(dir_ + "/" + snaps[i].second); !s.ok()) {
      log::warn("snapshot: could not delete an old snapshot")
          .field("snapshot", snaps[i].second)
          .field("error", s.message());
    }
  }
  if (snaps.size() >= 2) wal.drop_through(snaps[1].first);
  duration_seconds_.observe(std::chrono::duration<double>(Steady::now() - start + c.pause).count());
  log::info("snapshot: written")
      .field("snapshot", name)
      .field("bytes", uint64_t{c.bytes.size()})
      .field("slos", uint64_t{c.slos})
      .field("keys", uint64_t{live.size()})
      .field("reason", to_string(reason));
  return name;
}

Result<std::string> Snapshotter::take(store::WriteGate& gate, Wal& wal, const store::SloSet& set,
                                      const IdempotencyTable& keys, Timestamp now, std::string_view alerts,
                                      std::span<DurableState* const> states, SnapshotReason reason) {
  return write(capture(gate, wal, set, keys, now, states), wal, keys, alerts, reason);
}

}  // namespace budgetd::durable
