#pragma once
// Raw little-endian words in and out of atomics, for snapshots. Private to the store module.

#include <atomic>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>

namespace budgetd::store {

static_assert(std::endian::native == std::endian::little, "snapshots copy words as little-endian bytes");

// Appends the words word(0) .. word(n-1) (each a std::atomic<uint64_t>&), loaded relaxed:
// snapshots copy while the write gate holds writers off, and the gate's synchronisation orders
// these loads after every write.
template <typename WordAt>
void append_words(std::string& out, size_t n, WordAt word) {
  uint64_t chunk[512];
  for (size_t done = 0; done < n;) {
    const size_t k = std::min(n - done, std::size(chunk));
    for (size_t i = 0; i < k; ++i) chunk[i] = word(done + i).load(std::memory_order_relaxed);
    out.append(reinterpret_cast<const char*>(chunk), k * sizeof(uint64_t));
    done += k;
  }
}

// Stores n words from `bytes` (relaxed: REQUIRES no concurrent access; publishing the series
// orders them for its later readers).
template <typename WordAt>
void load_words(const char* bytes, size_t n, WordAt word) {
  for (size_t i = 0; i < n; ++i) {
    uint64_t v;
    std::memcpy(&v, bytes + 8 * i, sizeof v);
    word(i).store(v, std::memory_order_relaxed);
  }
}

}  // namespace budgetd::store
