// Hot reload (SIGHUP, POST /-/reload): a new config replaces the running one without losing the
// counts of any SLO whose identity (name, service, SLI, matchers) is unchanged.

#include <set>

#include <fmt/format.h>

#include "budgetd/config/loader.h"
#include "budgetd/core/log.h"
#include "budgetd/daemon/daemon.h"
#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/wal.h"
#include "budgetd/store/slo_set.h"

namespace budgetd {

namespace {

// Settings a running server cannot change: listed in a warning so nobody expects them to apply.
std::vector<std::string> needs_restart(const config::Config& a, const config::Config& b) {
  std::vector<std::string> out;
  const auto& x = a.server;
  const auto& y = b.server;
  if (x.listen_host != y.listen_host || x.listen_port != y.listen_port) out.push_back("server.listen");
  if (x.threads != y.threads || x.read_threads != y.read_threads || x.ingest_threads != y.ingest_threads) {
    out.push_back("server.threads / read_threads / ingest_threads");
  }
  if (x.max_body_bytes != y.max_body_bytes || x.max_header_bytes != y.max_header_bytes ||
      x.read_timeout != y.read_timeout || x.write_timeout != y.write_timeout || x.idle_timeout != y.idle_timeout ||
      x.max_connections != y.max_connections || x.drain_timeout != y.drain_timeout) {
    out.push_back("server limits and timeouts");
  }
  if (a.storage.dir != b.storage.dir || a.storage.fsync != b.storage.fsync ||
      a.storage.fsync_interval != b.storage.fsync_interval ||
      a.storage.wal_segment_bytes != b.storage.wal_segment_bytes) {
    out.push_back("storage.dir / fsync / fsync_interval / wal_segment_bytes");
  }
  const auto same_targets = [](const std::vector<config::HttpTarget>& p, const std::vector<config::HttpTarget>& q) {
    return std::equal(p.begin(), p.end(), q.begin(), q.end(), [](const auto& t1, const auto& t2) {
      return t1.url == t2.url && t1.timeout == t2.timeout && t1.headers == t2.headers;
    });
  };
  if (!same_targets(a.notify.alertmanagers, b.notify.alertmanagers) ||
      !same_targets(a.notify.webhooks, b.notify.webhooks) || a.notify.resend_interval != b.notify.resend_interval ||
      a.notify.external_url != b.notify.external_url) {
    out.push_back("notify");
  }
  if (a.ingest.idempotency_ttl != b.ingest.idempotency_ttl ||
      a.ingest.idempotency_max_keys != b.ingest.idempotency_max_keys ||
      a.ingest.idempotency_max_bytes != b.ingest.idempotency_max_bytes) {
    out.push_back("ingest.idempotency_ttl / idempotency_max_keys / idempotency_max_bytes");
  }
  return out;
}

}  // namespace

api::ReloadOutcome Daemon::reload() {
  const std::string path = state()->config->source;
  config::LoadResult r = config::load_config_file(path);
  if (!r.ok()) {
    api::ReloadOutcome out;
    for (const auto& d : r.diagnostics) {
      (d.severity == config::Diagnostic::Severity::kError ? out.errors : out.warnings).push_back(d.to_string());
    }
    reloads_failed_.inc();
    log::error("reload: the new config is invalid; the running config stays")
        .field("config", path)
        .field("errors", r.error_text());
    return out;
  }
  api::ReloadOutcome out = apply_config(std::move(*r.config));
  for (const auto& d : r.diagnostics) out.warnings.push_back(d.to_string());
  return out;
}

api::ReloadOutcome Daemon::apply_config(config::Config config) {
  std::lock_guard lock(state_mu_);
  api::ReloadOutcome out;
  if (shutting_down_.load()) {
    out.errors.push_back("budgetd is stopping; start it again to use the new config");
    reloads_failed_.inc();
    return out;
  }
  const auto old = state();
  for (const auto& what : needs_restart(*old->config, config)) {
    out.warnings.push_back(what + " changed: takes effect after a restart");
  }
  auto shared = std::make_shared<const config::Config>(std::move(config));
  {
    // No batch may write into a series while its counts are carried into a new one.
    store::ClosedGate closed(gate_);
    const store::SloSet& before = *old->slos;
    auto after = store::SloSet::build(*shared, &before);
    const Timestamp now = clock_.now();
    for (const store::StoredSlo& s : after->slos()) {
      const store::StoredSlo* prev = before.find(s.spec->name);
      if (prev == nullptr) {
        out.added.push_back(s.spec->name);
      } else if (prev->identity_hash != s.identity_hash) {
        // Another identity is other data: it starts empty, like a new SLO.
        out.added.push_back(s.spec->name);
        out.removed.push_back(s.spec->name);
      } else {
        if (prev->series != s.series) s.series->migrate_from(*prev->series, now);  // windows changed
        // attribution: changed (or the windows): the values and counts of the labels kept carry over.
        if (s.attribution && prev->attribution && prev->attribution != s.attribution)
          s.attribution->migrate_from(*prev->attribution, now);
        if (!(*prev->spec == *s.spec)) out.changed.push_back(s.spec->name);
        ++out.kept;
      }
    }
    for (const store::StoredSlo& s : before.slos()) {
      if (after->find(s.spec->name) == nullptr) out.removed.push_back(s.spec->name);
    }
    // Records from here on name the new set's indexes: the log's dictionary changes with it,
    // while no batch is in flight.
    if (wal_ && !replicator_) wal_->set_dictionary(durable::encode_dictionary(*after));
    publish(make_state(shared, std::move(after)));
  }
  {
    // Alerts of removed rules and SLOs resolve, so no receiver keeps them open. In step with
    // evaluations, so a notification never goes out of order.
    std::lock_guard eval_lock(evaluate_mu_);
    const auto resolved = alerts_.retain(*state()->slos, clock_.now());
    if (notifier_ && !resolved.empty()) notifier_->publish(resolved, alerts_.firing(), clock_.now());
  }
  // The per-SLO metrics follow the new SLOs at once, not at the next tick.
  evaluate_soon();
  {
    // storage.wal_max_bytes and wal_max_store_ratio apply at once: the snapshot loop watches the
    // log with them (it takes snapshot_mu_, which must not be taken under state_mu_).
    std::lock_guard l(loop_mu_);
    log_limit_changed_ = true;
  }
  loop_wake_.notify_all();
  log::Level level = log::Level::info;
  if (log::parse_level(shared->log.level, level)) log::init(level);
  metrics_.gauge("budgetd_slos", "SLOs configured").set(static_cast<double>(shared->slos.size()));
  reloads_ok_.inc();
  out.ok = true;
  const auto join = [](const std::vector<std::string>& v) { return fmt::format("{}", fmt::join(v, ",")); };
  log::info("reload: applied")
      .field("slos", uint64_t{shared->slos.size()})
      .field("kept", uint64_t{out.kept})
      .field("added", join(out.added))
      .field("removed", join(out.removed))
      .field("changed", join(out.changed));
  for (const auto& w : out.warnings) log::warn("reload: warning").field("detail", w);
  return out;
}

}  // namespace budgetd
