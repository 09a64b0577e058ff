#pragma once
// A burn episode: the span an SLO's alerts fired for one burn, every rule of the SLO that fired
// while another was firing merged into it (the incident of notify/incident.h), with what the
// postmortem's impact section needs: when the bad events began, when the first alert fired
// (detection), when the last resolved, the peak burn rate and the share of the budget it cost.
//
//   Episode e = ...;                          // episodes::step_episode builds them
//   std::string record = encode_episode(e);   // an "episodes" state record (episode_log.h)
//   Result<Episode> back = decode_episode(record);

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/core/status.h"
#include "budgetd/core/time.h"

namespace budgetd::episodes {

// One rule's firing span inside an episode. A rule that fires, resolves and fires again while
// another rule keeps the episode open has one span per firing.
struct RuleSpan {
  std::string rule;
  config::Severity severity = config::Severity::kPage;
  Timestamp fired{};
  std::optional<Timestamp> resolved;  // nullopt while firing
  friend bool operator==(const RuleSpan&, const RuleSpan&) = default;
};

struct Episode {
  std::string id;  // the incident id of its first firing: "<slo>@<RFC 3339 of the first alert>"
  std::string slo;
  std::string service;
  std::string window;  // the primary budget window the consumption is a share of ("30d")
  // Where the burn began: the bucket where the first rule's excess of bad events over its
  // threshold rate, summed back from detection over its long window, peaks (builder.h).
  Timestamp start{};
  Millis start_resolution{0};    // the bucket size `start` was found at
  Timestamp detection{};         // the first alert fired
  std::optional<Timestamp> end;  // the last alert resolved; nullopt while ongoing
  std::vector<RuleSpan> spans;   // in firing order (kMaxSpans at most)
  double peak_burn_rate = 0;     // the highest long-window burn rate of a firing rule, per evaluation
  std::string peak_rule;
  Timestamp peak_at{};
  uint64_t bad_events = 0;           // in [start, end or updated)
  double allowed_bad_events = 0;     // what the primary budget allowed at the last update
  double budget_consumed = 0;        // bad_events / allowed_bad_events
  bool postmortem_required = false;  // budget_consumed >= eval::AlertTracker::kPostmortemShare
  Timestamp updated{};               // the evaluation this version of the episode is from

  static constexpr size_t kMaxSpans = 64;
  bool ongoing() const { return !end.has_value(); }
  // The rules that fired in it, each once, in the order they first fired.
  std::vector<std::string> rules() const;
  friend bool operator==(const Episode&, const Episode&) = default;
};

// The record committed for one version of an episode (JSON), and back; DataLoss if it is not one.
std::string encode_episode(const Episode& e);
Result<Episode> decode_episode(std::string_view record);

}  // namespace budgetd::episodes
