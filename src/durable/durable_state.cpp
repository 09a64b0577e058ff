#include "budgetd/durable/durable_state.h"

#include "encoding.h"

namespace budgetd::durable {

std::string encode_state_record(std::string_view state, std::string_view body) {
  std::string out;
  out.reserve(state.size() + body.size() + 4);
  put_bytes(out, state);
  out.append(body);
  return out;
}

Result<StateRecord> decode_state_record(std::string_view payload) {
  Reader r(payload);
  const std::string_view name = r.bytes();
  if (!r.ok() || name.empty()) return DataLoss("state record: no state name");
  return StateRecord{name, payload.substr(payload.size() - r.remaining())};
}

}  // namespace budgetd::durable
