#include "budgetd/core/echo.h"

#include <fmt/format.h>

namespace budgetd {

std::string bounded_echo(std::string_view input, size_t max) {
  if (input.size() <= max) return std::string(input);
  size_t cut = max;
  // Back off to the start of the UTF-8 character the cut would split (continuation bytes are
  // 10xxxxxx); at most 3 bytes for valid UTF-8, and never past the start.
  for (size_t i = 0; i < 3 && cut > 0 && (static_cast<unsigned char>(input[cut]) & 0xC0) == 0x80; ++i) --cut;
  return fmt::format("{}...(cut; {} bytes)", input.substr(0, cut), input.size());
}

}  // namespace budgetd
