#pragma once
// The evaluation side of a backtest: at each simulated instant, evaluate every SLO exactly as the
// daemon's evaluator does (eval::evaluate_slo, eval::AlertTracker, policy tiers and the gate) and
// write down what changed. Private to the backtest module.
//
//   Recorder rec(slo_set, config);
//   rec.on_counts(slo, good, total, first_bad);   // as each 10 s bucket is replayed
//   rec.evaluate(t);                              // at every step
//   rec.finish(report);
//
// Thread safety: none; one thread drives a backtest.

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "budgetd/backtest/backtest.h"
#include "budgetd/episodes/episode.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/policy/assessment.h"
#include "budgetd/store/slo_set.h"

namespace budgetd::backtest {

// Where a burn began, for an alert's detection delay: a one-sided CUSUM of the SLO's bad events
// in excess of the rule's threshold rate, k = factor x (1 - objective):
//
//   excess <- max(0, excess + bad - k x total)
//
// `excess` leaves 0 when errors come faster than the rule's rate and returns to 0 only once the
// events since then hold no more errors than that rate allows. So the bad event that last lifted
// it off 0 is where the burn the rule detects began (Page's CUSUM change-point estimate): exact
// for a sudden outage, and not fooled by a background error rate below the rule's threshold.
struct AlertOnset {
  double excess = 0;
  std::optional<Timestamp> onset;  // of the current excursion, or of the last one once it ended

  void add(double k, uint64_t good, uint64_t total, Timestamp first_bad);
};

class Recorder {
 public:
  Recorder(std::shared_ptr<const store::SloSet> slos, Millis lookback);

  // The counts one replayed 10 s bucket added to SLO `slo`; first_bad is the time of its first
  // bad event (only read when good < total).
  void on_counts(uint32_t slo, uint64_t good, uint64_t total, Timestamp first_bad);
  void evaluate(Timestamp t);
  uint64_t evaluations() const { return evaluations_; }
  // Closes the books: alerts still firing keep end = nullopt and get their consumption so far.
  void finish(BacktestReport& report);

 private:
  struct SloState {
    std::vector<AlertOnset> onsets;  // per spec->alert_rules entry
    std::optional<size_t> tier;
    std::optional<BudgetSample> last_sample;
    int64_t last_sample_day = 0;
    std::optional<episodes::Episode> episode;  // ongoing, as last built
  };
  struct ServiceGate {
    std::string service;
    std::vector<uint32_t> slos;
    // What the answers depend on besides the text: per SLO, the tier and whether a page fires.
    std::vector<std::pair<size_t, bool>> inputs;
    std::array<policy::GateDecision, config::kChangeTypes.size()> last;
    bool decided = false;
  };

  void record_alert_change(uint32_t slo, const eval::AlertChange& c);
  // After the tracker observed SLO `slo` at `t`: the next version of its burn episode, listed once it ends.
  void record_episode(uint32_t slo, const eval::SloStatus& status, Timestamp t);
  void list_episode(uint32_t slo, episodes::Episode e, Timestamp t);
  void record_budget(uint32_t slo, const policy::SloAssessment& a, Timestamp t);
  void record_gate(ServiceGate& g, const std::vector<std::optional<policy::SloAssessment>>& assessed, Timestamp t);

  std::shared_ptr<const store::SloSet> slos_;
  Millis lookback_;
  eval::AlertTracker tracker_;
  std::optional<Timestamp> last_evaluation_;
  std::vector<SloState> state_;
  std::vector<SloHistory> history_;
  std::vector<ServiceGate> services_;
  std::vector<GateHistory> gate_;              // services_[i]'s change type c at i * 4 + c
  std::map<std::string, size_t> open_alerts_;  // "slo/rule" -> index in its history's alerts
  uint64_t evaluations_ = 0;
};

}  // namespace budgetd::backtest
