#pragma once
// State besides the store that must survive restarts and, in a cluster, reach every replica:
// deploy markers, gate overrides, the gate's decision log. It changes only through records
// committed like batches (log, then apply: Committer::commit_state), and it is carried whole in
// snapshots, so recovery is "load the snapshot's section, replay the records after its cut".
//
//   class DeployLog final : public DurableState { ... };       // name() == "deploys"
//   daemon.add_state(deploys);                                // before start()
//   committer.commit_state(deploys, encode(deploy), now, [](Status s) { ...201... });
//
// Each record is a kState log record: the state's name, then bytes only the state reads
// (docs/storage.md). A snapshot holds one section per state, named the same.
//
// Thread safety: apply() runs inside the write gate, so never while save() copies the state for
// a snapshot (the gate is closed then); API readers may run at any time, so implementations
// guard what they share (their own mutex).

#include <cstdint>
#include <string>
#include <string_view>

#include "budgetd/core/status.h"
#include "budgetd/core/time.h"

namespace budgetd::durable {

class DurableState {
 public:
  virtual ~DurableState() = default;
  // The name its records and its snapshot section carry: lower case, digits and '_', unique
  // among the daemon's states, never changed once released (old logs name it).
  virtual std::string_view name() const = 0;
  // Whether apply() takes this record: the committer asks before logging it, so a record that
  // reaches the log always applies (a refused one would stop every later replay as damage).
  virtual Status check(std::string_view record) const = 0;
  // Applies one committed record: live (once the log made it durable), at replay, or from
  // another replica. `now` is budgetd's clock, for expiry. DataLoss if the record does not
  // decode: replay treats it as damage.
  virtual Status apply(std::string_view record, Timestamp now) = 0;
  // The whole state, for a snapshot. Called while the write gate is closed: exactly the records
  // up to the snapshot's cut are in it.
  virtual std::string save() const = 0;
  // Replaces the state with one save() wrote (start-up); DataLoss leaves the state untouched.
  virtual Status load(std::string_view saved, Timestamp now) = 0;
};

// A kState record's payload: the state's name, then its own bytes.
std::string encode_state_record(std::string_view state, std::string_view body);
struct StateRecord {
  std::string_view state;
  std::string_view body;
};
// Views into `payload`. DataLoss if it is not a state record's payload.
Result<StateRecord> decode_state_record(std::string_view payload);

}  // namespace budgetd::durable
