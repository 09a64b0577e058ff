#pragma once
// Every answer the gate gave (GET /v1/gate, POST /v1/gate/webhook, budgetd gate; not dry runs,
// which gate nothing): when, for
// which service and change, the decision and tier, the CI job and commit that asked, the
// override that decided it. A durable state (durable/durable_state.h) named "gate_decisions",
// so the audit trail survives restarts and, in a cluster, every replica has it.
//
//   DecisionLog decisions;                   // the daemon owns one and add_state()s it
//   committer.commit_state(decisions, encode_decision(d), now, done);
//   decisions.list("checkout", now - 7 * kDay);   // newest first
//
// Bounded twice, judged on apply: decisions older than kMaxAge go, then the oldest past
// kMaxDecisions (10,000 decisions, 30 days: a busy pipeline's month fits in a few megabytes).
//
// Thread safety: every method from any thread (one mutex); apply() runs inside the write gate,
// save() while it is closed.

#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "budgetd/durable/durable_state.h"

namespace budgetd::policy {

struct GateRecord {
  Timestamp ts;
  std::string service;
  std::string change;
  std::string decision;  // policy::to_string(Verdict)
  std::string tier;
  std::string ci_job;
  std::string commit;
  std::string override_id;  // empty unless an override decided
  std::string source;       // "gate" (GET /v1/gate), "webhook" (Flagger)
  friend bool operator==(const GateRecord&, const GateRecord&) = default;
};

std::string encode_decision(const GateRecord& d);

class DecisionLog final : public durable::DurableState {
 public:
  static constexpr size_t kMaxDecisions = 10'000;
  static constexpr Millis kMaxAge = 30 * kDay;

  // Decisions for `service` (every service when empty) at or after `since`, newest first.
  std::vector<GateRecord> list(std::string_view service, Timestamp since) const;

  // durable::DurableState
  std::string_view name() const override { return "gate_decisions"; }
  Status check(std::string_view record) const override;
  Status apply(std::string_view record, Timestamp now) override;
  std::string save() const override;
  Status load(std::string_view saved, Timestamp now) override;

 private:
  // REQUIRES: mu_ held.
  void prune(Timestamp now);

  mutable std::mutex mu_;
  std::deque<GateRecord> kept_;  // guarded by mu_; by ts, oldest first
};

}  // namespace budgetd::policy
