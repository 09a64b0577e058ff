#include "otlp_attributes.h"

#include <charconv>

#include <fmt/format.h>

namespace budgetd::inputs {

const budgetd::otlp::AnyValue* find_attribute(const Attributes& attrs, std::string_view key) {
  for (const auto& kv : attrs)
    if (kv.key() == key) return &kv.value();
  return nullptr;
}

std::optional<std::string_view> attribute_text(const budgetd::otlp::AnyValue& v, std::string& scratch) {
  using V = budgetd::otlp::AnyValue;
  switch (v.value_case()) {
    case V::kStringValue:
      return std::string_view(v.string_value());
    case V::kIntValue:
      scratch = fmt::format("{}", v.int_value());
      return std::string_view(scratch);
    case V::kDoubleValue:
      scratch = fmt::format("{}", v.double_value());
      return std::string_view(scratch);
    case V::kBoolValue:
      return std::string_view(v.bool_value() ? "true" : "false");
    default:
      return std::nullopt;
  }
}

std::optional<int64_t> attribute_int(const budgetd::otlp::AnyValue& v) {
  if (v.value_case() == budgetd::otlp::AnyValue::kIntValue) return v.int_value();
  if (v.value_case() != budgetd::otlp::AnyValue::kStringValue) return std::nullopt;
  const std::string& s = v.string_value();
  int64_t out = 0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return out;
}

}  // namespace budgetd::inputs
