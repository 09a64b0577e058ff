// libFuzzer: one write-ahead log record as start-up reads it: the frame (durable::parse_record:
// length, CRC, type, seq) and the batch payload inside it (durable::decode_batch), each over the
// raw input, and the same bytes as an SLO dictionary (durable::decode_dictionary). Checked besides
// crashes: a record that parses frames back to the same bytes, a decoded batch is what its format
// allows, and a format 3 batch rewritten by name (durable::by_name) decodes to the same deltas.

#include <cstdio>
#include <cstdlib>
#include <string_view>
#include <vector>

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
    // Format 3 indexes the log's dictionary, checked where the record is applied.
    check(!batch->by_dictionary || batch->slos.empty(), "a record by index names no SLO");
    for (const auto& d : batch->deltas) {
      check((batch->by_dictionary || d.slo < batch->slos.size()) && d.good <= d.total && d.bucket >= 0,
            "deltas are valid");
    }
    // Rewritten by name against a two-SLO dictionary: a record that decodes again, or damage.
    static const std::vector<durable::BatchRecord::Slo> kDictionary{{"a", 1}, {"b", 2}};
    const Result<std::string> named = durable::by_name(bytes, kDictionary);
    if (named.ok()) {
      const Result<durable::BatchRecord> again = durable::decode_batch(*named);
      check(again.ok() && !again->by_dictionary && again->deltas.size() == batch->deltas.size(),
            "a record rewritten by name decodes with the same deltas");
    } else {
      check(named.status().code() == StatusCode::kDataLoss, "an index past the dictionary is DataLoss");
    }
  } else {
    check(batch.status().code() == StatusCode::kDataLoss, "a bad payload is DataLoss");
  }
  // The same bytes as an SLO dictionary.
  const auto dictionary = durable::decode_dictionary(bytes);
  check(dictionary.ok() || dictionary.status().code() == StatusCode::kDataLoss, "a bad dictionary is DataLoss");
  return 0;
}
