#pragma once
// Every SLO's burn episodes (episode.h): a durable state (durable/durable_state.h) named
// "episodes", so they are logged like batches, carried in snapshots and replayed at start-up,
// and in a cluster every replica has the ones the notification leader recorded.
//
//   EpisodeLog episodes;                       // the daemon owns one and add_state()s it
//   episodes.set_retention(30 * kDay);         // the longest budget window of any SLO
//   auto next = step_episode(slo, status, alerts, episodes.open(slo_name), now);   // builder.h
//   if (next) committer.commit_state(episodes, encode_episode(*next), now, done);
//   episodes.list("checkout-availability", now - 30 * kDay);   // newest first
//
// A record is a whole version of one episode; applying it replaces the version kept under its
// id (an upsert), so replay, snapshots and replicas converge on the last version written.
//
// Bounded twice, judged on apply (so every replica and every replay keeps the same ones): an
// episode that ended longer ago than the retention is dropped (no budget window reaches it
// any more), then the oldest ended ones past kMaxPerSlo per SLO and kMaxEpisodes in all. An
// ongoing episode is never dropped.
//
// Thread safety: every method from any thread (one mutex; readers get copies); apply() runs
// inside the write gate, save() while it is closed.

#include <atomic>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/durable/durable_state.h"
#include "budgetd/episodes/episode.h"

namespace budgetd::episodes {

class EpisodeLog final : public durable::DurableState {
 public:
  // A burn a week over 30 days is 5; 500 leaves room for flapping alerts, and 10,000 episodes
  // of a few hundred bytes each stay a few megabytes.
  static constexpr size_t kMaxPerSlo = 500;
  static constexpr size_t kMaxEpisodes = 10'000;

  void set_retention(Millis retention);
  Millis retention() const { return Millis{retention_ms_.load(std::memory_order_relaxed)}; }

  // The episodes of `slo` still ongoing or ended at or after `since`, newest (by detection) first.
  std::vector<Episode> list(std::string_view slo, Timestamp since) const;
  // The ongoing episode of `slo` (at most one: a rule that fires while another fires joins it).
  std::optional<Episode> open(std::string_view slo) const;
  std::optional<Episode> find(std::string_view slo, std::string_view id) const;
  size_t size() const;

  // durable::DurableState
  std::string_view name() const override { return "episodes"; }
  Status check(std::string_view record) const override;
  Status apply(std::string_view record, Timestamp now) override;
  std::string save() const override;
  Status load(std::string_view saved, Timestamp now) override;

  // Applies a version without a log (the backtest's in-memory replay); the same bounds.
  void put(Episode e, Timestamp now);

 private:
  // REQUIRES: mu_ held.
  void upsert(Episode e);
  void prune(Timestamp now);

  // relaxed: a plain setting read on apply; no other data is published through it.
  std::atomic<int64_t> retention_ms_{30 * kDay.count()};
  mutable std::mutex mu_;
  std::map<std::string, std::vector<Episode>, std::less<>> by_slo_;  // guarded by mu_; by detection, oldest first
  size_t count_ = 0;                                                 // guarded by mu_
};

}  // namespace budgetd::episodes
