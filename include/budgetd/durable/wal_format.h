#pragma once
// The byte layout of log segments (docs/storage.md):
//
//   segment file  wal/<first seq, 20 digits>.wal  =  "BDWAL001" record*
//   record        u32 length | u32 crc32c | u8 type | 3 zero bytes | u64 seq | payload[length]
//
// Little-endian. The CRC-32C covers length, type, the zero bytes, seq and payload (not itself).
// Sequence numbers start at 1 and rise by exactly one from record to record across segments.
//
//   std::string bytes = frame_record(RecordType::kBatch, 42, payload);
//   std::optional<FramedRecord> r = parse_record(bytes);   // r->seq == 42, r->payload == payload

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace budgetd::durable {

inline constexpr std::string_view kSegmentMagic = "BDWAL001";
inline constexpr size_t kRecordHeaderBytes = 20;
inline constexpr uint32_t kMaxRecordBytes = 256u << 20;  // far above any batch (max_body <= 1 GiB of JSON)

enum class RecordType : uint8_t {
  kBatch = 1,  // an accepted batch's deltas (batch_record.h)
  kState = 2,  // a change to a durable state besides the store (durable_state.h)
  // The SLOs that format 3 batch records of this segment refer to by index, from here on
  // (batch_record.h, Wal::set_dictionary). Replay delivers it whatever its seq.
  kDictionary = 3,
};

std::string segment_name(uint64_t first_seq);
std::optional<uint64_t> parse_segment_name(std::string_view name);
// Header + payload, ready to append.
std::string frame_record(RecordType type, uint64_t seq, std::string_view payload);

struct FramedRecord {
  RecordType type;
  uint64_t seq;
  std::string_view payload;
  size_t size;  // header + payload
};
// The record at the start of `data`, or nullopt if it is incomplete or fails its CRC.
std::optional<FramedRecord> parse_record(std::string_view data);
// The checks of parse_record that need no CRC (a known type, the zero bytes, a length that fits
// in `data`): the size of the record (header + payload) that may start there, or nullopt if none
// can. Costs the same at any offset, whatever the length field says.
std::optional<size_t> plausible_record_size(std::string_view data);

}  // namespace budgetd::durable
