#pragma once
// `budgetd export alertmanager`: the Alertmanager config that makes Alertmanager do what
// budgetd's webhooks do by themselves, one notification per incident. budgetd sends each alert
// rule as its own alert (labels alertname=ErrorBudgetBurn, slo, service, severity, rule,
// incident); this config groups them by `slo` (one notification for page-1h, page-6h and
// ticket-1d firing for one burn) and lets a firing page inhibit the tickets of the same SLO.
//
//   AlertmanagerExport e;
//   e.receiver_url = "http://pager.example/hook";   // empty: a receiver to fill in
//   std::cout << alertmanager_config(e);

#include <string>

#include "budgetd/core/time.h"

namespace budgetd::notify {

struct AlertmanagerExport {
  std::string receiver_url;  // a webhook_configs URL for the receiver; empty: none (fill it in)
  Millis group_wait = 30 * kSecond;
  Millis group_interval = 5 * kMinute;
  Millis repeat_interval = 4 * kHour;
};

// A whole alertmanager.yml (route, inhibit_rules, receivers), with comments saying what to
// merge where into an existing one.
std::string alertmanager_config(const AlertmanagerExport& e);

}  // namespace budgetd::notify
