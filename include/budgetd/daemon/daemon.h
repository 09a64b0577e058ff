#pragma once
// A running budgetd: the composition root that main() and the integration tests share. It owns
// the published state (config + SLO set + router), the metrics registry and the HTTP server.
//
//   ManualClock clock{t0};
//   Daemon d(std::move(config), clock);
//   if (Status s = d.start(); !s.ok()) ...;
//   http_get("127.0.0.1", d.port(), "/v1/slos");
//   d.stop();
//
// Thread safety: start()/stop() from one controlling thread; snapshot() from any thread.

#include <atomic>
#include <memory>

#include "budgetd/api/server.h"
#include "budgetd/config/config.h"
#include "budgetd/core/clock.h"
#include "budgetd/metrics/registry.h"

namespace budgetd {

class Daemon final : public api::Backend {
 public:
  Daemon(config::Config config, const Clock& clock);
  ~Daemon() override;

  Status start();
  uint16_t port() const;
  // SIGTERM: drain the server, then return.
  void stop();

  std::shared_ptr<const api::Snapshot> snapshot() const override;
  std::string not_ready_reason() const override;
  metrics::Registry& metrics() { return metrics_; }

 private:
  const Clock& clock_;
  metrics::Registry metrics_;
  // C++20 atomic shared_ptr: requests load the current snapshot once each (never per event);
  // a reload stores a new one. seq_cst (the default) keeps the reasoning trivial at that rate.
  std::atomic<std::shared_ptr<const api::Snapshot>> snapshot_;
  std::unique_ptr<api::Server> server_;
  std::atomic<bool> ready_{false};
};

}  // namespace budgetd
