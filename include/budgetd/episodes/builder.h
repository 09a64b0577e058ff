#pragma once
// Builds an SLO's burn episodes from what the evaluator already knows each tick: the alert
// tracker's states after observe() and the SLO's status. The daemon commits what it returns to
// the EpisodeLog; the backtest puts it into its own log: one builder for both.
//
//   auto changes = alerts.observe(slo, status, now);
//   if (auto e = step_episode(slo, status, alerts, episodes.open(slo.spec->name), now))
//     committer.commit_state(episodes, encode_episode(*e), now, done);
//
// Per SLO one episode is open while any of its rules fires: a rule that fires then joins it
// (after a restart too, even when the alert tracker lost its incident), and once none fires it
// ends when the last one resolved.

#include <optional>

#include "budgetd/episodes/episode.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/eval/slo_status.h"

namespace budgetd::episodes {

// While only figures move (bad events, the budget) a new version is written at most this often;
// a rule firing or resolving, a new peak burn rate or the end is written at once.
inline constexpr Millis kFiguresEvery = kMinute;

// The next version of `slo`'s episode after this evaluation, or nullopt when nothing needs
// recording. `open`: the SLO's ongoing episode as last recorded (EpisodeLog::open). `blocks`: as
// eval::AlertTracker::observe.
std::optional<Episode> step_episode(const store::StoredSlo& slo, const eval::SloStatus& status,
                                    const eval::AlertTracker& alerts, const std::optional<Episode>& open,
                                    Timestamp now, eval::SeriesBlocks* blocks = nullptr);

// Where the burn a rule detected at `to` began: of the buckets in [from, to) (the finest ring
// that retains them), the one from which the bad events in excess of `threshold` x total, summed
// up to `to`, are largest (a one-sided CUSUM's change point, read backwards). Exact for a sudden
// outage, and not fooled by a background error rate below the threshold. nullopt if no bucket
// there has more bad events than the threshold allows.
struct Onset {
  Timestamp at{};
  Millis resolution{0};
};
std::optional<Onset> burn_onset(const store::StoredSlo& slo, Timestamp from, Timestamp to, double threshold,
                                Timestamp now);

}  // namespace budgetd::episodes
