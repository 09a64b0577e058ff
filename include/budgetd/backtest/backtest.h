#pragma once
// `budgetd backtest`: replay a history of SLI events (NDJSON, as POST /v1/events takes it)
// through the same store, evaluator, alert rules and policy as the daemon, on a simulated clock,
// and report what would have happened: which alerts fired and how long after the first bad event
// of their burn, pages and tickets per week, the budget and tier over time, and the gate's answer
// over time. So a team can tune windows and factors on its own history before changing them.
//
//   std::ifstream events("history.ndjson");
//   BacktestOptions o;  o.step = kMinute;
//   Result<BacktestReport> r = run_backtest(config, events, o, on_progress);
//   std::cout << report_text(*r);
//
// Time: the simulated clock is the latest event time seen. Events are applied in time order
// through a reorder buffer of `reorder` (events later than that are applied late, as the daemon
// would have applied them, and counted). The evaluator runs at every multiple of `step` from
// `from` (default: the first event) to `to` (default: the step after the last event), exactly
// as the daemon's evaluator would have at those instants. Events before `from` are replayed to
// fill the windows but nothing is reported for them; events at or after `to` are not read.
//
// Memory: the stream is read line by line; what is kept is the store (fixed per SLO), the
// reorder buffer (per SLO, one entry per 10 s bucket within `reorder`) and the report, whose
// lists are capped (kMaxListed) with counts of what was left out.

#include <cstdint>
#include <functional>
#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/core/status.h"
#include "budgetd/core/time.h"
#include "budgetd/episodes/episode.h"
#include "budgetd/eval/contributors.h"
#include "budgetd/policy/gate.h"

namespace budgetd::backtest {

struct BacktestOptions {
  std::optional<Timestamp> from;
  std::optional<Timestamp> to;
  Millis step{kMinute};     // a multiple of 10 s
  Millis reorder{kMinute};  // how far out of time order events may arrive and still be in order
  size_t max_line_bytes = 1 << 20;
};

struct Progress {
  uint64_t bytes_read = 0;
  uint64_t lines = 0;
  std::optional<Timestamp> simulated;  // the simulated clock, once an event was seen
};

inline constexpr size_t kMaxListed = 1000;  // per list in the report

struct LineError {
  uint64_t line = 0;
  std::string error;
};

struct InputStats {
  uint64_t bytes = 0;
  uint64_t lines = 0;             // non-blank
  uint64_t events = 0;            // well-formed events
  uint64_t applied = 0;           // fed at least one SLO
  uint64_t unmatched = 0;         // fed no SLO
  uint64_t rejected = 0;          // invalid (wrong types, good > total, ...) or too old for every SLO
  uint64_t too_old = 0;           // of the rejected: older than every window retains
  uint64_t malformed = 0;         // lines that are not a JSON object
  uint64_t late = 0;              // applied after the clock had passed their bucket by more than `reorder`
  uint64_t after_to = 0;          // at or after --to: not replayed
  std::vector<LineError> errors;  // the first 20 rejections and malformed lines
};

struct AlertRecord {
  std::string rule;
  config::Severity severity = config::Severity::kPage;
  double factor = 0;
  Timestamp start{};             // when it fired
  std::optional<Timestamp> end;  // when it resolved; nullopt if still firing at the end
  // The first bad event of the burn (see AlertOnset in src/backtest), and start - onset.
  std::optional<Timestamp> onset;
  std::optional<Millis> detection_delay;
  double long_burn_rate = 0;  // when it fired
  double short_burn_rate = 0;
  double budget_consumed = 0;  // by the episode, as the daemon reports it
  bool postmortem_required = false;
};

// A burn episode over the replayed history, built as the daemon builds them
// (episodes::step_episode), with the label values that burned it, read when it ended (or at
// the end of the replay while ongoing).
struct EpisodeRecord {
  episodes::Episode episode;
  std::vector<eval::LabelContributors> contributors;
};

struct TierChange {
  Timestamp at{};
  std::string tier;
  double remaining = 1;
};

struct BudgetSample {
  Timestamp at{};
  double remaining = 1;  // primary budget window
  double sli = 1;
  std::string tier;
  double burn_rate_1h = 0;
};

struct SloHistory {
  std::string slo;
  std::string service;
  double objective_percent = 0;
  std::string window;  // the primary budget window
  std::vector<AlertRecord> alerts;
  uint64_t pages = 0;
  uint64_t tickets = 0;
  uint64_t alerts_omitted = 0;
  std::vector<EpisodeRecord> episodes;  // oldest first; the one still ongoing at the end last
  uint64_t episodes_omitted = 0;
  std::vector<TierChange> tiers;  // the tier at the first evaluation, then every change
  uint64_t tier_changes_omitted = 0;
  std::vector<BudgetSample> daily;  // the first evaluation, then the first one of each UTC day, and the last
  uint64_t daily_omitted = 0;
  std::optional<BudgetSample> lowest;  // the evaluation with the least budget left
  uint64_t evaluation_errors = 0;
};

struct GateChange {
  Timestamp at{};
  policy::Verdict verdict = policy::Verdict::kAllow;
  std::string tier;
  std::string reason;  // the deciding SLO's first reason
};

struct GateHistory {
  std::string service;
  config::ChangeType change = config::ChangeType::kFeature;
  std::vector<GateChange> changes;  // the answer at the first evaluation, then every change of verdict
  uint64_t changes_omitted = 0;
  uint64_t allowed = 0;  // evaluations answered allow (with or without requirements)
  uint64_t with_requirements = 0;
  uint64_t denied = 0;
};

struct BacktestReport {
  std::optional<Timestamp> from;  // the first and last evaluation; nullopt if there was none
  std::optional<Timestamp> to;
  Millis step{kMinute};
  Millis reorder{kMinute};
  uint64_t evaluations = 0;  // evaluation instants
  // Steps skipped in gaps of the history longer than every window, where nothing could change.
  uint64_t skipped_evaluations = 0;
  std::string read_error;  // the event stream failed before its end
  InputStats input;
  std::vector<SloHistory> slos;
  std::vector<GateHistory> gate;  // per service and change type

  // Pages or tickets per 7 days of evaluated time (0 if under one step was evaluated).
  double per_week(uint64_t count) const;
};

// InvalidArgument for options that cannot work (a step that is not a multiple of 10 s, to <= from).
Result<BacktestReport> run_backtest(const config::Config& config, std::istream& events, const BacktestOptions& options,
                                    const std::function<void(const Progress&)>& progress = {});

std::string report_text(const BacktestReport& r);
std::string report_json(const BacktestReport& r);

}  // namespace budgetd::backtest
