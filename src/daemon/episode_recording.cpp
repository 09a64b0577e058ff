// The daemon's side of burn episodes: after each SLO's alert states are observed, the next
// version of its episode is committed to the "episodes" state (episodes/builder.h builds it).
#include "budgetd/core/log.h"
#include "budgetd/daemon/daemon.h"
#include "budgetd/episodes/builder.h"

namespace budgetd {

void Daemon::record_episode(const store::StoredSlo& slo, const eval::SloStatus& status, Timestamp now,
                            eval::SeriesBlocks* blocks) {
  const std::string& name = slo.spec->name;
  // One recorder: in a cluster the notification leader; the others apply what it logged.
  if (!committer_ || !sends_notifications()) {
    episodes_committed_.erase(name);
    return;
  }
  std::optional<episodes::Episode> open = episodes_.open(name);
  if (const auto mine = episodes_committed_.find(name); mine != episodes_committed_.end()) {
    // The log has not applied what this node committed last, or has since: the newer one counts.
    if (!open || open->updated < mine->second.updated) {
      open = mine->second.ongoing() ? std::optional(mine->second) : std::nullopt;
    }
    if (open && open->updated >= mine->second.updated) episodes_committed_.erase(mine);
  }
  std::optional<episodes::Episode> next = episodes::step_episode(slo, status, alerts_, open, now, blocks);
  if (!next) return;
  if (next->end || next->spans != (open ? open->spans : std::vector<episodes::RuleSpan>{})) {
    log::info(next->end ? "episode: ended" : "episode: changed")
        .field("slo", name)
        .field("episode", next->id)
        .field("budget_consumed", next->budget_consumed)
        .field("postmortem_required", next->postmortem_required);
  }
  episodes_committed_.insert_or_assign(name, *next);
  committer_->commit_state(episodes_, episodes::encode_episode(*next), now, [id = next->id](Status s) {
    if (!s.ok()) log::warn("episode: not recorded").field("episode", id).field("error", s.message());
  });
}

}  // namespace budgetd
