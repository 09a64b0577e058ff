// OTLP/HTTP error bodies (otlp_status.h).

#include "budgetd/inputs/otlp_status.h"

#include <google/protobuf/util/json_util.h>

#include "otlp/otlp.pb.h"

namespace budgetd::inputs {

int grpc_code_for_http(int http_status) {
  // google.rpc.Code values (googleapis google/rpc/code.proto).
  constexpr int kUnknown = 2, kInvalidArgument = 3, kPermissionDenied = 7, kResourceExhausted = 8, kUnimplemented = 12,
                kUnavailable = 14, kUnauthenticated = 16;
  switch (http_status) {
    case 400:
      return kInvalidArgument;
    case 401:
      return kUnauthenticated;
    case 403:
      return kPermissionDenied;
    case 404:
      return kUnimplemented;
    case 429:
      return kResourceExhausted;
    case 502:
    case 503:
    case 504:
      return kUnavailable;
    default:
      return kUnknown;
  }
}

std::string otlp_error_body(Encoding encoding, int http_status, std::string_view message) {
  budgetd::otlp::RpcStatus status;
  status.set_code(grpc_code_for_http(http_status));
  status.set_message(std::string(message));
  if (encoding == Encoding::kProtobuf) return status.SerializeAsString();
  std::string out;
  (void)google::protobuf::util::MessageToJsonString(status, &out, google::protobuf::util::JsonPrintOptions());
  return out;
}

}  // namespace budgetd::inputs
