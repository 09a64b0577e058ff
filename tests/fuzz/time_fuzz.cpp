// libFuzzer: the time parsers of core/time.h (RFC 3339 times, unix milliseconds, durations), which
// read event timestamps, ?at= parameters and every duration in the config. Checked besides
// crashes: what parses formats back to the same value, and errors stay short whatever the input.

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "budgetd/core/time.h"
#include "check.h"

namespace {

using namespace budgetd;
using fuzz::check;

// Years 1970-9999 format as four digits, and so parse back.
constexpr int64_t kYear10000Ms = 253402300800000;

void check_error(const Status& s) { check(s.message().size() <= 512, "a parse error is short"); }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);

  const Result<Timestamp> t = parse_rfc3339(text);
  if (t.ok()) {
    const int64_t ms = to_unix_ms(*t);
    if (ms >= 0 && ms < kYear10000Ms) {
      const Result<Timestamp> again = parse_rfc3339(format_rfc3339(*t));
      check(again.ok() && *again == *t, "format_rfc3339 parses back to the same time");
    }
  } else {
    check_error(t.status());
  }

  const Result<Timestamp> any = parse_timestamp(text);
  if (!any.ok()) check_error(any.status());

  const Result<Millis> d = parse_duration(text);
  if (d.ok()) {
    check(d->count() > 0, "a duration is longer than zero");
    const Result<Millis> again = parse_duration(format_duration(*d));
    check(again.ok() && *again == *d, "format_duration parses back to the same duration");
  } else {
    check_error(d.status());
  }
  return 0;
}
