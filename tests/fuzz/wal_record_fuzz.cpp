// libFuzzer: one write-ahead log record as start-up reads it: the frame (durable::parse_record:
// length, CRC, type, seq) and the batch payload inside it (durable::decode_batch), each over the
// raw input. Checked besides crashes: a record that parses frames back to the same bytes, and a
// decoded batch is what its format allows.

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "budgetd/durable/batch_record.h"
#include "budgetd/durable/wal_format.h"
#include "check.h"

namespace {

using namespace budgetd;
using fuzz::check;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);

  if (const auto rec = durable::parse_record(bytes)) {
    check(rec->size <= bytes.size() && rec->size == durable::kRecordHeaderBytes + rec->payload.size(),
          "a record lies within its bytes");
    check(durable::frame_record(rec->type, rec->seq, rec->payload) == bytes.substr(0, rec->size),
          "a parsed record frames back to its bytes");
    check(durable::plausible_record_size(bytes) == rec->size, "a valid record passes the cheap checks");
  }

  // The payload alone: decode_batch runs only on records whose CRC holds, but a CRC says nothing
  // about the bytes a buggy or older writer put there.
  const Result<durable::BatchRecord> batch = durable::decode_batch(bytes);
  if (batch.ok()) {
    for (const auto& d : batch->deltas) {
      check(d.slo < batch->slos.size() && d.good <= d.total && d.bucket >= 0, "deltas are valid");
    }
  } else {
    check(batch.status().code() == StatusCode::kDataLoss, "a bad payload is DataLoss");
  }
  return 0;
}
