#pragma once
// Break-glass gate overrides (POST /v1/gate/overrides): for a while, a service's listed change
// types pass the gate whatever its budget says, with a reason and a name on record. A durable
// state (durable/durable_state.h) named "gate_overrides": created and ended through committed
// records, carried in snapshots, replayed at start-up, and in a cluster seen by every replica.
//
//   GateOverrides overrides;                 // the daemon owns one and add_state()s it
//   Override o{.id = new_override_id(), .service = "checkout", .changes = {kFeature},
//              .reason = "revert of the bad release", .by = "alice", .created_at = now,
//              .expires_at = now + 2 * kHour};
//   committer.commit_state(overrides, encode_override(o), now, done);
//   overrides.active("checkout", ChangeType::kFeature, now);    // the gate asks
//   committer.commit_state(overrides, encode_end(id, now, "bob"), now, done);   // DELETE
//
// An override passes the gate only while created_at <= now < expires_at and it was not ended:
// it can never outlive its expiry, whatever a replica's clock or a replay does. Ended and
// expired ones stay listed as the audit log, bounded: kMaxKept in all and kAuditAge after they
// stopped (both judged on apply, like deploys).
//
// Thread safety: every method from any thread (one mutex); apply() runs inside the write gate,
// save() while it is closed.

#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/durable/durable_state.h"

namespace budgetd::policy {

inline constexpr size_t kMaxOverrideReasonBytes = 1024;
inline constexpr size_t kMaxOverrideByBytes = 128;

struct Override {
  std::string id;  // "ovr-" and 16 hex digits, random: unique across replicas without coordination
  std::string service;
  std::vector<config::ChangeType> changes;
  std::string reason;
  std::string by;
  Timestamp created_at;
  Timestamp expires_at;
  std::optional<Timestamp> ended_at;  // DELETE before expiry
  std::string ended_by;

  bool active(Timestamp now) const { return !ended_at && created_at <= now && now < expires_at; }
  bool covers(config::ChangeType c) const;
  // "active", "expired" or "ended".
  const char* state(Timestamp now) const;
};

std::string new_override_id();
// The records: one override created, one ended. DataLoss from decode if it is neither.
std::string encode_override(const Override& o);
std::string encode_end(const std::string& id, Timestamp at, const std::string& by);

class GateOverrides final : public durable::DurableState {
 public:
  static constexpr size_t kMaxKept = 1'000;
  static constexpr Millis kAuditAge = 90 * kDay;

  // Why `o` cannot be recorded: a reason missing, a field too long or not printable, no change
  // types, an expiry not after its creation or further than `max` after it.
  static Status check_override(const Override& o, Millis max);

  // The newest override active for this service and change at `now`.
  std::optional<Override> active(std::string_view service, config::ChangeType change, Timestamp now) const;
  // Every override kept (the audit log), newest first; of one service when `service` is set.
  std::vector<Override> list(std::string_view service) const;
  std::optional<Override> find(std::string_view id) const;

  // durable::DurableState
  std::string_view name() const override { return "gate_overrides"; }
  Status check(std::string_view record) const override;
  Status apply(std::string_view record, Timestamp now) override;
  std::string save() const override;
  Status load(std::string_view saved, Timestamp now) override;

 private:
  // REQUIRES: mu_ held.
  void prune(Timestamp now);

  mutable std::mutex mu_;
  std::vector<Override> kept_;  // guarded by mu_; by created_at, oldest first
};

}  // namespace budgetd::policy
