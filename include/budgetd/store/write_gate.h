#pragma once
// Lets a snapshot (or a reload) see the store at a point where every batch logged so far is
// fully applied and no later one is partly applied: the consistent cut a snapshot needs so that
// replaying the log after it counts every batch exactly once.
//
//   WriteGate::Ticket t = gate.enter();   // each batch: append to the log, apply to the store,
//   ...                                   // then let `t` go (it exits when destroyed)
//
//   ClosedGate closed(gate);              // snapshot: new batches wait, those inside finish
//   cut = wal.last_seq();  copy the store;
//                                         // ~ClosedGate opens it again
//
// Batches never wait for each other here: entering and exiting are one atomic add each. They
// wait only while the gate is closed, i.e. while a snapshot copies the store (about 1 ms per
// 100 SLOs) or a reload swaps the SLO set.
//
// Thread safety: enter() and Ticket destruction from any thread (a ticket may be destroyed on
// another thread than the one that entered, e.g. the log's after a group fsync); one closer at
// a time (callers serialise close_and_drain()/open(), Daemon under its state mutex).

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <utility>

namespace budgetd::store {

class WriteGate {
 public:
  // Being inside the gate. Move-only; leaving is the destructor (or reset()), so no early
  // return and no error path can leave the gate held.
  class [[nodiscard]] Ticket {
   public:
    Ticket() = default;
    Ticket(Ticket&& other) noexcept : gate_(std::exchange(other.gate_, nullptr)) {}
    Ticket& operator=(Ticket&& other) noexcept {
      if (this != &other) {
        reset();
        gate_ = std::exchange(other.gate_, nullptr);
      }
      return *this;
    }
    Ticket(const Ticket&) = delete;
    Ticket& operator=(const Ticket&) = delete;
    ~Ticket() { reset(); }

    // Leaves the gate now; a no-op on an empty (moved-from) ticket.
    void reset() {
      if (gate_ != nullptr) std::exchange(gate_, nullptr)->exit();
    }
    bool held() const { return gate_ != nullptr; }

   private:
    friend class WriteGate;
    explicit Ticket(WriteGate* gate) : gate_(gate) {}
    WriteGate* gate_ = nullptr;
  };

  // Waits while the gate is closed.
  Ticket enter();
  void close_and_drain();
  void open();

 private:
  void exit();

  // seq_cst on `inside_` and `closed_`: enter() increments then reads closed_, the closer sets
  // closed_ then reads inside_ (a Dekker pattern); only a single total order guarantees one of
  // them sees the other. acquire/release would allow both to miss.
  std::atomic<uint32_t> inside_{0};
  std::atomic<bool> closed_{false};
  std::mutex mu_;  // only for sleeping while the gate is closed
  std::condition_variable cv_;
};

// Closes the gate for one scope.
class ClosedGate {
 public:
  explicit ClosedGate(WriteGate& g) : g_(g) { g_.close_and_drain(); }
  ~ClosedGate() { g_.open(); }
  ClosedGate(const ClosedGate&) = delete;
  ClosedGate& operator=(const ClosedGate&) = delete;

 private:
  WriteGate& g_;
};

}  // namespace budgetd::store
