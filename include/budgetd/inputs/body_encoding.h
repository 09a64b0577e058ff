#pragma once
// Content-Encoding and compression of the bodies senders post: gzip (POST /v1/events, OTLP/HTTP)
// and snappy (remote_write).
//
//   Result<std::string> raw = gunzip(body, max_body_bytes);   // OutOfRange: over the bound (413)
//   Result<std::string> pb = snappy_uncompress(body, max_body_bytes);
//
// Both stop at `max_bytes` of output, so a small compressed body cannot expand into gigabytes
// (a zip bomb is answered 413 and costs at most max_bytes of memory).

#include <cstdint>
#include <string>
#include <string_view>

#include "budgetd/core/status.h"

namespace budgetd::inputs {

// gzip (RFC 1952; several members are read as one body) or zlib data. InvalidArgument when
// corrupt or followed by anything but another member; OutOfRange past max_bytes (exactly
// max_bytes is taken).
Result<std::string> gunzip(std::string_view compressed, uint64_t max_bytes);

// Snappy block format (what remote_write 1.0 sends; not the framed format).
Result<std::string> snappy_uncompress(std::string_view compressed, uint64_t max_bytes);

}  // namespace budgetd::inputs
