#pragma once
// Reading one config file, the main one or one under `include:`, whatever its path names. Only
// a regular file is read, and at most `max_bytes` of it: a FIFO would block the reader (and with
// it `budgetd check` or a reload) until a writer comes, /dev/zero never ends, and a directory
// reads as nothing at all. Private to the config module.
//
//   Result<std::string> text = read_config_file("slos/checkout.yaml", kDefaultIncludeMaxBytes);
//   if (!text.ok()) diags.error(at, "include: cannot read slos/checkout.yaml: " + text.status().message());

#include <cstdint>
#include <string>

#include "budgetd/core/status.h"

namespace budgetd::config {

// The whole file, or why not: it does not exist or cannot be opened (strerror), it is not a
// regular file (which kind it is): InvalidArgument; it is larger than max_bytes (how large, and
// the limit): OutOfRange.
Result<std::string> read_config_file(const std::string& path, uint64_t max_bytes);

// "4 MiB", "16 KiB", "4194305 bytes": a byte count as a message gives it, exactly.
std::string format_bytes(uint64_t bytes);

}  // namespace budgetd::config
