#include "budgetd/notify/notifier.h"

#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "budgetd/core/log.h"
#include "budgetd/eval/alert_json.h"
#include "budgetd/net/http_client.h"

namespace budgetd::notify {

namespace {

using json = nlohmann::ordered_json;
using Steady = std::chrono::steady_clock;

std::string summary(const eval::AlertInstance& a) {
  if (a.state != eval::AlertState::kFiring)
    return fmt::format("{}: error budget burn over {} has stopped ({})", a.slo, a.long_window, a.rule);
  return fmt::format("{}: error budget burning {:.1f}x over {} ({})", a.slo, a.long_burn_rate, a.long_window, a.rule);
}

std::string description(const eval::AlertInstance& a) {
  std::string d = fmt::format(
      "The {} SLO of {} ({}%) burned its error budget {:.2f}x over the last {} and {:.2f}x over the last {}; "
      "{} fires above {:.4g}x.",
      a.slo, a.service, a.objective_percent, a.long_burn_rate, a.long_window, a.short_burn_rate, a.short_window, a.rule,
      a.factor);
  if (a.budget_consumed > 0)
    d += fmt::format(" This burn has consumed {:.1f} % of the budget.", a.budget_consumed * 100);
  if (a.postmortem_required) d += " It consumed 30 % or more of the budget: a postmortem is required.";
  if (!a.top_contributors.empty())
    d += fmt::format(" Top contributors over {}: {}.", a.long_window, a.top_contributors);
  return d;
}

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace

std::string Notifier::alertmanager_item(const eval::AlertInstance& a, Timestamp now, Millis resend_interval,
                                        const std::string& external_url) {
  json annotations = {{"summary", summary(a)}, {"description", description(a)}};
  if (!a.runbook_url.empty()) annotations["runbook_url"] = a.runbook_url;
  if (a.postmortem_required) annotations["postmortem_required"] = "true";
  if (!a.top_contributors.empty()) annotations["top_contributors"] = a.top_contributors;
  // While firing, endsAt lies a few resend intervals ahead: Alertmanager resolves the alert by
  // itself if budgetd stops re-sending it. A resolve carries the moment it ended.
  const Timestamp ends = a.state == eval::AlertState::kFiring ? now + 4 * resend_interval : a.resolved_at.value_or(now);
  json item = {{"labels",
                {{"alertname", "ErrorBudgetBurn"},
                 {"slo", a.slo},
                 {"service", a.service},
                 {"severity", config::to_string(a.severity)},
                 {"rule", a.rule},
                 {"incident", a.incident}}},
               {"annotations", std::move(annotations)},
               {"startsAt", format_rfc3339(a.since)},
               {"endsAt", format_rfc3339(ends)}};
  if (!external_url.empty()) item["generatorURL"] = external_url + "/v1/slos/" + a.slo;
  return dump(item);
}

std::string Notifier::alertmanager_path(std::string_view base) {
  // "http://am:9093", ".../", ".../prefix/" and ".../prefix" all reach <prefix>/api/v2/alerts.
  while (!base.empty() && base.back() == '/') base.remove_suffix(1);
  return std::string(base) + "/api/v2/alerts";
}

Notifier::Notifier(const config::NotifyConfig& config, metrics::Registry& metrics) : config_(config) {
  const auto add = [&](const config::HttpTarget& t, bool am) {
    Target target{t, am, {}, nullptr, nullptr, nullptr};
    target.sent = &metrics.counter("budgetd_notifications_total", "Alert notification requests, by target and result",
                                   {{"target", t.url}, {"result", "sent"}});
    target.failed = &metrics.counter("budgetd_notifications_total", "Alert notification requests, by target and result",
                                     {{"target", t.url}, {"result", "failed"}});
    target.refused =
        &metrics.counter("budgetd_notifications_total", "Alert notification requests, by target and result",
                         {{"target", t.url}, {"result", "refused"}});
    targets_.push_back(std::move(target));
  };
  for (const auto& t : config.alertmanagers) add(t, true);
  for (const auto& t : config.webhooks) add(t, false);
  if (!targets_.empty()) thread_ = std::thread([this] { loop(); });
}

Notifier::~Notifier() { stop(); }

void Notifier::enqueue(bool alertmanager, const std::string& key, const std::string& item) {
  ++version_;
  for (Target& t : targets_) {
    if (t.alertmanager != alertmanager) continue;
    Pending& p = t.pending[key];
    p.item = item;
    p.version = version_;
    // A new state goes out now; a retry of an older one keeps its backoff.
    p.attempts = 0;
    p.next_try = {};
    p.alone = false;
  }
}

void Notifier::publish(const std::vector<eval::AlertChange>& changes, const std::vector<eval::AlertInstance>& firing,
                       Timestamp now) {
  if (targets_.empty()) return;
  std::lock_guard lock(mu_);
  const auto to_alertmanager = [&](const eval::AlertInstance& a) {
    enqueue(true, a.key(), alertmanager_item(a, now, config_.resend_interval, config_.external_url));
  };
  for (const eval::AlertChange& c : changes) {
    to_alertmanager(c.alert);
    if (c.kind == eval::AlertChange::Kind::kFired)
      last_sent_[c.alert.key()] = now;
    else
      last_sent_.erase(c.alert.key());
  }
  for (const eval::AlertInstance& a : firing) {
    auto it = last_sent_.find(a.key());
    if (it != last_sent_.end() && it->second + config_.resend_interval > now) continue;
    to_alertmanager(a);
    last_sent_[a.key()] = now;
  }
  for (const Incident& i : incidents_.step(changes, firing, now, config_.resend_interval)) {
    enqueue(false, i.id, incident_json(i, now, config_.external_url));
  }
  wake_.notify_all();
}

Notifier::Fate Notifier::deliver(Target& t, bool ignore_backoff) {
  // REQUIRES: mu_ held (released around the request).
  const auto now = Steady::now();
  std::vector<std::pair<std::string, uint64_t>> batch;  // key, version
  std::string items;
  const auto due = [&](const Pending& p) { return ignore_backoff || p.next_try <= now; };
  const auto alone = std::find_if(t.pending.begin(), t.pending.end(),
                                  [&](const auto& kv) { return kv.second.alone && due(kv.second); });
  if (alone != t.pending.end()) {
    batch.emplace_back(alone->first, alone->second.version);
    items = alone->second.item;
  } else {
    for (const auto& [key, p] : t.pending) {
      if (p.alone || !due(p)) continue;
      batch.emplace_back(key, p.version);
      items += (items.empty() ? "" : ",") + p.item;
    }
  }
  if (batch.empty()) return Fate::kNothingDue;
  const std::string body =
      t.alertmanager ? "[" + items + "]" : R"({"version":"2","source":"budgetd","incidents":[)" + items + "]}";
  const std::string path = t.alertmanager ? alertmanager_path(t.http.path) : t.http.path;
  const config::HttpTarget http = t.http;
  mu_.unlock();
  const Result<net::HttpAnswer> answer = net::http_request(http, "POST", path, body);
  mu_.lock();
  // 2xx: delivered. 4xx (but 408 and 429): the receiver refuses what we sent, and sending it
  // again cannot help: drop it, loudly. Anything else (no answer, 5xx, 408, 429): retry.
  Fate fate = Fate::kRetry;
  std::string error;
  if (!answer.ok()) {
    error = answer.status().message();
  } else if (answer->status >= 200 && answer->status < 300) {
    fate = Fate::kDelivered;
  } else {
    error = fmt::format("answered {}: {}", answer->status, answer->body.substr(0, 300));
    if (answer->status >= 400 && answer->status < 500 && answer->status != 408 && answer->status != 429)
      fate = batch.size() > 1 ? Fate::kSplit : Fate::kRefused;
  }
  for (const auto& [key, version] : batch) {
    auto it = t.pending.find(key);
    if (it == t.pending.end() || it->second.version != version) continue;  // replaced meanwhile: send the new one
    if (fate == Fate::kSplit) {
      it->second.alone = true;  // due at once, in a request of its own
      it->second.next_try = {};
    } else if (fate != Fate::kRetry) {
      t.pending.erase(it);
    } else {
      Pending& p = it->second;
      ++p.attempts;
      // 1 s, 2 s, 4 s ... then every minute.
      p.next_try =
          Steady::now() + std::chrono::seconds(std::min<int64_t>(60, int64_t{1} << std::min(p.attempts - 1, 6)));
    }
  }
  if (fate == Fate::kDelivered) {
    t.sent->inc();
  } else if (fate == Fate::kRefused) {
    t.refused->inc();
    log::error("notify: the receiver refused an alert; it is dropped (fix the receiver or budgetd's config)")
        .field("target", http.url)
        .field("alert", batch.front().first)
        .field("error", error);
  } else if (fate == Fate::kSplit) {
    t.refused->inc();
    log::warn("notify: the receiver refused a batch of alerts; resending each alone so one bad alert drops no other")
        .field("target", http.url)
        .field("alerts", uint64_t{batch.size()})
        .field("error", error);
  } else {
    t.failed->inc();
    log::warn("notify: sending alerts failed; retrying with backoff")
        .field("target", http.url)
        .field("alerts", uint64_t{batch.size()})
        .field("error", error);
  }
  return fate;
}

void Notifier::loop() {
  std::unique_lock lock(mu_);
  while (!stop_) {
    auto next = Steady::time_point::max();
    for (const Target& t : targets_) {
      for (const auto& [key, p] : t.pending) next = std::min(next, p.next_try);
    }
    if (next > Steady::now()) {
      if (next == Steady::time_point::max())
        wake_.wait(lock);
      else
        wake_.wait_until(lock, next);
      continue;
    }
    for (Target& t : targets_) deliver(t, false);
  }
  // A clean stop: one last try for whatever is still pending (a resolve above all). A split batch
  // goes out alert by alert; a receiver that does not answer is not tried again.
  for (Target& t : targets_) {
    for (size_t guard = 2 * t.pending.size() + 2; guard > 0; --guard) {
      const Fate f = deliver(t, true);
      if (f == Fate::kNothingDue || f == Fate::kRetry) break;
    }
  }
}

void Notifier::stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace budgetd::notify
