#pragma once
// Sends alert notifications to Alertmanager (v2 API) and to plain JSON webhooks, from its own
// thread: evaluation and ingest never wait for a receiver. Alertmanager gets every alert rule as
// its own alert (labels slo, service, severity, rule and incident; `budgetd export
// alertmanager` groups and inhibits them); a webhook gets one item per incident and transition
// (incident.h), never one per rule.
//
//   Notifier n(config.notify, metrics);
//   n.publish(changes, firing, now);   // each evaluation tick
//
// Every alert's (webhook: incident's) latest state is kept per target until that target takes it: failed sends (no
// answer, 5xx) are retried with backoff (1 s, 2 s, ... up to 1 min) for as long as it takes, and
// a newer state of the same alert replaces an older one still waiting. So a resolve is never
// lost, only delayed. Only a 4xx (the receiver refuses the request itself) drops an alert, with
// an error log line and budgetd_notifications_total{result="refused"}: resending cannot fix it.
// A refused batch of several alerts is first resent one alert per request, so that one alert
// the receiver cannot take (a label it rejects) does not drop the others with it.
// Firing alerts are re-sent every notify.resend_interval (budgetd's clock), which Alertmanager
// needs to keep them active.
//
// Thread safety: publish() from any thread.

#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "budgetd/config/config.h"
#include "budgetd/eval/alert_tracker.h"
#include "budgetd/metrics/registry.h"
#include "budgetd/notify/incident.h"

namespace budgetd::notify {

class Notifier {
 public:
  Notifier(const config::NotifyConfig& config, metrics::Registry& metrics);
  ~Notifier();
  Notifier(const Notifier&) = delete;
  Notifier& operator=(const Notifier&) = delete;

  // `changes`: alerts that fired or resolved in this evaluation; `firing`: every alert firing now
  // (re-sent when its last send is resend_interval old).
  void publish(const std::vector<eval::AlertChange>& changes, const std::vector<eval::AlertInstance>& firing,
               Timestamp now);
  // Sends what is pending, once, without waiting out backoffs (a clean stop), then stops the thread.
  void stop();

  // The JSON item of one alert, as sent (exposed for tests).
  static std::string alertmanager_item(const eval::AlertInstance& a, Timestamp now, Millis resend_interval,
                                       const std::string& external_url);
  // The v2 alerts endpoint under an Alertmanager URL's path (a route prefix, with or without '/').
  static std::string alertmanager_path(std::string_view base);

 private:
  struct Pending {
    std::string item;  // the alert's JSON
    uint64_t version;  // bumped when a newer state replaces it
    int attempts = 0;
    std::chrono::steady_clock::time_point next_try{};
    bool alone = false;  // refused as part of a batch: goes in a request of its own
  };
  struct Target {
    config::HttpTarget http;
    bool alertmanager;
    std::map<std::string, Pending> pending;  // by alert key (webhooks: by incident id)
    metrics::Counter* sent;
    metrics::Counter* failed;   // will be retried
    metrics::Counter* refused;  // 4xx: dropped
  };
  enum class Fate { kNothingDue, kDelivered, kRefused, kSplit, kRetry };
  void loop();
  // One request with what is due for `t` (the alerts that must go alone, one at a time, first).
  Fate deliver(Target& t, bool ignore_backoff);

  const config::NotifyConfig config_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<Target> targets_;
  std::map<std::string, Timestamp> last_sent_;  // alert key -> budgetd time of its last firing send
  IncidentLog incidents_;                       // what the webhooks last heard of each incident
  // REQUIRES: mu_ held. Queues `item` under `key` for every target of the kind.
  void enqueue(bool alertmanager, const std::string& key, const std::string& item);
  uint64_t version_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace budgetd::notify
