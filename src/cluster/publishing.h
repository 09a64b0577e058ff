#pragma once
// What the two publishers (replicator.cpp: ack: replicated; local_publisher.cpp: ack: local)
// share. Private to the cluster module.

#include <chrono>
#include <cstddef>

namespace budgetd::cluster::publishing {

using SteadyClock = std::chrono::steady_clock;
// Records one pipeline carries: enough to amortise a round trip (and one WAIT) over a burst of
// batches, small enough that a pipeline stays well inside the command timeout.
inline constexpr size_t kMaxPipeline = 256;
// Spacing of the publisher's look at its server's ROLE (for /v1/cluster; reads never wait on Redis).
inline constexpr auto kRoleEvery = std::chrono::seconds(1);

inline double seconds_since(SteadyClock::time_point t) {
  return std::chrono::duration<double>(SteadyClock::now() - t).count();
}

}  // namespace budgetd::cluster::publishing
