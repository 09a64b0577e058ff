#pragma once
// CRC-32C (Castagnoli), the checksum of every log record and snapshot section. Uses the SSE4.2
// crc32 instruction when the build targets it, else a table.
//
//   uint32_t c = crc32c::value(data, size);
//   uint32_t d = crc32c::extend(c, more, more_size);   // == value(data + more)

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace budgetd::durable::crc32c {

uint32_t extend(uint32_t crc, const void* data, size_t size);
inline uint32_t value(const void* data, size_t size) { return extend(0, data, size); }
inline uint32_t value(std::string_view s) { return value(s.data(), s.size()); }

}  // namespace budgetd::durable::crc32c
