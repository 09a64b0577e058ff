#pragma once
// Reading OTLP attributes (KeyValue lists) as budgetd labels. Private to the inputs module.

#include <optional>
#include <string>
#include <string_view>

#include <google/protobuf/repeated_field.h>

#include "otlp/otlp.pb.h"

namespace budgetd::inputs {

using Attributes = google::protobuf::RepeatedPtrField<budgetd::otlp::KeyValue>;

const budgetd::otlp::AnyValue* find_attribute(const Attributes& attrs, std::string_view key);

// A scalar attribute as label text: strings as they are (a view into the message), ints,
// doubles and bools formatted into `scratch`. nullopt for arrays, maps and bytes.
std::optional<std::string_view> attribute_text(const budgetd::otlp::AnyValue& v, std::string& scratch);

// An integer attribute (or a string of digits, as some SDKs send status codes).
std::optional<int64_t> attribute_int(const budgetd::otlp::AnyValue& v);

}  // namespace budgetd::inputs
