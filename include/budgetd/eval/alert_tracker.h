#pragma once
// The state of every alert rule of every SLO, kept across evaluations: inactive -> firing (with
// `since`) -> resolved, and the burn episodes (an alert's firing spans) with the share of the
// error budget each consumed. An episode that consumes 30 % or more requires a postmortem.
//
//   AlertTracker alerts;
//   for (...each SLO...) changes += alerts.observe(stored_slo, evaluate_slo(...), now);
//   notifier.publish(changes);               // fired and resolved alerts
//   alerts.firing();                         // GET /v1/alerts
//
// Thread safety: every method may be called from any thread (one mutex; the evaluator writes
// once per tick, requests read).

#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "budgetd/eval/slo_status.h"

namespace budgetd::eval {

// kInsufficientData: not firing, and held back by min_events (the long window holds fewer
// events than the rule needs), so "inactive" would claim more than is known.
enum class AlertState { kInactive, kFiring, kResolved, kInsufficientData };
const char* to_string(AlertState s);

struct AlertInstance {
  std::string slo;
  std::string service;
  std::string rule;
  config::Severity severity = config::Severity::kPage;
  std::string runbook_url;
  double factor = 0;
  std::string long_window;   // "1h"
  std::string short_window;  // "5m"
  double objective_percent = 0;

  AlertState state = AlertState::kInactive;
  Timestamp since{};                     // start of the current (or last) firing span
  std::optional<Timestamp> resolved_at;  // end of the last firing span
  double long_burn_rate = 0;             // at the last evaluation
  double short_burn_rate = 0;
  // Share of the primary budget the bad events of the current (or last) episode consumed: from
  // the start of the short window the rule fired on, until it resolved (or now).
  double budget_consumed = 0;
  bool postmortem_required = false;
  // The incident this firing span belongs to: every rule of one SLO that fires while another of
  // its rules is firing joins that rule's incident, so receivers see one incident per burn, not
  // one per rule. "<slo>@<RFC 3339 time the first rule fired>"; kept after the span ends.
  std::string incident;
  // The largest contributors over the long window while firing (attribution:), e.g.
  // "endpoint=/pay: 91 % of bad events; region=eu: 80 % of bad events"; empty without.
  std::string top_contributors;
  uint64_t events = 0;      // in the long window at the last evaluation
  uint64_t min_events = 0;  // what the rule needs there to fire

  std::string key() const { return slo + "/" + rule; }
};

struct AlertEpisode {
  std::string rule;
  config::Severity severity = config::Severity::kPage;
  Timestamp start{};
  std::optional<Timestamp> end;  // nullopt while firing
  double budget_consumed = 0;
  bool postmortem_required = false;
};

struct AlertChange {
  enum class Kind { kFired, kResolved } kind;
  AlertInstance alert;  // its state after the change
};

class AlertTracker {
 public:
  static constexpr double kPostmortemShare = 0.30;
  static constexpr size_t kEpisodesKept = 20;  // per SLO

  // One evaluation of `slo` at `now`. A change carries the alert as it stands after the whole
  // evaluation (its burn rates and the budget its episode consumed): what the status shows.
  // `blocks`: the evaluator's kept block sums `status` was evaluated with (evaluate_slo), or null;
  // the episode's counts so far are read with them.
  std::vector<AlertChange> observe(const store::StoredSlo& slo, const SloStatus& status, Timestamp now,
                                   SeriesBlocks* blocks = nullptr);
  // After a reload: rules and SLOs that no longer exist are forgotten; firing ones resolve.
  std::vector<AlertChange> retain(const store::SloSet& set, Timestamp now);

  std::vector<AlertInstance> firing() const;
  // Alerts in state insufficient_data (held back by min_events).
  std::vector<AlertInstance> insufficient_data() const;
  std::optional<AlertInstance> find(std::string_view slo, std::string_view rule) const;
  // find(slo, rule)->state == kFiring, without copying the alert (the metrics ask every tick).
  bool is_firing(std::string_view slo, std::string_view rule) const;
  // The SLO's episodes, newest first: the firing ones and the last kEpisodesKept resolved ones.
  std::vector<AlertEpisode> episodes(std::string_view slo) const;

  // The whole state as bytes for a snapshot, and back at start-up (alert_state_io.cpp). load()
  // replaces the state, or leaves it untouched and returns DataLoss.
  std::string save() const;
  Status load(std::string_view saved);

 private:
  // REQUIRES: mu_ held. The incident a rule of `slo` that fires at `since` joins.
  std::string incident_for(const std::string& slo, Timestamp since) const;

  // REQUIRES: mu_ held. key_ set to "<slo>/<rule>", the alerts_ key of that rule.
  const std::string& key_of(std::string_view slo, std::string_view rule) const;

  mutable std::mutex mu_;
  // Guarded by mu_: the lookup key, reused (building a new string per rule per tick was a malloc
  // each, 40,000 a tick at 10,000 SLOs).
  mutable std::string key_;
  std::map<std::string, AlertInstance, std::less<>> alerts_;           // by key()
  std::map<std::string, std::deque<AlertEpisode>, std::less<>> past_;  // by SLO, newest first
};

}  // namespace budgetd::eval
