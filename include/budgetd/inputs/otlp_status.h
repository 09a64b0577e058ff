#pragma once
// The body of an OTLP/HTTP error answer. The OTLP spec has every 4xx and 5xx carry a
// google.rpc.Status in the request's encoding; senders log its message, and decide whether to
// retry by the HTTP status alone (429, 502, 503, 504), never by the Status code.
//
//   res.body() = otlp_error_body(Encoding::kProtobuf, 400, "the body is not an ExportTraceServiceRequest");
//
// The code follows the OpenTelemetry Collector's receiver (and gRPC's HTTP mapping), so a
// sender's logs read the same behind budgetd as behind a Collector.

#include <string>
#include <string_view>

#include "budgetd/inputs/otlp_traces.h"  // Encoding

namespace budgetd::inputs {

// 400 -> INVALID_ARGUMENT (3), 401 -> UNAUTHENTICATED (16), 403 -> PERMISSION_DENIED (7),
// 404 -> UNIMPLEMENTED (12), 429 -> RESOURCE_EXHAUSTED (8), 502/503/504 -> UNAVAILABLE (14),
// any other status -> UNKNOWN (2).
int grpc_code_for_http(int http_status);

// A google.rpc.Status {code, message}: protobuf bytes, or OTLP/JSON ({"code": 3, "message": ...}).
std::string otlp_error_body(Encoding encoding, int http_status, std::string_view message);

}  // namespace budgetd::inputs
