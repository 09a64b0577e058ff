// The JSON checks the batch decoder relies on beyond simdjson's: whole values validated byte for
// byte, numbers told apart from malformed ones, atoms checked exactly.

#include "json_checks.h"

namespace budgetd::ingest {

// Valid JSON of the wrong type or size: the event is rejected alone. Every other error means the
// body is not well-formed JSON and nothing of it may be applied.
bool is_item_error(error_code e) { return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE; }

// A JSON number (RFC 8259 grammar), whatever its size.
bool is_json_number(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t'))
    t.remove_suffix(1);
  size_t i = 0;
  const auto digits = [&] {
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
  } else if (digits() == 0) {
    return false;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return false;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return false;
  }
  return i == t.size();
}

// simdjson reports a well-formed number too large for 64 bits (or a double) as NUMBER_ERROR,
// the same code as a malformed one. Tell them apart: the first is valid JSON, so only the event
// is rejected; the second is malformed and the body is refused.
error_code classify_number_error(od::value& v, error_code e) {
  if (e != simdjson::NUMBER_ERROR) return e;
  return is_json_number(v.raw_json_token()) ? simdjson::NUMBER_OUT_OF_RANGE : e;
}

// A token that type() calls boolean but is not exactly true/false ("tru") is malformed JSON;
// simdjson reports it as INCORRECT_TYPE, which would read as a mere type mismatch.
error_code read_bool(od::value& v, bool& out) {
  const error_code e = v.get_bool().get(out);
  return e == simdjson::INCORRECT_TYPE ? simdjson::T_ATOM_ERROR : e;
}

error_code validate(od::value v, int depth) {
  if (depth > kMaxDepth) return simdjson::DEPTH_ERROR;
  od::json_type type;
  if (auto e = v.type().get(type)) return e;
  switch (type) {
    case od::json_type::object: {
      od::object obj;
      if (auto e = v.get_object().get(obj)) return e;
      for (auto field : obj) {
        std::string_view key;
        if (auto e = field.unescaped_key().get(key)) return e;
        if (auto e = validate(field.value(), depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::array: {
      od::array arr;
      if (auto e = v.get_array().get(arr)) return e;
      for (auto element : arr) {
        od::value child;
        if (auto e = element.get(child)) return e;
        if (auto e = validate(child, depth + 1)) return e;
      }
      return simdjson::SUCCESS;
    }
    case od::json_type::string:
      return v.get_string().error();
    case od::json_type::number: {
      const error_code e = classify_number_error(v, v.get_number().error());
      return e == simdjson::NUMBER_OUT_OF_RANGE ? simdjson::SUCCESS : e;  // valid JSON, just huge
    }
    case od::json_type::boolean: {
      bool b = false;
      return read_bool(v, b);
    }
    case od::json_type::null: {
      bool is_null = false;
      if (auto e = v.is_null().get(is_null)) return e;
      return is_null ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
  }
  return simdjson::TAPE_ERROR;
}

error_code scalar_check(od::document& doc, od::json_type type) {
  switch (type) {
    case od::json_type::string:
      return doc.get_string().error();
    case od::json_type::number: {
      error_code e = doc.get_number().error();
      std::string_view token;
      if (e == simdjson::NUMBER_ERROR && doc.raw_json_token().get(token) == simdjson::SUCCESS &&
          is_json_number(token)) {
        e = simdjson::NUMBER_OUT_OF_RANGE;
      }
      return e == simdjson::NUMBER_OUT_OF_RANGE ? simdjson::SUCCESS : e;
    }
    case od::json_type::boolean: {
      const error_code e = doc.get_bool().error();
      return e == simdjson::INCORRECT_TYPE ? simdjson::T_ATOM_ERROR : e;
    }
    case od::json_type::null: {
      bool n = false;
      if (auto e = doc.is_null().get(n)) return e;
      return n ? simdjson::SUCCESS : simdjson::N_ATOM_ERROR;
    }
    default:
      return simdjson::TAPE_ERROR;
  }
}

}  // namespace budgetd::ingest
