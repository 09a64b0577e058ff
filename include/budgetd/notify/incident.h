#pragma once
// One notification per incident, not one per rule. While several rules of one SLO fire for one
// burn (page-1h, page-6h, ticket-1d, ...) they share an incident (AlertInstance::incident), and
// a webhook hears of it once per transition:
//
//   opened     the incident's first rule fired
//   escalated  a page fired in an incident that had only tickets
//   updated    re-sent every notify.resend_interval while firing (rules that joined or left,
//              the burn rates and the budget consumed so far); also the first word after a
//              restart for an incident that was already open
//   resolved   its last rule stopped firing
//
//   IncidentLog incidents;
//   for (const Incident& i : incidents.step(changes, firing, now, resend_interval)) send(i);
//
// Thread safety: none; the notifier calls it under its own mutex.

#include <map>
#include <string>
#include <vector>

#include "budgetd/eval/alert_tracker.h"

namespace budgetd::notify {

enum class Transition { kOpened, kEscalated, kUpdated, kResolved };
const char* to_string(Transition t);

struct Incident {
  std::string id;
  Transition transition = Transition::kOpened;
  // The firing ones, then those that stopped since the last send (state resolved); for a
  // resolve, every rule it last had, as each ended.
  std::vector<eval::AlertInstance> rules;

  // Over its rules: the highest severity (of the firing ones while any fire), the first `since`, the largest budget
  // consumed (the rules' episodes overlap, so they are not added up), whether any requires a postmortem.
  config::Severity severity() const;
  Timestamp since() const;
  double budget_consumed() const;
  bool postmortem_required() const;
};

class IncidentLog {
 public:
  // `changes` and `firing` as Notifier::publish takes them. Returns the incidents to send now.
  std::vector<Incident> step(const std::vector<eval::AlertChange>& changes,
                             const std::vector<eval::AlertInstance>& firing, Timestamp now, Millis resend_interval);

 private:
  struct Open {
    bool paged = false;  // a page-severity rule was in what was last sent
    Timestamp last_sent{};
    std::vector<eval::AlertInstance> rules;  // as last seen firing
    std::vector<eval::AlertInstance> left;   // resolved since the last send, while others fire on
  };
  std::map<std::string, Open> open_;  // by incident id
};

// The webhook's JSON of one incident: {"id", "transition", "status", "slo", "service",
// "severity", "since", "resolved_at", "budget_consumed", "postmortem_required", "summary",
// "url"?, "rules": [alert_json of each rule]}.
std::string incident_json(const Incident& incident, Timestamp now, const std::string& external_url);

}  // namespace budgetd::notify
