// What keeps a batch applied once: the idempotency table that answers a retried key from its
// first answer, and the write gate that snapshots and reloads close and drain.

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "budgetd/durable/idempotency.h"
#include "budgetd/store/write_gate.h"
#include "durable_fixtures.h"

namespace budgetd::durable {
namespace {

using namespace fixtures;  // NOLINT: the fixtures of this module's tests

TEST(Idempotency, ClaimReplayMismatchInFlightAndExpiry) {
  IdempotencyTable t(kDay, 3);
  std::string answer;
  EXPECT_EQ(t.claim("a", 1, kNow, &answer), IdempotencyTable::Claim::kNew);
  EXPECT_EQ(t.claim("a", 1, kNow, &answer), IdempotencyTable::Claim::kInFlight);
  t.complete({"a", 1, "first", kNow});
  EXPECT_EQ(t.claim("a", 1, kNow + kHour, &answer), IdempotencyTable::Claim::kReplay);
  EXPECT_EQ(answer, "first");
  EXPECT_EQ(t.claim("a", 2, kNow, &answer), IdempotencyTable::Claim::kMismatch);
  EXPECT_EQ(t.claim("b", 1, kNow, &answer), IdempotencyTable::Claim::kNew);
  t.abandon("b");  // its batch failed: a retry is new again
  EXPECT_EQ(t.claim("b", 1, kNow, &answer), IdempotencyTable::Claim::kNew);
  EXPECT_EQ(t.claim("a", 1, kNow + kDay, &answer), IdempotencyTable::Claim::kNew);  // expired after 24h
  for (const char* k : {"c", "d", "e", "f"}) {
    ASSERT_EQ(t.claim(k, 1, kNow, &answer), IdempotencyTable::Claim::kNew);
    t.complete({k, 1, "x", kNow + Millis{k[0]}});
  }
  EXPECT_LE(t.live(kNow + kHour).size(), 3u);  // max_keys evicts the oldest
}

TEST(Idempotency, MemoryCapEvictsTheOldestAnswers) {
  IdempotencyTable t(kDay, 1'000'000, 1 << 20);
  std::string answer;
  for (int i = 0; i < 200; ++i) {
    const std::string key = "key-" + std::to_string(i);
    ASSERT_EQ(t.claim(key, 1, kNow, &answer), IdempotencyTable::Claim::kNew);
    t.complete({key, 1, std::string(20'000, 'e'), kNow + Millis{i}});  // answers listing many errors
  }
  EXPECT_LE(t.bytes(), size_t{1} << 20);
  EXPECT_GT(t.size(), 40u);
  EXPECT_EQ(t.claim("key-199", 1, kNow, &answer), IdempotencyTable::Claim::kReplay);  // the newest stays
  EXPECT_EQ(t.claim("key-0", 1, kNow, &answer), IdempotencyTable::Claim::kNew);       // the oldest went
}

TEST(WriteGate, CloseWaitsForBatchesInsideAndHoldsNewOnes) {
  store::WriteGate gate;
  store::WriteGate::Ticket inside = gate.enter();
  std::atomic<bool> closed{false};
  std::thread closer([&] {
    gate.close_and_drain();
    closed = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(closed.load()) << "the closer must wait for the batch inside";
  inside.reset();
  closer.join();
  EXPECT_TRUE(closed.load());
  std::atomic<bool> entered{false};
  std::thread writer([&] {
    const store::WriteGate::Ticket t = gate.enter();
    entered = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(entered.load()) << "a new batch must wait while the gate is closed";
  gate.open();
  writer.join();
  EXPECT_TRUE(entered.load());
}

TEST(WriteGate, ATicketLeavesTheGateWhenDestroyedOrMoved) {
  store::WriteGate gate;
  {
    store::WriteGate::Ticket a = gate.enter();
    store::WriteGate::Ticket b = std::move(a);  // one exit, not two
    EXPECT_FALSE(a.held());
    EXPECT_TRUE(b.held());
  }
  // Had the moved-from ticket exited too, the count would wrap and the closer would hang.
  std::thread closer([&] { gate.close_and_drain(); });
  closer.join();
  gate.open();
}

}  // namespace
}  // namespace budgetd::durable
