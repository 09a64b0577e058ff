#include "budgetd/daemon/daemon.h"

#include "budgetd/core/log.h"
#include "budgetd/store/slo_set.h"

#ifndef BUDGETD_VERSION
#define BUDGETD_VERSION "dev"
#endif

namespace budgetd {

namespace {

std::shared_ptr<const api::Snapshot> make_snapshot(std::shared_ptr<const config::Config> config,
                                                   const store::SloSet* previous) {
  auto slos = store::SloSet::build(*config, previous);
  auto snap = std::make_shared<api::Snapshot>();
  snap->config = std::move(config);
  snap->router = std::make_shared<const ingest::Router>(std::move(slos));
  return snap;
}

}  // namespace

Daemon::Daemon(config::Config config, const Clock& clock) : clock_(clock) {
  snapshot_.store(make_snapshot(std::make_shared<const config::Config>(std::move(config)), nullptr));
  metrics_
      .gauge("budgetd_build_info", "Always 1; the labels say which build is running", {{"version", BUDGETD_VERSION}})
      .set(1);
  metrics_.gauge("budgetd_process_start_time_seconds", "When this process started, in unix seconds (budgetd's clock)")
      .set(static_cast<double>(to_unix_ms(clock_.now())) / 1000.0);
  metrics_.gauge("budgetd_slos", "SLOs configured").set(static_cast<double>(snapshot()->router->slos().slos().size()));
}

Daemon::~Daemon() { stop(); }

Status Daemon::start() {
  const auto snap = snapshot();
  size_t memory = 0;
  for (const auto& s : snap->router->slos().slos()) memory += s.series->memory_bytes();
  server_ = std::make_unique<api::Server>(snap->config->server, *this, clock_, metrics_);
  BUDGETD_RETURN_IF_ERROR(server_->start());
  ready_.store(true);
  log::info("budgetd: serving")
      .field("config", snap->config->source)
      .field("slos", uint64_t{snap->router->slos().slos().size()})
      .field("store_bytes", uint64_t{memory})
      .field("port", uint64_t{port()});
  return Status::Ok();
}

uint16_t Daemon::port() const { return server_ ? server_->port() : 0; }

void Daemon::stop() {
  if (!server_) return;
  ready_.store(false);
  server_->drain();
  server_.reset();
  log::info("budgetd: stopped");
}

std::shared_ptr<const api::Snapshot> Daemon::snapshot() const { return snapshot_.load(); }

std::string Daemon::not_ready_reason() const { return ready_.load() ? "" : "starting or draining"; }

}  // namespace budgetd
