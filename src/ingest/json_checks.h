#pragma once
// JSON checks of the batch decoder that simdjson's On-Demand API leaves to its caller. Private
// to the ingest module.

#include <string_view>

#include <simdjson.h>

namespace budgetd::ingest {

namespace od = simdjson::ondemand;
using simdjson::error_code;

// Valid JSON of the wrong type or size: the event is rejected alone. Every other error means the
// body is not well-formed JSON and nothing of it may be applied.
bool is_item_error(error_code e);

// A JSON number (RFC 8259 grammar), whatever its size; trailing whitespace is allowed.
bool is_json_number(std::string_view token);
// The length of the JSON number `text` starts with, or 0 if it does not start with one ("01",
// "1.", "-" and "1e" start with none).
size_t json_number_length(std::string_view text);

// The offset of the first byte at or after `from` that is not JSON whitespace; text.size() if none.
size_t skip_whitespace(std::string_view text, size_t from);
// Where the object or array `text` starts with (after whitespace) ends, by its brackets outside
// strings: the offset just past its closing bracket, or text.size() if it does not close or
// `text` does not start with one. Only locates; the caller still parses that much.
size_t end_of_first_value(std::string_view text);

// simdjson reports a well-formed number too large for 64 bits (or a double) as NUMBER_ERROR, the
// same code as a malformed one: NUMBER_OUT_OF_RANGE for the first (valid JSON: only the event is
// rejected), `e` for the second (the body is refused).
error_code classify_number_error(od::value& v, error_code e);

// get_bool(), but a token type() calls boolean that is not exactly true/false ("tru") is
// malformed JSON (T_ATOM_ERROR), not a type mismatch.
error_code read_bool(od::value& v, bool& out);

// Nesting bound of validate(): events are at most two levels deep, and hostile input must not
// exhaust the stack.
inline constexpr int kMaxDepth = 64;

// Reads a whole value so that every byte of it is validated even though budgetd does not use
// it. Returns the first error that is not an item error.
error_code validate(od::value v, int depth = 0);

// validate() for an NDJSON line `text` whose document is a scalar of `type`: `end` is set to
// the offset just past it, text.size() when nothing follows. Atoms and numbers are read here
// byte for byte: simdjson 3.0.1's document-level getters take "false1" for false, and "null"
// followed by one more byte for null.
error_code scalar_line_end(od::document& doc, od::json_type type, std::string_view text, size_t& end);

}  // namespace budgetd::ingest
