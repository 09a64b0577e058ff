#pragma once
// The deploys budgetd was told about (POST /v1/deploys, `budgetd deploy`): a durable state
// (durable/durable_state.h) named "deploys", so they are logged like batches, carried in
// snapshots and replayed at start-up (and, in a cluster, reach every replica).
//
//   DeployLog deploys;                       // the daemon owns one and add_state()s it
//   deploys.set_retention(30 * kDay);        // the longest budget window of any SLO
//   Deploy d{.id = deploys.reserve_id(), .service = "checkout", .version = "v1.4.2", .ts = now};
//   if (Status s = deploys.check_deploy(d, now); !s.ok()) ...400...;
//   committer.commit_state(deploys, encode_deploy(d), now, done);
//   deploys.list("checkout", now - 7 * kDay);   // newest first
//
// Bounded twice: a deploy older than the retention (the longest budget window of any SLO: no
// budget a deploy could be charged with reaches further back) is dropped, and so is the oldest
// once kMaxDeploys are kept. Both are judged on apply, so every replica, and every replay,
// keeps the same ones.
//
// An Idempotency-Key names one deploy: should two records carry the same key (a CI retry sent to
// two replicas at once), every replica keeps the one that sorts first (ts, then id), whatever
// order the records reach it in (ts, then id, then origin: a total order).
//
// Thread safety: every method may be called from any thread; one mutex guards the deploys
// (API readers take a copy of what they list). apply() runs inside the write gate, save()
// while it is closed (durable_state.h), so a snapshot holds exactly the records up to its cut.

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/core/status.h"
#include "budgetd/core/time.h"
#include "budgetd/durable/durable_state.h"

namespace budgetd::deploys {

// The free-text fields' limits (bytes): long enough for any tag, SHA, job id or link; short
// enough that 10,000 deploys stay a few megabytes.
inline constexpr size_t kMaxServiceBytes = 128;
inline constexpr size_t kMaxVersionBytes = 128;
inline constexpr size_t kMaxCommitBytes = 128;
inline constexpr size_t kMaxCiJobBytes = 256;
inline constexpr size_t kMaxUrlBytes = 2048;
inline constexpr size_t kMaxIdempotencyKeyBytes = 255;  // as for batches
// Deploys kept in all; past it the oldest is dropped.
inline constexpr size_t kMaxDeploys = 10'000;

struct Deploy {
  uint64_t id = 0;     // shown as "d-<id>", or "d-<origin>-<id>" in a cluster
  std::string origin;  // the replica that recorded it (cluster.node); empty on a single node
  std::string service;
  std::string version;
  Timestamp ts;        // when it was deployed
  std::string change;  // a change type (feature, risky, reliability, security), or empty
  std::string commit;  // the rest: empty when not given
  std::string ci_job;
  std::string url;
  // The POST's Idempotency-Key, or empty: a retry with the same key is answered with this
  // deploy instead of recording a second one.
  std::string idempotency_key;
  friend bool operator==(const Deploy&, const Deploy&) = default;
};

// Whether `retry` asks for the deploy `kept` recorded: the same fields, id aside (and ts aside
// when the retry did not give one, since then it is the time of each request).
bool same_deploy(const Deploy& kept, const Deploy& retry, bool retry_gave_ts);

std::string format_id(const Deploy& d);  // "d-12", or "d-a-12" when replica a recorded it

// The record committed for one deploy, and back. decode_deploy: DataLoss if it is not one.
std::string encode_deploy(const Deploy& d);
Result<Deploy> decode_deploy(std::string_view record);

class DeployLog final : public durable::DurableState {
 public:
  DeployLog() = default;

  // The longest budget window of any SLO: the daemon sets it at start and on every reload.
  void set_retention(Millis retention);
  Millis retention() const { return Millis{retention_ms_.load(std::memory_order_relaxed)}; }

  // An id no other deploy of this origin has: ids come from one counter that replay and
  // snapshots move past every id they hold. In a cluster two replicas may draw the same number
  // at once; their origins tell the deploys apart.
  uint64_t reserve_id();
  // In a cluster, this replica's name: the origin of the deploys it records. REQUIRES: before
  // the daemon serves.
  void set_origin(std::string node) { origin_ = std::move(node); }
  const std::string& origin() const { return origin_; }

  // Why `d` cannot be recorded at `now`, naming the field: a field too long or not printable
  // text, an unknown change type, a ts older than the retention or more than `max_future`
  // ahead. What the service is (an SLO's?) is the API's question.
  Status check_deploy(const Deploy& d, Timestamp now, Millis max_future = 5 * kMinute) const;

  // Deploys of `service` (every service when empty) at or after `since`, newest first.
  std::vector<Deploy> list(std::string_view service, Timestamp since) const;
  // The newest deploy of `service` at or before `now`.
  std::optional<Deploy> last(std::string_view service, Timestamp now) const;
  // The kept deploy recorded with Idempotency-Key `key` (not empty).
  std::optional<Deploy> by_key(std::string_view key) const;
  // The first deploy of the same service after `d` (by ts, then id).
  std::optional<Deploy> next_after(const Deploy& d) const;
  size_t size() const;

  // durable::DurableState
  std::string_view name() const override { return "deploys"; }
  Status check(std::string_view record) const override;
  Status apply(std::string_view record, Timestamp now) override;
  std::string save() const override;
  Status load(std::string_view saved, Timestamp now) override;

 private:
  // REQUIRES: mu_ held. Drops what is past the retention at `now`, then the oldest past the cap.
  void prune(Timestamp now);
  // REQUIRES: mu_ held.
  void insert(Deploy d);
  void bump_next_id(uint64_t seen);

  // relaxed: a plain setting; a reader needs some recent value, not an order with other data.
  std::atomic<int64_t> retention_ms_{30 * kDay.count()};
  // relaxed: only uniqueness matters, which fetch_add gives whatever the order.
  std::atomic<uint64_t> next_id_{1};
  std::string origin_;  // set before serving, read-only afterwards
  mutable std::mutex mu_;
  std::vector<Deploy> deploys_;  // guarded by mu_; by (ts, id), oldest first
};

}  // namespace budgetd::deploys
