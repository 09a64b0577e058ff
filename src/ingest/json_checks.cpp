// The JSON checks the batch decoder relies on beyond simdjson's: whole values validated byte for
// byte, numbers told apart from malformed ones, atoms checked exactly.

#include "json_checks.h"

namespace budgetd::ingest {

// Valid JSON of the wrong type or size: the event is rejected alone. Every other error means the
// body is not well-formed JSON and nothing of it may be applied.
bool is_item_error(error_code e) { return e == simdjson::INCORRECT_TYPE || e == simdjson::NUMBER_OUT_OF_RANGE; }

bool is_json_number(std::string_view t) {
  while (!t.empty() && (t.back() == ' ' || t.back() == '\n' || t.back() == '\r' || t.back() == '\t'))
    t.remove_suffix(1);
  return !t.empty() && json_number_length(t) == t.size();
}

size_t json_number_length(std::string_view t) {
  size_t i = 0;
  const auto digits = [&] {
    const size_t start = i;
    while (i < t.size() && t[i] >= '0' && t[i] <= '9') ++i;
    return i - start;
  };
  if (i < t.size() && t[i] == '-') ++i;
  if (i < t.size() && t[i] == '0') {
    ++i;
    if (i < t.size() && t[i] >= '0' && t[i] <= '9') return 0;  // a leading zero
  } else if (digits() == 0) {
    return 0;
  }
  if (i < t.size() && t[i] == '.') {
    ++i;
    if (digits() == 0) return 0;
  }
  if (i < t.size() && (t[i] == 'e' || t[i] == 'E')) {
    ++i;
    if (i < t.size() && (t[i] == '+' || t[i] == '-')) ++i;
    if (digits() == 0) return 0;
  }
  return i;
}

size_t skip_whitespace(std::string_view text, size_t from) {
  while (from < text.size() && (text[from] == ' ' || text[from] == '\n' || text[from] == '\r' || text[from] == '\t'))
    ++from;
  return from;
}

size_t end_of_first_value(std::string_view text) {
  size_t i = skip_whitespace(text, 0);
  if (i == text.size() || (text[i] != '{' && text[i] != '[')) return text.size();
  size_t depth = 0;
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '"') {
      for (++i; i < text.size() && text[i] != '"'; ++i) {
        if (text[i] == '\\') ++i;  // the escaped byte cannot end the string
      }
    } else if (c == '{' || c == '[') {
      ++depth;
    } else if ((c == '}' || c == ']') && --depth == 0) {
      return i + 1;
    }
  }
  return text.size();
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

error_code scalar_line_end(od::document& doc, od::json_type type, std::string_view text, size_t& end) {
  switch (type) {
    case od::json_type::string: {
      if (auto e = doc.get_string().error()) return e;
      const char* at = nullptr;
      end = doc.current_location().get(at) == simdjson::SUCCESS && at >= text.data()
                ? static_cast<size_t>(at - text.data())
                : text.size();
      return simdjson::SUCCESS;
    }
    case od::json_type::number:
      // Valid JSON whatever its size: only the event is rejected, so simdjson's range is moot.
      end = json_number_length(text);
      return end == 0 ? simdjson::NUMBER_ERROR : simdjson::SUCCESS;
    case od::json_type::boolean:
    case od::json_type::null:
      for (const std::string_view atom : {"true", "false", "null"}) {
        if (text.substr(0, atom.size()) == atom) {
          end = atom.size();
          return simdjson::SUCCESS;
        }
      }
      return text.front() == 't'   ? simdjson::T_ATOM_ERROR
             : text.front() == 'f' ? simdjson::F_ATOM_ERROR
                                   : simdjson::N_ATOM_ERROR;
    default:
      return simdjson::TAPE_ERROR;
  }
}

}  // namespace budgetd::ingest
