#pragma once
// Input quoted back in an error message is cut to a short prefix, so that a 7 MiB field name
// gives a short answer (and a short log line, and a short answer stored under an
// Idempotency-Key) instead of an echo of itself.
//
//   bounded_echo("region")                 == "region"
//   bounded_echo(std::string(7 << 20, 'k'))   // 64 k's, then "...(cut; 7340032 bytes)"
//
// The cut never splits a UTF-8 sequence.

#include <cstddef>
#include <string>
#include <string_view>

namespace budgetd {

inline constexpr size_t kMaxEchoBytes = 64;

// `input` whole if it is at most `max` bytes; else its first `max` bytes (fewer, to end on a
// whole UTF-8 character), then "...(cut; N bytes)" with N its full size.
std::string bounded_echo(std::string_view input, size_t max = kMaxEchoBytes);

}  // namespace budgetd
