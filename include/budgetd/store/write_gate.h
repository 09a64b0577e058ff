#pragma once
// Lets a snapshot (or a reload) see the store at a point where every batch logged so far is
// fully applied and no later one is partly applied: the consistent cut a snapshot needs so that
// replaying the log after it counts every batch exactly once.
//
//   gate.enter();  append to the log; apply to the store;  gate.exit();   // each batch
//
//   gate.close_and_drain();   // snapshot: new batches wait, those inside finish
//   cut = wal.last_seq();  copy the store;
//   gate.open();
//
// Batches never wait for each other here: enter() and exit() are one atomic add each. They wait
// only while the gate is closed, i.e. while a snapshot copies the store (about 1 ms per 100 SLOs).
//
// Thread safety: enter()/exit() from any thread (exit() may run on another thread than its
// enter(), e.g. after a group fsync); one closer at a time.

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

namespace budgetd::store {

class WriteGate {
 public:
  void enter();
  void exit();
  void close_and_drain();
  void open();

 private:
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
