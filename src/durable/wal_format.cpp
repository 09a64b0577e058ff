#include "budgetd/durable/wal_format.h"

#include <charconv>

#include <fmt/format.h>

#include "budgetd/durable/crc32c.h"
#include "encoding.h"

namespace budgetd::durable {

std::string segment_name(uint64_t first_seq) { return fmt::format("{:020}.wal", first_seq); }

std::optional<uint64_t> parse_segment_name(std::string_view name) {
  if (name.size() != 24 || name.substr(20) != ".wal") return std::nullopt;
  uint64_t seq = 0;
  const auto [end, ec] = std::from_chars(name.data(), name.data() + 20, seq);
  if (ec != std::errc{} || end != name.data() + 20) return std::nullopt;
  return seq;
}

namespace {
uint32_t record_crc(std::string_view header, std::string_view payload) {
  uint32_t c = crc32c::extend(0, header.data(), 4);  // length
  c = crc32c::extend(c, header.data() + 8, 12);      // type, zeros, seq
  return crc32c::extend(c, payload.data(), payload.size());
}
}  // namespace

std::string frame_record(RecordType type, uint64_t seq, std::string_view payload) {
  std::string out;
  out.reserve(kRecordHeaderBytes + payload.size());
  put_u32(out, static_cast<uint32_t>(payload.size()));
  put_u32(out, 0);  // crc, filled in below
  out.push_back(static_cast<char>(type));
  out.append(3, '\0');
  put_u64(out, seq);
  out.append(payload);
  const uint32_t crc = record_crc(out, payload);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>(crc >> (8 * i));
  return out;
}

std::optional<size_t> plausible_record_size(std::string_view data) {
  if (data.size() < kRecordHeaderBytes) return std::nullopt;
  const auto type = static_cast<RecordType>(data[8]);
  if ((type != RecordType::kBatch && type != RecordType::kState && type != RecordType::kDictionary) || data[9] != 0 ||
      data[10] != 0 || data[11] != 0)
    return std::nullopt;
  const uint32_t length = get_u32(data.data());
  if (length > kMaxRecordBytes || length > data.size() - kRecordHeaderBytes) return std::nullopt;
  return kRecordHeaderBytes + length;
}

std::optional<FramedRecord> parse_record(std::string_view data) {
  // The checks that cost nothing first: garbage fails them before its CRC is computed.
  const std::optional<size_t> size = plausible_record_size(data);
  if (!size) return std::nullopt;
  const std::string_view payload = data.substr(kRecordHeaderBytes, *size - kRecordHeaderBytes);
  if (get_u32(data.data() + 4) != record_crc(data, payload)) return std::nullopt;
  return FramedRecord{static_cast<RecordType>(data[8]), get_u64(data.data() + 12), payload, *size};
}

}  // namespace budgetd::durable
