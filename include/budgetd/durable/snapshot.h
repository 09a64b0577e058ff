#pragma once
// Snapshots of the whole store: every SLO's raw ring words, the idempotency keys and the alert
// state, as of a log sequence number ("cut"): the snapshot holds exactly the batches with
// seq <= cut, so recovery loads it and replays the log after the cut. docs/storage.md has the
// byte layout.
//
//   std::string bytes = encode_snapshot_store(cut, now, slo_set);     // gate closed meanwhile
//   finish_snapshot(bytes, keys_with_seq_up_to_cut, alert_state);     // gate open again
//   env.write_file_atomically(dir + "/" + snapshot_name(cut), bytes);
//   Result<SnapshotView> s = decode_snapshot(env.read_file(path).value());

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/core/status.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::durable {

inline constexpr std::string_view kSnapshotMagic = "BDSNAP01";

std::string snapshot_name(uint64_t cut);  // "snapshot-<cut, 20 digits>.snap"
std::optional<uint64_t> parse_snapshot_name(std::string_view name);

// The header and every SLO's words: the part that needs the closed gate.
std::string encode_snapshot_store(uint64_t cut, Timestamp taken_at, const store::SloSet& set);
// A durable state's section: its name and what its save() wrote (durable_state.h).
struct SavedState {
  std::string name;
  std::string bytes;
};
// The idempotency keys, the alert state (opaque bytes, eval::AlertTracker's), the durable
// states, the end marker.
void finish_snapshot(std::string& out, const std::vector<IdempotentAnswer>& keys, std::string_view alerts,
                     const std::vector<SavedState>& states = {});
// Both at once (tests, tools).
std::string encode_snapshot(uint64_t cut, Timestamp taken_at, const store::SloSet& set,
                            const std::vector<IdempotentAnswer>& keys, std::string_view alerts = {},
                            const std::vector<SavedState>& states = {});

// Views into the bytes it was decoded from.
struct SnapshotView {
  struct Slo {
    std::string name;
    uint64_t identity_hash;
    store::SeriesPlan plan;
    std::string_view words;
    // Version 4 (attribution:): its plan and each label's values and words; empty before.
    store::SeriesPlan attribution_plan;
    std::vector<store::LabelImage> attribution;
  };
  uint64_t cut = 0;
  Timestamp taken_at{};
  std::vector<Slo> slos;
  std::vector<IdempotentAnswer> keys;
  std::string_view alerts;  // empty in version 1 files
  struct State {
    std::string_view name;
    std::string_view bytes;
  };
  std::vector<State> states;  // none before version 3
};
// DataLoss when the file is truncated, a section fails its CRC, an SLO's ring layout does not
// match its size, or its ring words are not a snapshot's (store::SloSeries::check_words):
// nothing of a snapshot that fails is used.
Result<SnapshotView> decode_snapshot(std::string_view bytes);

}  // namespace budgetd::durable
