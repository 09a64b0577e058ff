#include "budgetd/store/write_gate.h"

namespace budgetd::store {

WriteGate::Ticket WriteGate::enter() {
  for (;;) {
    inside_.fetch_add(1);
    if (!closed_.load()) return Ticket(this);
    // Closed: step back out (waking the closer if we were the last) and wait for open().
    exit();
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return !closed_.load(); });
  }
}

void WriteGate::exit() {
  if (inside_.fetch_sub(1) == 1 && closed_.load()) {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  }
}

void WriteGate::close_and_drain() {
  std::unique_lock lock(mu_);
  closed_.store(true);
  cv_.wait(lock, [&] { return inside_.load() == 0; });
}

void WriteGate::open() {
  {
    std::lock_guard lock(mu_);
    closed_.store(false);
  }
  cv_.notify_all();
}

}  // namespace budgetd::store
