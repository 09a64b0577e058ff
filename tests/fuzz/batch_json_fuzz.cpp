// libFuzzer: POST /v1/events bodies as JSON (batch_decoder_fuzz.h says what is checked).

#include "batch_decoder_fuzz.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return budgetd::fuzz::fuzz_batch(data, size, budgetd::ingest::BodyFormat::kJson);
}
